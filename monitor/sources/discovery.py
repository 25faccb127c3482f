"""Finding an outlet's feeds from its homepage.

A source configured with only a `homepage` gets its feeds from here, and so does a source
whose feed has started failing in a way a new URL could fix (`should_rediscover`). Two
kinds of evidence, both pure functions of what was fetched:

* `discover_feeds(html, page_url)` reads the page: ``<link rel="alternate">`` with a feed
  type (and the same in an HTTP ``Link`` header) first, in document order, then
  ``<a href>`` links whose URL looks like a feed. Comment feeds (WordPress puts "خلاصة
  التعليقات" next to the real feed on every page), feeds in another language than the page,
  and links to other sites rank below the rest; nothing is dropped merely for ranking low,
  because the caller verifies candidates with `parse_feed` anyway.
* `candidate_urls(homepage)` guesses the paths Arabic outlets' CMSs use (see
  /work/shared/sources-evidence.md), section-relative first for a homepage like
  ``https://www.france24.com/ar/``.

The caller fetches candidates in order and keeps the first that parses as a feed with
entries; nothing here touches the network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urldefrag, urljoin, urlsplit

import lxml.html
from lxml import etree

from monitor.sources.feedstate import FeedState
from monitor.text.encoding import decode_document

__all__ = [
    "COMMON_FEED_PATHS",
    "REDISCOVER_AFTER",
    "candidate_urls",
    "discover_feeds",
    "should_rediscover",
]

# Ordered by how many of the outlets in sources-evidence.md use them.
COMMON_FEED_PATHS: tuple[str, ...] = (
    "/rss",  # aljazeera.net, almayadeen.net, alhurra.com, euronews, annahar.com
    "/feed",  # WordPress and Drupal: aawsat.com, alquds.co.uk, sana.sy
    "/rss.xml",  # skynewsarabia.com, alaraby.co.uk, independentarabia.com, asharq.com
    "/feed/",  # WordPress's canonical form (saves a redirect)
    "/rss/",  # arabic.rt.com
    "/index.xml",  # bbc.com/arabic, Hugo
    "/feed.xml",
    "/atom.xml",
    "/?feed=rss2",  # WordPress without pretty permalinks
    "/rssFeed/1",  # the rssFeed/<id> CMS: alkhaleej.ae, okaz.com.sa, Al-Watan, Al-Yaum
    "/export/rss2/archive/index.xml",  # sarabic.ae (Sputnik's platform)
    "/rss/rssfeeds",  # almasryalyoum.com
    "/feeds/posts/default",  # Blogger
)
REDISCOVER_AFTER = 3  # failed polls in a row before a new feed URL is looked for

# Statuses a new URL can cure: the feed moved or vanished, or the URL now serves a page.
_CURABLE_STATUSES = frozenset({200, 301, 302, 404, 410})

_FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
        "application/x-rss+xml",
        "application/x.atom+xml",
        "application/x-atom+xml",
    }
)
# Generic types that are feeds only when the URL or title says so.
_MAYBE_FEED_TYPES = frozenset({"text/xml", "application/xml", "application/json", "text/rss"})
_FEEDISH_WORDS = re.compile(r"rss|atom|feed|خلاصة|خلاصات", re.I)
_FEEDISH_URL = re.compile(
    r"(?:^|/)(?:feeds?|rss2?|atom|rssfeeds?)(?:/|\.xml$|\.rss$|\.aspx$|$)"
    r"|\.(?:rss|atom)$|/[^/]*(?:rss|feed|atom)[^/]*\.xml$"
    r"|[?&]feed=(?:rss2?|atom|rdf)\b",
    re.I,
)
_FEED_HOSTS = re.compile(r"^(?:feeds?|rss)\.|(?:^|\.)feedburner\.com$", re.I)
# In titles and URLs alike; "commentary" is an opinion section, not comments.
_COMMENTS = re.compile(r"comments|(?<![a-z])comment(?![a-z])|commentaires|تعليقات|ردود", re.I)
_EMBEDDED_URL = re.compile(r"https?(?::|%3a)", re.I)  # "subscribe in feedly" links
_LINK_HEADER = re.compile(r"<([^>]*)>\s*((?:;\s*[\w*-]+\s*=\s*(?:\"[^\"]*\"|[^;,\s]*)\s*)*)")
_LINK_PARAM = re.compile(r";\s*([\w*-]+)\s*=\s*(?:\"([^\"]*)\"|([^;,\s]*))")


@dataclass(frozen=True)
class _Found:
    url: str
    tier: int  # 0: declared alternate; 1: same-site link; 2: link to another site
    comments: bool
    other_language: bool
    position: int

    @property
    def rank(self) -> tuple[bool, bool, int, int]:
        return (self.comments, self.other_language, self.tier, self.position)


def discover_feeds(
    html: bytes, page_url: str, headers: Mapping[str, str] | None = None
) -> list[str]:
    """Feed URLs a page declares or links to, absolute, deduplicated, best first.

    Returns [] for a page that names no feed (or is not HTML at all); never raises.
    """
    lowered = {key.lower(): value for key, value in (headers or {}).items()}
    found = _from_link_header(lowered.get("link", ""), page_url)
    root = _parse_html(html, lowered.get("content-type"))
    if root is not None:
        base = _base_url(root, page_url)
        page_language = _language(root.get("lang") or root.get("xml:lang"))
        found += _from_link_elements(root, base, page_language, start=len(found))
        found += _from_anchors(root, base, page_url, start=len(found))
    best: dict[str, _Found] = {}
    for item in found:
        if item.url not in best or item.rank < best[item.url].rank:
            best[item.url] = item
    return [item.url for item in sorted(best.values(), key=lambda item: item.rank)]


def _parse_html(body: bytes, content_type: str | None) -> lxml.html.HtmlElement | None:
    if not body.strip():
        return None
    text = decode_document(body, content_type).text
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError):
        return None
    return root


def _base_url(root: lxml.html.HtmlElement, page_url: str) -> str:
    for base in root.iter("base"):
        href: str = (base.get("href") or "").strip()
        if href:
            return urljoin(page_url, href)
    return page_url


def _language(value: str | None) -> str:
    return (value or "").strip().lower().split("-")[0].split("_")[0]


def _from_link_elements(
    root: lxml.html.HtmlElement, base: str, page_language: str, start: int
) -> list[_Found]:
    found = []
    for position, link in enumerate(root.iter("link"), start):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        title = link.get("title") or ""
        if "alternate" not in rel or not href or not _is_feed_type(link.get("type"), href, title):
            continue
        url = _absolute(base, href)
        if url is None:
            continue
        language = _language(link.get("hreflang"))
        found.append(
            _Found(
                url=url,
                tier=0,
                comments=_is_comments(title, url),
                other_language=bool(page_language and language and language != page_language),
                position=position,
            )
        )
    return found


def _from_link_header(value: str, page_url: str) -> list[_Found]:
    """Feeds declared in an HTTP ``Link: <url>; rel="alternate"; type="..."`` header."""
    found = []
    for position, match in enumerate(_LINK_HEADER.finditer(value)):
        params = {
            name.lower(): quoted if quoted is not None else bare
            for name, quoted, bare in _LINK_PARAM.findall(match.group(2))
        }
        rel = params.get("rel", "").lower().split()
        title = params.get("title", "")
        url = _absolute(page_url, match.group(1).strip())
        if "alternate" in rel and url and _is_feed_type(params.get("type"), url, title):
            found.append(_Found(url, 0, _is_comments(title, url), False, position))
    return found


def _from_anchors(
    root: lxml.html.HtmlElement, base: str, page_url: str, start: int
) -> list[_Found]:
    page_host = _site(urlsplit(page_url).hostname or "")
    found = []
    for position, anchor in enumerate(root.iter("a"), start):
        href = (anchor.get("href") or "").strip()
        url = _absolute(base, href) if href else None
        if url is None or not _looks_like_feed_url(url):
            continue
        host = urlsplit(url).hostname or ""
        same_site = _site(host) == page_host or bool(_FEED_HOSTS.search(host))
        title = anchor.get("title") or anchor.text_content()
        found.append(
            _Found(
                url=url,
                tier=1 if same_site else 2,
                comments=_is_comments(title, url),
                other_language=False,
                position=position,
            )
        )
    return found


def _is_feed_type(kind: str | None, url: str, title: str) -> bool:
    kind = (kind or "").split(";")[0].strip().lower()
    if kind in _FEED_TYPES:
        return True
    return kind in _MAYBE_FEED_TYPES and bool(_FEEDISH_WORDS.search(f"{url} {title}"))


def _looks_like_feed_url(url: str) -> bool:
    parts = urlsplit(url)
    tail = parts.path + (f"?{parts.query}" if parts.query else "")
    if _EMBEDDED_URL.search(tail):
        return False
    if _FEED_HOSTS.search(parts.hostname or "") and parts.path.strip("/"):
        return True
    return bool(_FEEDISH_URL.search(parts.path) or _FEEDISH_URL.search(tail))


def _is_comments(title: str, url: str) -> bool:
    return bool(_COMMENTS.search(title) or _COMMENTS.search(urlsplit(url).path))


def _absolute(base: str, href: str) -> str | None:
    try:
        url = urldefrag(urljoin(base, href)).url
        parts = urlsplit(url)
    except ValueError:  # an unbalanced [ in a host, for one
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def _site(host: str) -> str:
    """A host without the prefixes that do not change whose site it is."""
    host = host.lower()
    for prefix in ("www.", "m.", "amp."):
        if host.startswith(prefix):
            return host[len(prefix) :]
    return host


def candidate_urls(homepage: str) -> list[str]:
    """Likely feed URLs for a homepage, most likely first.

    For a homepage with a path (``https://www.france24.com/ar/``) the section's own feeds
    (``/ar/rss``) come before the site-wide ones.
    """
    parts = urlsplit(homepage.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return []
    root = f"{parts.scheme}://{parts.netloc}"
    section = parts.path.rstrip("/")
    candidates = []
    if section:
        candidates += [f"{root}{section}{path}" for path in COMMON_FEED_PATHS]
    candidates += [f"{root}{path}" for path in COMMON_FEED_PATHS]
    return list(dict.fromkeys(candidates))


def should_rediscover(state: FeedState, *, after: int = REDISCOVER_AFTER) -> bool:
    """Whether a failing feed's URL should be looked for again on the homepage.

    Only when a new URL could help: the feed is gone (404/410), keeps redirecting, or the
    URL now serves something that is not a feed (a 200 recorded as a failure). Blocking
    (403), rate limiting (429) and server or network trouble are waited out instead:
    probing a dozen guessed URLs on a host that is refusing us is neither useful nor polite.
    """
    return state.error_streak >= after and state.last_status in _CURABLE_STATUSES
