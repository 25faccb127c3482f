"""The same story is stored once, however it is republished — end to end through crawls.

Copies are served by real local sites under new URLs, in other page templates; the
original is a seed, or an article an earlier crawl stored. Each test runs on SQLite and on
PostgreSQL (`backend_url`, tests/conftest.py).
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from fixture_site import (
    PRIVATE_ARTICLE,
    FeedLink,
    NewsSite,
    SiteArticle,
    fresh_stories,
    load_seed_articles,
    render_article_page,
)
from test_crawl_e2e import export, rasad, write_config

from monitor.judge import dedup
from monitor.text.urls import canonical_url
from store.base import STATUSES

pytestmark = pytest.mark.slow

RESPELL = [
    ("بيونغ يانغ", "بيونج يانج"),
    ("بيونغيانغ", "بيونج يانج"),
    ("كيم جونغ أون", "كيم يونغ أون"),
    ("كيم جونج أون", "كيم يونغ أون"),
    ("بوتين", "بوتن"),
    ("شويغو", "شويجو"),
    ("سيرغي", "سيرجي"),
]


def respelled(text: str) -> str:
    """Variant transliterations and folded letters, as another outlet's desk would type it."""
    for old, new in RESPELL:
        text = text.replace(old, new)
    text = re.sub(r"ة\b", "ه", text)  # ta marbuta written as ha
    return text.replace("إ", "ا").replace("أ", "ا").replace("ى", "ي")


def shortened(paragraphs: tuple[str, ...], share: float = 0.7) -> tuple[str, ...]:
    """The first paragraphs, up to `share` of the text: an outlet's trimmed copy."""
    total = sum(len(p) for p in paragraphs)
    kept: list[str] = []
    for paragraph in paragraphs:
        if sum(len(p) for p in kept) + len(paragraph) > share * total and kept:
            break
        kept.append(paragraph)
    return tuple(kept)


NEW_LEAD = (
    "أفادت مصادر دبلوماسية متطابقة اليوم بأن الملف عاد إلى الواجهة مجددا، وسط متابعة دولية "
    "واسعة لتطورات العلاقة بين موسكو وبيونغ يانغ وما قد تحمله من انعكاسات على المنطقة."
)


def stored_count(store_url: str) -> int:
    """Articles in the store, every status (seeds are not articles)."""
    from store import open_store

    store = open_store(store_url, read_only=True)
    try:
        return sum(store.counts().get(status, 0) for status in STATUSES)
    finally:
        store.close()


def copies_of(seed: SiteArticle) -> dict[str, SiteArticle]:
    paragraphs = tuple(seed.paragraphs)
    variants = {
        "verbatim": replace(seed, slug=f"{seed.slug}-copy"),
        "short70": replace(seed, slug=f"{seed.slug}-short", paragraphs=shortened(paragraphs)),
        "newlead": replace(
            seed,
            slug=f"{seed.slug}-lead",
            title=f"عاجل | {seed.title}",
            paragraphs=(NEW_LEAD, *paragraphs),
            headings=frozenset(),
        ),
        "respelled": replace(
            seed,
            slug=f"{seed.slug}-respelled",
            title=respelled(seed.title),
            paragraphs=tuple(respelled(p) for p in paragraphs),
        ),
    }
    variants["all"] = replace(
        seed,
        slug=f"{seed.slug}-all",
        title=f"متابعة: {respelled(seed.title)}",
        paragraphs=(NEW_LEAD, *(respelled(p) for p in shortened(paragraphs))),
        headings=frozenset(),
    )
    return variants


def site_config(tmp_path: Path, sites: dict[str, NewsSite], store_url: str | None = None) -> Path:
    """One [[sources]] table per site (each a different outlet on its own port)."""
    url = store_url or f"sqlite:///{tmp_path}/rasad.db"
    text = f'[store]\nurl = "{url}"\n[crawl]\ndownload_delay = 0\n'
    for name, site in sites.items():
        feeds = ", ".join(f'"{site.url(path)}"' for path in site.feeds)
        text += f'[[sources]]\nname = "{name}"\nfeeds = [{feeds}]\n'
    path = tmp_path / "rasad.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_altered_copies_of_the_seeds_are_duplicates(tmp_path: Path, backend_url: str) -> None:
    seeds = load_seed_articles()
    copier = NewsSite(site_name="وكالة الأنباء المتحدة")
    copier.add_feed("/rss.xml", [], form="rss2")
    expected: dict[str, str] = {}
    for n, seed in enumerate(seeds):
        for copy in copies_of(seed).values():
            copier.add_article(copy, template=("wordpress", "modern", "legacy", "outlet")[n % 4])
            copier.add_to_feed("/rss.xml", copy)
            expected[copy.slug] = f"seed:{seed.origin.removeprefix('seed:')}"
    with copier:
        config = site_config(tmp_path, {"copier": copier}, backend_url)
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 0, result.stdout
        records = export(config, "--all")
        slug_of = {canonical_url(copier.url_for(a)): a.slug for a in copier.articles}
    assert len(records) == len(expected) == 25
    wrong = [
        (slug_of[r["canonical_url"]], r["status"], r["duplicate_of"])
        for r in records
        if r["status"] != "duplicate" or r["duplicate_of"] != expected[slug_of[r["canonical_url"]]]
    ]
    assert not wrong, wrong
    assert export(config) == []  # nothing new to deliver


def test_a_story_republished_by_another_outlet_is_a_duplicate_of_the_first(
    tmp_path: Path, backend_url: str
) -> None:
    stories = fresh_stories()
    first = NewsSite(site_name="الأولى")
    first.add_feed("/feed/", stories, form="rss2")
    first.add_articles(stories)
    later = NewsSite(site_name="الثانية")
    later.add_feed("/rss.xml", [], form="rss2")
    with first, later:
        config = site_config(tmp_path, {"first": first}, backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        stored = {r["title"]: r for r in export(config)}
        # three distinct stories about the same visit: none merged
        assert len(stored) == 3, sorted(stored)
        # another outlet republishes them later, retitled, under new URLs (one with
        # tracking parameters), one of them shortened and with a new lead
        copies = [
            replace(stories[0], slug="wire-copy-0", title="روسيا تدعم الحوار بين الكوريتين"),
            replace(
                stories[1],
                slug="wire-copy-1",
                title="بوتين يدعو كيم إلى موسكو",
                paragraphs=(NEW_LEAD, *stories[1].paragraphs[:3]),
            ),
        ]
        for copy in copies:
            later.add_article(copy)
            later.add_to_feed("/rss.xml", copy)
        config = site_config(tmp_path, {"first": first, "later": later}, backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        records = {r["canonical_url"]: r for r in export(config, "--all")}
        originals = [canonical_url(first.url_for(s)) for s in stories]
        for copy, original in zip(copies, originals, strict=False):
            record = records[canonical_url(later.url_for(copy))]
            assert record["status"] == "duplicate", record["title"]
            assert record["duplicate_of"] == original
            assert record["source"] == "later"
        assert len(export(config)) == 3  # still the three originals, nothing new
        cluster = records[originals[0]]["also_reported_by"]
        assert cluster == [later.url_for(copies[0])]


def test_copies_in_one_run_and_updated_articles_are_not_new_again(
    tmp_path: Path, backend_url: str
) -> None:
    story = fresh_stories()[0]
    copy = replace(story, slug="same-run-copy", title="نسخة من الخبر نفسه")
    site = NewsSite()
    site.add_feed("/feed/", [story, copy], form="rss2")
    site.add_articles([story, copy])
    with site:
        config = write_config(tmp_path, site, store_url=backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        statuses = sorted(r["status"] for r in export(config, "--all"))
        assert statuses == ["duplicate", "new"]
        # the publisher edits the story in place (same URL, changed text, new title)
        edited = replace(
            story,
            title="محدث: " + story.title,
            paragraphs=(*story.paragraphs, "تحديث: انتهت الزيارة."),
        )
        site.add_articles([replace(edited, slug="lavrov-0-v2")])
        before = stored_count(backend_url)
        site.add_to_feed("/feed/", site.articles[-1])  # re-slugged edit listed in the feed
        assert rasad("crawl", "--config", str(config)).returncode == 0
        after = {r["title"]: r for r in export(config, "--all")}
        assert stored_count(backend_url) == before + 1
        assert after[edited.title]["status"] == "duplicate"
        assert len(export(config)) == 1  # the story is delivered once


def test_an_article_edited_in_place_keeps_its_status_and_gets_the_latest_text(
    tmp_path: Path, backend_url: str
) -> None:
    story = fresh_stories()[1]
    site = NewsSite()
    site.add_feed("/feed/", [story], form="rss2")
    site.add_articles([story])
    with site:
        config = write_config(tmp_path, site, store_url=backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        (before,) = export(config, "--all")
        assert before["status"] == "new"
        # the publisher edits it in place: same URL, new headline, a paragraph added
        update = "وفي وقت لاحق، أعلن الكرملين أن موعد القمة سيحدد عبر القنوات الدبلوماسية."
        site.edit_article(
            story.slug,
            replace(story, title="محدث: " + story.title, paragraphs=(*story.paragraphs, update)),
        )
        site.clear_requests()
        second = rasad("crawl", "--config", str(config))
        assert second.returncode == 0, second.stdout
        assert len(site.article_requests()) == 1  # fetched once more, for its latest text
        (after,) = export(config, "--all")
        assert after["url"] == before["url"] and after["status"] == "new"
        assert update in after["text"] and after["title"].startswith("محدث: ")
        site.clear_requests()
        assert rasad("crawl", "--config", str(config)).returncode == 0
        assert site.article_requests() == []


def serve_declaring(site: NewsSite, path: str, article: SiteArticle, canonical: str) -> None:
    """Serve `article` at `path` as a page whose rel=canonical and og:url name `canonical`,
    and list it in /feed/."""
    page = render_article_page(article, "modern", url=canonical, site_name=site.site_name)
    site.set_response(path, 200, page.body, content_type=page.content_type)
    site.add_to_feed("/feed/", FeedLink(path=path, title=article.title))


def test_a_page_declaring_a_stored_page_its_canonical_is_that_pages_duplicate(
    tmp_path: Path, backend_url: str
) -> None:
    """rel=canonical / og:url naming another stored page of the same site (an AMP or mobile
    copy, a re-slugged or re-dated story) makes the page a duplicate of that one, whatever
    its text says: the publisher says so itself. The text alone would make this page new (a
    live page that grew two other stories on top of the original), so only that rule can
    find it. A page whose canonical names no stored story (here the homepage) stays new."""
    stories = fresh_stories()
    site = NewsSite()
    site.add_feed("/feed/", [stories[0]], form="rss2")
    site.add_article(stories[0])
    grown = replace(
        stories[0],
        slug="lavrov-0-live",
        title="متابعة مباشرة: " + stories[0].title,
        paragraphs=(*stories[1].paragraphs, *stories[2].paragraphs, *stories[0].paragraphs),
    )
    by_text = dedup.similarity(grown.text, stories[0].text)
    assert by_text.containment < dedup.EDITED_CONTAINMENT_THRESHOLD, by_text
    assert not dedup.is_near_duplicate(by_text)
    homepage_only = replace(PRIVATE_ARTICLE, slug="duma-delegation")
    with site:
        config = write_config(tmp_path, site, store_url=backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        first_url = site.url_for(stories[0])
        serve_declaring(site, "/live/lavrov-0.html", grown, first_url)
        serve_declaring(site, "/live/duma-delegation.html", homepage_only, site.url("/"))
        second = rasad("crawl", "--config", str(config))
        assert second.returncode == 0, second.stdout + second.stderr
        live_url = site.url("/live/lavrov-0.html")
        control_url = site.url("/live/duma-delegation.html")
    records = {r["url"]: r for r in export(config, "--all")}
    assert set(records) == {first_url, live_url, control_url}
    live, control = records[live_url], records[control_url]
    assert (live["status"], live["duplicate_of"]) == ("duplicate", canonical_url(first_url)), live
    assert records[first_url]["also_reported_by"] == [live_url]
    assert (control["status"], control["duplicate_of"]) == ("new", None), control
    assert sorted(r["url"] for r in export(config)) == sorted([first_url, control_url])
