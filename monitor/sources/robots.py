"""What an outlet's robots.txt says besides allow and deny: the sitemaps it announces and
the Crawl-delay it asks for.

Scrapy's robots.txt middleware does the allowing and denying; these read the same text for
the two things it leaves alone. Outlets without a feed usually announce their Google News
sitemap here (`news_sitemaps_from_robots`), and a Crawl-delay raises the configured delay
between requests to that host (`polite_delay`), within a cap.

What an answer means (RFC 9309 §2.3.1): a 2xx robots.txt is obeyed as written; a 4xx means
there is none, so everything is allowed; a 5xx (and 429, which Google treats alike) means the
server cannot say, so nothing is allowed (`robots_rules`) and the answer is kept only for
`UNREACHABLE_RETRY_S` instead of the configured cache time (`robots_max_age`).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from monitor.text.urls import absolute_http_url

__all__ = [
    "DISALLOW_ALL",
    "MAX_CRAWL_DELAY_S",
    "UNREACHABLE_RETRY_S",
    "crawl_delay_for",
    "is_news_sitemap_url",
    "news_sitemaps_from_robots",
    "polite_delay",
    "robots_max_age",
    "robots_rules",
    "robots_unreachable",
    "sitemaps_from_robots",
]

MAX_CRAWL_DELAY_S = 120.0  # robots.txt Crawl-delay honoured up to this (alquds.co.uk: 120)

UNREACHABLE_RETRY_S = 600.0  # an unreachable robots.txt is asked for again after this
DISALLOW_ALL = b"User-agent: *\nDisallow: /\n"

_ROBOTS_SITEMAP = re.compile(r"^\s*sitemap\s*:\s*(\S+)", re.I | re.M)


# -- what an answer means ---------------------------------------------------------------------


def robots_unreachable(status: int) -> bool:
    """Whether a robots.txt answer says the server cannot tell us its rules (5xx, 429)."""
    return status >= 500 or status == 429


def robots_rules(status: int, body: bytes) -> bytes:
    """The robots.txt to obey for an answer: as written (2xx, 3xx followed already), none
    (4xx: allow all), or complete disallow while the server is unreachable (5xx, 429)."""
    if robots_unreachable(status):
        return DISALLOW_ALL
    if 400 <= status < 500:
        return b""
    return body


def robots_max_age(status: int, configured: float) -> float:
    """Seconds a stored robots.txt answer is reused: the configured cache time, but an
    unreachable answer only until `UNREACHABLE_RETRY_S`, so the host is asked again soon."""
    return min(configured, UNREACHABLE_RETRY_S) if robots_unreachable(status) else configured


# -- sitemaps ---------------------------------------------------------------------------------


def sitemaps_from_robots(robots_txt: str, robots_url: str) -> list[str]:
    """The ``Sitemap:`` URLs a robots.txt lists, news sitemaps first.

    Outlets without a feed usually announce their Google News sitemap here.
    """
    found = []
    for match in _ROBOTS_SITEMAP.finditer(robots_txt):
        url = absolute_http_url(robots_url, match.group(1))
        if url:
            found.append(url)
    unique = list(dict.fromkeys(found))
    return sorted(unique, key=lambda u: not is_news_sitemap_url(u))


def is_news_sitemap_url(url: str) -> bool:
    """Whether a sitemap URL names itself a news sitemap (``/sitemap-news.xml``,
    ``/news-sitemap.xml``, ``/sitemaps/news/index.xml``, ``/sitemap.php?type=news`` ...).

    The name is all a robots.txt gives. Outlets announce their whole-archive sitemaps
    there too (often indexes of thousands of undated children); only the news sitemap
    lists just the last days' stories, so only it is polled without being configured.
    """
    parts = urlsplit(url)  # not the host: every sitemap of www.skynewsarabia.com says "news"
    return "news" in f"{parts.path}?{parts.query}".lower()


def news_sitemaps_from_robots(robots_txt: str, robots_url: str) -> list[str]:
    """The news sitemaps (`is_news_sitemap_url`) a robots.txt announces, in its order."""
    return [u for u in sitemaps_from_robots(robots_txt, robots_url) if is_news_sitemap_url(u)]


# -- per-host politeness ----------------------------------------------------------------------


def crawl_delay_for(robots_txt: str, user_agent: str) -> float | None:
    """The Crawl-delay robots.txt sets for `user_agent` (its own group, else `*`), or None.

    Scrapy parses Crawl-delay (RobotParser.crawl_delay, Scrapy ≥ 2.18) but never applies
    it to its download slots; this is for code and tests that hold the text rather than
    Scrapy's parser. Protego ships with Scrapy and matches user agents as Google does.
    """
    from protego import Protego

    delay = Protego.parse(robots_txt).crawl_delay(user_agent)
    return float(delay) if delay is not None and delay >= 0 else None


def polite_delay(
    download_delay: float, crawl_delay: float | None, *, cap: float = MAX_CRAWL_DELAY_S
) -> float:
    """Seconds between requests to one host: the configured delay, raised to the host's
    Crawl-delay but not beyond `cap` (a Crawl-delay of a day would stall every crawl)."""
    if crawl_delay is None or crawl_delay <= download_delay:
        return download_delay
    return max(download_delay, min(crawl_delay, cap))
