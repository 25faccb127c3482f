"""URL canonicalisation: variants of one page meet, different pages never do."""

from __future__ import annotations

import pytest

from monitor.text.urls import canonical_url, same_site

PAGE = "https://www.skynewsarabia.com/world/1712345-%D8%A8%D9%88%D8%AA%D9%8A%D9%86"


@pytest.mark.parametrize(
    "variant",
    [
        PAGE,
        "HTTPS://WWW.SkyNewsArabia.com:443/world/1712345-%D8%A8%D9%88%D8%AA%D9%8A%D9%86",
        "https://www.skynewsarabia.com/world/1712345-بوتين",  # raw UTF-8 path
        "https://www.skynewsarabia.com/world/1712345-%d8%a8%d9%88%d8%aa%d9%8a%d9%86",
        "https://skynewsarabia.com/world/1712345-بوتين",
        "https://m.skynewsarabia.com/world/1712345-بوتين",
        "https://amp.skynewsarabia.com/world/1712345-بوتين",
        "https://www.skynewsarabia.com/amp/world/1712345-بوتين",
        "https://www.skynewsarabia.com/world/1712345-بوتين/amp",
        "https://www.skynewsarabia.com/world/1712345-بوتين?amp=1",
        "https://www.skynewsarabia.com/world/1712345-بوتين?outputType=amp",
        "https://www.skynewsarabia.com/world/1712345-بوتين/",
        "https://www.skynewsarabia.com/world/1712345-بوتين#comments",
        "https://www.skynewsarabia.com/world/1712345-بوتين?utm_source=twitter&utm_medium=social",
        "https://www.skynewsarabia.com/world/1712345-بوتين?fbclid=IwAR0abc&gclid=xyz",
    ],
)
def test_variants_of_one_page_meet(variant: str) -> None:
    assert canonical_url(variant) == canonical_url(PAGE)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("https://www.youm7.com/story/2018/5/31/1", "https://www.youm7.com/story/2018/5/31/2"),
        (
            "http://site.example/News/NewsDetails.aspx?NewsID=120027",
            "http://site.example/News/NewsDetails.aspx?NewsID=120028",
        ),
        ("https://a.example/news/1", "https://b.example/news/1"),
        ("https://www.example.com/ar/kim", "https://www.example.com/en/kim"),
        ("https://arabic.rt.com/world/1", "https://rt.com/world/1"),  # a subdomain is not m./www.
    ],
)
def test_different_pages_stay_apart(a: str, b: str) -> None:
    assert canonical_url(a) != canonical_url(b)


def test_query_order_and_root() -> None:
    assert canonical_url("https://x.example/a?b=2&a=1") == canonical_url(
        "https://x.example/a?a=1&b=2"
    )
    assert canonical_url("https://www.x.example") == "https://x.example/"
    assert canonical_url("http://127.0.0.1:8080/feed/") == "http://127.0.0.1:8080/feed"
    assert canonical_url(canonical_url(PAGE)) == canonical_url(PAGE)


def test_same_site() -> None:
    assert same_site("https://www.aa.com.tr/ar/x", "https://aa.com.tr/ar/y")
    assert not same_site("https://aa.com.tr/ar/x", "https://arabic.rt.com/y")
