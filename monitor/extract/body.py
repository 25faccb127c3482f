"""An article page's body text: trafilatura's reading of it, cleaned into paragraphs.

    tree ─> (table-laid-out page: its article cell) ─> trafilatura ─> paragraph clean-up
         ─> length check

`article_scope` picks what trafilatura reads, `trafilatura_body` runs it, and `body_text` turns
its raw text into the article's paragraphs, or ExtractionError("no_text") when too little is
left. A trafilatura failure on an odd page is ExtractionError("parse_error").
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.settings import Document, Extractor

from monitor.errors import ExtractionError
from monitor.extract.page import alnum_key, clean_line, fold, match_key

# Chosen by measurement on ../shared/data/pages (see tests/test_extract.py): the balanced default
# keeps every gold paragraph; favor_precision loses the whole body of a short jawharafm page;
# favor_recall adds CNN's footer menu and copyright line; include_tables=True dumps the navigation
# of table-laid-out sites (sanaanews) and flattens their paragraphs into one table cell. Neither
# setting copes with a whole page of nested tables (the fixture site's "legacy" template):
# article_scope() hands trafilatura the article's cell instead.
# with_metadata=False: trafilatura's metadata step runs htmldate (a copy and clean-up of the
# whole page) and an author search (another copy) for a date and author rasad never reads (the
# date comes from metadata.page_date()); the one field used, the site name, is read by
# metadata.site_name(). fast=True: no fallback extractor (readability/jusText run beside the
# main one and compared); the gold pages keep every paragraph without it, and 1,000 ANT pages in
# the four fixture templates give the same title, date, text and verdict, 16% faster
# (bench/extract_fast_check.py).
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "with_metadata": False,
    "include_tables": False,
    "favor_precision": False,
    "favor_recall": False,
    "fast": True,
}

# The shortest real article in the gold material is a 47-word weather bulletin (jawharafm).
# Below 30 words a page is a video/photo caption, a teaser, a soft 404 or a one-line "عاجل"
# flash: rejecting it as no_text records the failure, and a later run retries the URL once the
# outlet has written the full story.
MIN_WORDS = 30


# ── pages laid out with tables ─────────────────────────────────────────────────────────────────

_NOT_OWN_TEXT = frozenset(("a", "script", "style"))  # link text and code are not a cell's own


def _own_text(tree: lxml.html.HtmlElement) -> tuple[dict[lxml.html.HtmlElement, int], int]:
    """(characters of own text, stripped, per table cell; the same in the whole <body>).

    "Own" text is outside links, scripts and styles; a cell's own text is the text whose
    nearest enclosing <td> it is (the tail after a nested cell counts for that nested cell).
    Cells are keyed in the order their first text appears. One walk over the tree: two XPath
    queries with ancestor tests and a Python ancestor search per text node cost 1 ms a page on
    table-laid-out pages (the fixture's legacy template), this walk 0.4 ms."""
    own: dict[lxml.html.HtmlElement, int] = {}
    on_page = 0
    cells: list[lxml.html.HtmlElement] = []  # the <td> elements open at this point
    hidden = 0  # open <a>, <script> or <style> elements
    in_body = False
    for event, element in etree.iterwalk(tree, events=("start", "end", "comment", "pi")):
        tag = element.tag
        if event == "comment" or event == "pi":  # no text of its own; the text after it counts
            text = element.tail
            cell = cells[-1] if cells else None
        elif event == "start":
            if tag == "td":
                cells.append(element)
            elif tag in _NOT_OWN_TEXT:
                hidden += 1
                continue  # its text is not own text
            elif tag == "body":
                in_body = True
            text = element.text
            cell = cells[-1] if cells else None
        else:
            text = element.tail
            if tag == "td":
                cells.pop()
                cell = element if cells else None  # a nested cell's tail: counted for it
            else:
                if tag in _NOT_OWN_TEXT:
                    hidden -= 1
                elif tag == "body":
                    in_body = False
                cell = cells[-1] if cells else None
        if text is not None and not hidden:  # an empty text node counts, as in XPath
            size = len(text.strip())
            if in_body:
                on_page += size
            if cell is not None:
                own[cell] = own.get(cell, 0) + size
    return own, on_page


def article_scope(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """What trafilatura should read: the page, or the one table cell that holds its article.

    On pages laid out with nested tables (old CMSs: most of the own, non-link text sits in
    cells) trafilatura takes menus, login box, "most read" and comments along with the story.
    There the cell with 1.5 times the text of any other is the article; if no cell has even a
    paragraph's worth (150 characters), the page has no article (a video or photo page).
    """
    if tree.find(".//td") is None:  # most pages: no table cells, no walk
        return tree
    own, on_page = _own_text(tree)
    if not own:
        return tree
    if sum(own.values()) < 0.6 * on_page:
        return tree
    (best, most), *others = sorted(own.items(), key=lambda item: item[1], reverse=True)
    if most >= 1.5 * (others[0][1] if others else 0):
        return _cell_page(tree, best)
    if most < 150:
        raise ExtractionError("no_text", "a table-laid-out page without an article-sized cell")
    return tree


def _cell_page(tree: lxml.html.HtmlElement, cell: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A page holding `tree`'s <head> (for metadata) and the one cell as its article."""
    page = lxml.html.document_fromstring(
        "<html><head></head><body><article></article></body></html>"
    )
    head = tree.find("head")
    if head is not None:
        page.replace(page.find("head"), copy.deepcopy(head))
    content = copy.deepcopy(cell)
    content.tag, content.tail = "div", None
    page.find(".//article").append(content)
    return page


# ── trafilatura ────────────────────────────────────────────────────────────────────────────────


def _extractor(url: str | None) -> Extractor:
    """The settings trafilatura.bare_extraction builds from TRAFILATURA_OPTIONS for `url`."""
    return Extractor(
        output_format="python",
        fast=TRAFILATURA_OPTIONS["fast"],
        precision=TRAFILATURA_OPTIONS["favor_precision"],
        recall=TRAFILATURA_OPTIONS["favor_recall"],
        comments=TRAFILATURA_OPTIONS["include_comments"],
        tables=TRAFILATURA_OPTIONS["include_tables"],
        with_metadata=TRAFILATURA_OPTIONS["with_metadata"],
        url=url,
    )


# Built once and copied per page: building it reads trafilatura's config file settings anew
# (60 µs a page, a copy 5 µs); tests/test_extract.py checks it is what trafilatura would build.
_EXTRACTOR = _extractor(None)


def extractor_for(url: str) -> Extractor:
    """`_extractor(url)`, from the one built at import."""
    options = copy.copy(_EXTRACTOR)
    options.url = url
    options.source = url.encode("utf-8", "replace").decode("utf-8")
    return options


def trafilatura_body(scope: lxml.html.HtmlElement, url: str) -> str:
    """trafilatura's raw body text of `scope` (it works on a copy)."""
    try:
        document = trafilatura.bare_extraction(scope, url=url, options=extractor_for(url))
    # a library bug on one odd page must become a recorded failure, not a crashed pipeline
    except Exception as exc:
        raise ExtractionError("parse_error", f"trafilatura failed: {exc!r}") from exc
    if not isinstance(document, Document) or not document.text:
        raise ExtractionError("no_text", "trafilatura found no article body")
    return document.text


def body_text(raw: str, headlines: Iterable[str]) -> str:
    """`raw` cleaned (see `clean_body`); ExtractionError when under MIN_WORDS remain."""
    text = clean_body(raw, headlines)
    words = len(text.split())
    if words < MIN_WORDS:
        raise ExtractionError("no_text", f"{words} words of body text, under {MIN_WORDS}")
    return text


# ── paragraph clean-up ─────────────────────────────────────────────────────────────────────────

# Boilerplate is recognised on folded text (see page.fold) and only in short paragraphs: the
# same words inside a real sentence ("شارك أكثر من 300 خبير في المؤتمر ...") are kept.


def _starts_with(*alternatives: str) -> re.Pattern[str]:
    return re.compile("^(?:" + "|".join(alternatives) + ")")


_LINK_INTRO = _starts_with(  # introduces other stories' headlines, which must not reach relevance
    r"اقرا (?:ايضا|كذلك|المزيد)", r"(?:شاهد|طالع) (?:ايضا|كذلك)",
    r"(?:اخبار|مواضيع|مقالات|قصص) (?:ذات صله|متعلقه|مشابهه)",
    r"الاكثر (?:قراءه|مشاهده|تداولا|تعليقا|تصفحا)", r"read (?:more|also)", r"related",
)  # fmt: skip
_FURNITURE = _starts_with(  # whole short lines: share, follow, login, newsletter, ad label
    r"شارك", r"مشاركه", r"تابع(?:نا|ونا)", r"(?:تسجيل|سجل) (?:الدخول|دخول|الخروج)",
    r"انشاء حساب", r"اشترك", r"النشره (?:البريديه|الاخباريه)", r"(?:اعلان|advertisement)$",
    r"share", r"sign (?:in|up)", r"log ?in", r"subscribe", r"follow us",
)  # fmt: skip
# Copyright, cookie and privacy notices: phrases found anywhere in a short paragraph, looked for
# with `in` (a C substring search each) rather than as one regex alternation, which sre tries
# at every character (0.06 -> 0.01 ms for a page's paragraphs); "cookie" only as a whole word.
_FOOTER_PHRASES = (
    "الحقوق محفوظه", "حقوق النشر", "©", "all rights reserved", "ملفات تعريف الارتباط",
    "الكوكيز", "سياسه الخصوصيه", "privacy policy",
)  # fmt: skip
_COOKIES = re.compile(r"\bcookies?\b")


def _is_footer(folded: str) -> bool:
    return any(phrase in folded for phrase in _FOOTER_PHRASES) or (
        "cookie" in folded and _COOKIES.search(folded) is not None
    )


# Comment-policy disclaimers: "الآراء الواردة أدناه لا تعبر عن رأي الموقع".
_COMMENT_POLICY = re.compile(
    r"(?=.*(?:اصحابها|ادناه|الموقع|الصحيفه|الشبكه))"
    r"(?=.*(?:لا تعبر|لا تمثل|مراجعه التعليقات|شروط (?:ال)?استخدام|سياسه الخصوصيه))"
)
_DATE_OR_TIME = re.compile(
    r"\d{1,2}:\d{2}|\d{4}([/.-])\d{1,2}\1\d{1,2}|\d{1,2}([/.-])\d{1,2}\2\d{4}"
)
_SENTENCE_END = tuple('.!?؟:"»”')
# "... اقرأ أيضا: <another headline>" run into the paragraph before it (pages trafilatura flattens)
_INLINE_READ_ALSO = re.compile(r"\s[اإ]قر[أا]\s+(?:[أا]يض[اًًا]+|كذلك|المزيد)(?:\s*:|\s).*$")


def clean_body(raw: str, headlines: Iterable[str] = ()) -> str:
    """trafilatura's text as paragraphs separated by blank lines, furniture removed.

    Drops empty lines, repeats of the headline, boilerplate, the headline lists that follow a
    bare "اقرأ أيضا" label, repeats of an earlier paragraph of 8+ words (a lead printed twice;
    short lines legitimately repeat in schedules), and date/time stubs at either end.
    """
    headline_keys = {match_key(h) for h in headlines} - {""}
    paragraphs: list[str] = []
    seen: set[str] = set()
    in_link_list = False
    for line in raw.splitlines():
        paragraph = clean_line(line)
        if "قر" in paragraph:  # the label's letters: a C search spares most lines the regex
            paragraph = _INLINE_READ_ALSO.sub("", paragraph)
        # each paragraph is folded and counted once; every test below reads these
        folded = fold(paragraph)
        key = alnum_key(folded)
        words = len(paragraph.split())
        if in_link_list and _is_headline_like(paragraph, words):
            continue
        in_link_list = _is_link_list_label(folded, words)
        if not key or key in seen or key in headline_keys or _is_boilerplate(folded, words):
            continue
        if words >= 8:
            seen.add(key)
        paragraphs.append(paragraph)
    return "\n\n".join(_trim_edges(paragraphs))


def _is_boilerplate(folded: str, words: int) -> bool:
    """Whether a paragraph (`folded` by page.fold, `words` long) is furniture."""
    return (
        (words <= 25 and _LINK_INTRO.match(folded) is not None)
        or (words <= 6 and _FURNITURE.match(folded) is not None)
        or (words <= 40 and _is_footer(folded))
        or (words <= 80 and _COMMENT_POLICY.match(folded) is not None)
    )


def _is_link_list_label(folded: str, words: int) -> bool:
    """A bare "اقرأ أيضا:" / "الأكثر قراءة" line: the headlines it introduces follow it."""
    return words <= 4 and _LINK_INTRO.match(folded) is not None


def _is_headline_like(paragraph: str, words: int) -> bool:
    return words <= 20 and not paragraph.endswith(_SENTENCE_END)


def _is_edge_stub(paragraph: str) -> bool:
    """A dateline or category+time line at the top or bottom ("ثقافة 2017/02/25 13:39")."""
    return len(paragraph.split()) <= 10 and _DATE_OR_TIME.search(paragraph) is not None


def _trim_edges(paragraphs: list[str]) -> list[str]:
    while paragraphs and _is_edge_stub(paragraphs[0]):
        paragraphs.pop(0)
    while paragraphs and _is_edge_stub(paragraphs[-1]):
        paragraphs.pop()
    if len(paragraphs) > 2 and _is_edge_stub(paragraphs[1]):  # title line, then its dateline
        paragraphs.pop(1)
    return paragraphs
