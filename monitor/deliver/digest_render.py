"""A digest as people read it: the Arabic subject, the text part and the right-to-left HTML part.

The HTML is written for mail clients, not browsers: tables for layout, ``dir="rtl"`` and
``lang="ar"`` on every table and cell *and* ``direction: rtl`` inline (Outlook for Windows
ignores ``dir`` on some elements), every style inline (Gmail drops ``<style>`` in the body),
no scripts, no images. Latin runs (URLs, English names) sit in ``dir="ltr"`` spans so their
punctuation stays where it belongs. Every scraped string goes through :func:`html.escape`:
a headline with markup or a script arrives as text; a link is only ever http(s).

The text part comes first in the message; each of its lines starts with U+200F RIGHT-TO-LEFT
MARK, so clients that pick a paragraph's direction from its first strong character align it
right even when it starts with a number or a URL.
"""

from __future__ import annotations

import html
import re
from datetime import date
from urllib.parse import urlsplit

from monitor.deliver.digest import Digest, Entry, Item

__all__ = ["MONTHS", "RLM", "SUBTOPIC_NAMES", "arabic_date", "html_part", "subject", "text_part"]

RLM = "\u200f"
TITLE = "رصد: روسيا وكوريا الشمالية"

#: The lexicon's subtopics as a reader sees them (a subtopic of another lexicon: its name).
SUBTOPIC_NAMES = {
    "aid": "مساعدات",
    "diplomacy": "دبلوماسية",
    "military": "عسكري",
    "relations": "علاقات",
    "sanctions": "عقوبات",
    "space": "فضاء",
    "summit": "قمة",
    "trade": "تجارة",
    "transport": "نقل",
    "treaty": "معاهدة",
    "visit": "زيارة",
    "workers": "عمالة",
}
MONTHS = (
    "يناير",
    "فبراير",
    "مارس",
    "أبريل",
    "مايو",
    "يونيو",
    "يوليو",
    "أغسطس",
    "سبتمبر",
    "أكتوبر",
    "نوفمبر",
    "ديسمبر",
)
_FONT = "Tahoma,'Segoe UI',Arial,sans-serif"


def arabic_date(when: date) -> str:
    return f"{when.day} {MONTHS[when.month - 1]} {when.year}"


def _count(n: int, one: str, two: str, few: str, many: str) -> str:
    """An Arabic count: 1 قصة، 2 قصتان، 3–10 قصص، 11+ قصة."""
    if n == 1:
        return f"{one} واحدة" if one.endswith("ة") else f"{one} واحد"
    if n == 2:
        return two
    return f"{n} {few if 3 <= n % 100 <= 10 else many}"


def _stories(n: int) -> str:
    return _count(n, "قصة", "قصتان", "قصص", "قصة")


def counts_line(digest: Digest) -> str:
    """The header line: stories, articles, outlets, and the period covered."""
    start = digest.since or digest.first or digest.until
    period = f"من {arabic_date(start)} إلى {arabic_date(digest.until)}"
    if start.date() == digest.until.date():
        period = arabic_date(digest.until)
    return (
        f"القصص: {len(digest.entries)} · المقالات: {digest.articles} · "
        f"المصادر: {digest.outlets} · {period}"
    )


def subject(digest: Digest) -> str:
    return f"{TITLE} — {_stories(len(digest.entries))}، {arabic_date(digest.until)}"


def _tags(entry: Entry) -> str:
    return " · ".join(SUBTOPIC_NAMES.get(s, s) for s in entry.subtopics)


def _line(item: Item) -> str:
    return f"{item.outlet} · {arabic_date(item.when)}" + (" · نسخة" if item.copy else "")


# ---------------------------------------------------------------------------- text/plain


def text_part(digest: Digest, unsubscribe: str) -> str:
    lines = [TITLE, counts_line(digest), ""]
    for n, entry in enumerate(digest.entries, 1):
        lead = entry.lead
        lines.append(f"{n}. {lead.article.title}")
        lines.append(f"   {_line(lead)}" + (" · متابعة لقصة سابقة" if entry.follow_up else ""))
        if entry.subtopics:
            lines.append(f"   {_tags(entry)}")
        if entry.excerpt:
            lines.append(f"   {entry.excerpt}")
        lines.append(f"   {lead.article.url}")
        if entry.others:
            lines.append("   أوردته أيضًا:")
            for other in entry.others:
                lines.append(f"   - {_line(other)}: {other.article.title}")
                lines.append(f"     {other.article.url}")
        lines.append("")
    lines.append("—")
    lines.append("موجز آلي من رصد. لإيقاف هذه الرسائل: " + unsubscribe)
    return "\n".join(RLM + line.replace("\n", " ") if line else "" for line in lines) + "\n"


# ---------------------------------------------------------------------------- text/html

# A run of Latin script: from a Latin letter (or "<") to the last Latin letter, digit, ">" or
# ")" before the next Arabic letter, with whatever neutral characters lie between.
_LATIN = re.compile(
    r"[A-Za-z<][^\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]*[A-Za-z0-9>)]|[A-Za-z]"
)


def _bidi(text: str) -> str:
    """`text` escaped, its Latin runs wrapped so that they read left-to-right."""
    out, at = [], 0
    for match in _LATIN.finditer(text):
        out.append(html.escape(text[at : match.start()]))
        out.append(f'<span dir="ltr" style="direction:ltr;">{html.escape(match.group())}</span>')
        at = match.end()
    out.append(html.escape(text[at:]))
    return "".join(out)


_WEB = ("http", "https")


def _href(url: str, schemes: tuple[str, ...] = _WEB) -> str | None:
    """`url` for an href attribute (escaped), or None when its scheme is not one of `schemes`."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return None
    return html.escape(url, quote=True) if scheme in schemes else None


def _link(url: str, label_html: str, style: str, schemes: tuple[str, ...] = _WEB) -> str:
    href = _href(url, schemes)
    if href is None:
        return label_html
    return f'<a href="{href}" style="{style}">{label_html}</a>'


def _cell(content: str, style: str = "", align: str = "right") -> str:
    return (
        f'<td dir="rtl" lang="ar" align="{align}" style="direction:rtl;text-align:{align};'
        f'font-family:{_FONT};{style}">{content}</td>'
    )


def _table(rows: str, style: str = "", width: str = "100%") -> str:
    return (
        f'<table role="presentation" dir="rtl" lang="ar" width="{width}" cellpadding="0" '
        f'cellspacing="0" border="0" style="direction:rtl;border-collapse:collapse;{style}">'
        f"{rows}</table>"
    )


def _meta(item: Item, follow_up: bool = False) -> str:
    parts = [html.escape(item.outlet), html.escape(arabic_date(item.when))]
    if item.copy:
        parts.append("نسخة")
    if follow_up:
        parts.append("متابعة لقصة سابقة")
    return " · ".join(parts)


def _entry(n: int, entry: Entry) -> str:
    lead = entry.lead.article
    tags = "".join(
        f'<span style="display:inline-block;margin:0 0 4px 4px;padding:1px 8px;'
        f'border-radius:10px;background:#e6eef5;color:#0f3d5e;font-size:12px;">'
        f"{html.escape(SUBTOPIC_NAMES.get(s, s))}</span>"
        for s in entry.subtopics
    )
    headline = _link(
        lead.url,
        _bidi(lead.title),
        "color:#0f3d5e;text-decoration:none;font-size:18px;font-weight:bold;",
    )
    body = [
        f'<div style="margin:0 0 6px 0;">{tags}</div>' if tags else "",
        f'<div style="font-size:18px;line-height:1.5;font-weight:bold;">{n}. {headline}</div>',
        f'<div style="font-size:13px;color:#6b7280;margin:4px 0;">'
        f"{_meta(entry.lead, entry.follow_up)}</div>",
        f'<div style="font-size:15px;line-height:1.8;color:#1f2937;margin:6px 0;">'
        f"{_bidi(entry.excerpt)}</div>"
        if entry.excerpt
        else "",
    ]
    if entry.others:
        rows = _cell("أوردته أيضًا:", "font-size:13px;color:#374151;font-weight:bold;padding:4px 0;")
        others = [f"<tr>{rows}</tr>"]
        for other in entry.others:
            link = _link(
                other.article.url,
                html.escape(other.outlet),
                "color:#0f3d5e;text-decoration:underline;",
            )
            extra = " · ".join(
                p for p in (arabic_date(other.when), "نسخة" if other.copy else "") if p
            )
            others.append(
                "<tr>"
                + _cell(
                    f"• {link} — {_bidi(other.article.title)} "
                    f'<span style="color:#6b7280;">({html.escape(extra)})</span>',
                    "font-size:13px;line-height:1.7;color:#374151;padding:2px 0;",
                )
                + "</tr>"
            )
        body.append(_table("".join(others), "margin-top:6px;"))
    return (
        "<tr>"
        + _cell("".join(body), "padding:16px 24px;border-bottom:1px solid #e5e7eb;")
        + "</tr>"
    )


def html_part(digest: Digest, unsubscribe: str) -> str:
    header = _cell(
        f'<div style="font-size:22px;font-weight:bold;">{html.escape(TITLE)}</div>'
        f'<div style="font-size:14px;margin-top:6px;">{html.escape(counts_line(digest))}</div>',
        "padding:20px 24px;background:#0f3d5e;color:#ffffff;",
    )
    footer = _cell(
        "موجز آلي من رصد: قصة واحدة لكل حدث، وتحتها ما نقلته المصادر الأخرى. "
        + _link(unsubscribe, "إيقاف هذه الرسائل", "color:#6b7280;", ("https", "mailto")),
        "padding:16px 24px;font-size:12px;color:#6b7280;",
    )
    rows = f"<tr>{header}</tr>" + "".join(_entry(n, e) for n, e in enumerate(digest.entries, 1))
    inner = _table(rows + f"<tr>{footer}</tr>", "max-width:640px;background:#ffffff;", "640")
    outer = _table(
        "<tr>" + _cell(inner, "padding:16px 8px;", align="center") + "</tr>", "background:#f3f4f6;"
    )
    title = html.escape(subject(digest))
    return (
        '<!DOCTYPE html>\n<html dir="rtl" lang="ar">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n</head>\n"
        '<body dir="rtl" lang="ar" style="margin:0;padding:0;direction:rtl;text-align:right;'
        f'background:#f3f4f6;">\n{outer}\n</body>\n</html>\n'
    )
