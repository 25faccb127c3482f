"""Turn a fetched document's bytes into text, honestly.

Arabic news sites are a museum of encodings: windows-1256 pages served with
``charset=utf-8``, UTF-8 pages whose ``<meta>`` still says windows-1256, feeds
declared ISO-8859-1 that are really cp1256 Arabic.  Everything downstream (feed
parsing, extraction, relevance, dedup) works on text, so this one module decides
how bytes become text and says so when a declaration was wrong.

Order: byte-order mark; charset of the HTTP Content-Type; the document's own
declaration (XML declaration or ``<meta>``, in the first KB); then UTF-8, then a
byte-level look at whether the text is Arabic windows-1256 or Latin windows-1252.
A declaration is believed only when it fits the bytes: strict decoding must
succeed, a single-byte declaration is rejected when the bytes are (nearly) valid
UTF-8, and a Latin one is rejected when the bytes read as Arabic in cp1256 while
reading as mojibake in Latin.  cp1256 keeps é à ç è ê î ô ù û ü at their Latin-1
positions, so accented Latin text is recognised by its high bytes sitting inside
ASCII words, and a genuine French or Portuguese Latin-1 page stays Latin.

Latin-1 and ASCII labels are decoded as windows-1252 (its superset), as browsers
do.  No chardet: the checks are a few C-speed decodes and byte regexes, cheap
enough for every page of a 30k-page backfill.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Decoded", "decode_document", "normalise_label"]

_SNIFF_BYTES = 8192  # how far into the document declarations are looked for
_CLASSIFY_BYTES = 262_144  # how much of the body the Arabic/Latin heuristic reads


@dataclass(frozen=True)
class Decoded:
    """A document as text, with how it was decoded."""

    text: str
    encoding: str  # the Python codec actually used, e.g. "utf-8", "cp1256"
    declared: str | None = None  # the first charset label found (header, else document)
    note: str | None = None  # set when a declaration was wrong or bytes were replaced


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_LATIN = "cp1252"
_ALIASES = {
    "utf8": "utf-8",
    "unicode-1-1-utf-8": "utf-8",
    "x-unicode20utf8": "utf-8",
    "windows-1256": "cp1256",
    "x-cp1256": "cp1256",
    "win-1256": "cp1256",
    "windows1256": "cp1256",
    "cp-1256": "cp1256",
    "iso-8859-6-i": "iso8859-6",
    "iso-8859-6-e": "iso8859-6",
    "csisolatinarabic": "iso8859-6",
}
# WHATWG: these all mean windows-1252 on the web.
_ALIASES.update(
    dict.fromkeys(
        ("iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "ascii",
         "us-ascii", "ansi_x3.4-1968", "windows-1252", "cp1252", "x-cp1252", "cp819"),
        _LATIN,
    )
)  # fmt: skip
# Codecs Python knows that no web document is really in (or that are unsafe to honour).
_REFUSED = {
    "utf-7", "undefined", "unicode-escape", "raw-unicode-escape", "idna", "punycode",
    "charmap", "palmos",
}  # fmt: skip
_WIDE = ("utf-16", "utf-32")  # need NUL bytes; never right for an ASCII-compatible document
_LATIN_FAMILY = {"cp1252", "iso8859-1", "iso8859-15", "cp1250", "iso8859-2", "ascii"}

_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([^\s\"';,]+)", re.I)
_XML_DECL = re.compile(rb"^\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']\s*([A-Za-z0-9._:-]+)", re.I)
_META = re.compile(rb"<meta\b[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9._:-]+)", re.I)


def normalise_label(label: str) -> str | None:
    """Map a charset label to the Python codec to decode with, or None if unusable."""
    key = label.strip().strip("\"'").lower()
    if key in _ALIASES:
        return _ALIASES[key]
    try:
        info = codecs.lookup(key)
    except LookupError:
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _REFUSED:
        return None
    return _LATIN if info.name in ("iso8859-1", "ascii") else info.name


def decode_document(body: bytes, content_type: str | None = None) -> Decoded:
    """Decode a fetched document; see the module docstring for the order of evidence."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return _decode_with_bom(body[len(bom) :], codec, content_type)
    header_label = _header_charset(content_type)
    doc_label = _document_charset(body[:_SNIFF_BYTES])
    declared = header_label or doc_label
    problems: list[str] = []
    for where, label in (("HTTP header", header_label), ("document", doc_label)):
        if label is None:
            continue
        result = _try_declared(body, label, where == "document")
        if isinstance(result, str):
            problems.append(f"{where} charset {label!r} {result}")
            continue
        text, codec, note = result
        return Decoded(text, codec, declared, _join(*problems, note))
    return _fallback(body, declared, problems)


def _decode_with_bom(rest: bytes, codec: str, content_type: str | None) -> Decoded:
    declared = _header_charset(content_type)
    overridden = None
    if declared and normalise_label(declared) not in (codec, codec[:6], None):
        overridden = f"HTTP header charset {declared!r} overridden by a {codec} byte-order mark"
    try:
        return Decoded(rest.decode(codec), codec, declared, overridden)
    except UnicodeDecodeError:
        text = rest.decode(codec, errors="replace")
        return Decoded(text, codec, declared, _join(overridden, f"invalid {codec} replaced"))


def _header_charset(content_type: str | None) -> str | None:
    match = _HEADER_CHARSET.search(content_type or "")
    return match.group(1).lower() if match else None


def _document_charset(head: bytes) -> str | None:
    match = _XML_DECL.match(head) or _META.search(head)
    return match.group(1).decode("ascii").lower() if match else None


def _try_declared(body: bytes, label: str, in_document: bool) -> tuple[str, str, str | None] | str:
    """Decode with a declared label: (text, codec, note), or a reason it does not fit."""
    codec = normalise_label(label)
    if codec is None:
        return "is unknown and was ignored"
    if codec.startswith(_WIDE):
        if in_document or b"\x00" not in body[:512]:
            return "cannot describe these ASCII-compatible bytes"
    elif _is_single_byte(codec):
        return _try_single_byte(body, codec)
    try:
        return body.decode(codec), codec, None
    except UnicodeDecodeError:
        pass
    if codec == "utf-8" and _mostly_utf8(body):
        return _utf8_replaced(body)
    return f"does not fit the bytes (invalid {codec})"


def _try_single_byte(body: bytes, codec: str) -> tuple[str, str, str | None] | str:
    if body.isascii():
        return body.decode(codec), codec, None
    if _valid_utf8(body) or _mostly_utf8(body):
        return "is wrong: the bytes are UTF-8"
    if codec in _LATIN_FAMILY and _classify(body) == "arabic":
        return "is wrong: the bytes are Arabic windows-1256"
    try:
        return body.decode(codec), codec, None
    except UnicodeDecodeError:
        if codec == _LATIN:  # bytes windows-1252 leaves undefined: plain Latin-1 then
            return body.decode("iso8859-1"), "iso8859-1", None
        return f"does not fit the bytes (invalid {codec})"


def _fallback(body: bytes, declared: str | None, problems: list[str]) -> Decoded:
    """No usable declaration: UTF-8, else Arabic cp1256, else Latin, else UTF-8 replaced."""
    if _valid_utf8(body):
        note = _join(*problems, "decoded as utf-8") if problems else None
        return Decoded(body.decode("utf-8"), "utf-8", declared, note)
    if b"\x00" in body[:_SNIFF_BYTES]:
        text, codec, note = _utf8_replaced(body)
        return Decoded(text, codec, declared, _join(*problems, "the bytes look binary", note))
    if _mostly_utf8(body):
        text, codec, note = _utf8_replaced(body)
        return Decoded(text, codec, declared, _join(*problems, note))
    if _classify(body) == "latin":
        codec = _LATIN if _decodes(body, _LATIN) else "iso8859-1"
        guess = f"decoded as {codec} (Latin text)"
    else:
        codec, guess = "cp1256", "decoded as cp1256 (Arabic windows-1256)"
    lead = problems or ["no usable charset declaration"]
    return Decoded(body.decode(codec), codec, declared, _join(*lead, guess))


def _utf8_replaced(body: bytes) -> tuple[str, str, str]:
    text = body.decode("utf-8", errors="replace")
    return text, "utf-8", f"{text.count(chr(0xFFFD))} invalid UTF-8 sequence(s) replaced"


def _join(*parts: str | None) -> str | None:
    text = "; ".join(part for part in parts if part)
    return text or None


def _decodes(body: bytes, codec: str) -> bool:
    try:
        body.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _valid_utf8(body: bytes) -> bool:
    return _decodes(body, "utf-8")


def _mostly_utf8(body: bytes) -> bool:
    """UTF-8 with a few damaged sequences (a truncated character), not another encoding."""
    text = body[:_CLASSIFY_BYTES].decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = len(text) - len(text.encode("ascii", errors="ignore")) - bad
    return good >= 20 and bad * 20 <= good


@lru_cache(maxsize=64)
def _is_single_byte(codec: str) -> bool:
    """True when every byte decodes on its own (multi-byte decoders buffer lead bytes)."""
    try:
        decoder = codecs.getincrementaldecoder(codec)(errors="replace")
    except LookupError:
        return False
    return all(len(decoder.decode(bytes([byte]))) == 1 for byte in range(0x80, 0x100))


def _arabic_byte_class() -> bytes:
    """The bytes that cp1256 maps to Arabic letters or harakat, as a regex class."""
    found = bytearray()
    for byte in range(0x80, 0x100):
        char = bytes([byte]).decode("cp1256")
        if "\u0600" <= char <= "\u06ff" and unicodedata.category(char)[0] in "LM":
            found.append(byte)
    return b"[" + b"".join(re.escape(bytes([b])) for b in found) + b"]"


# Runs of >=2 Arabic cp1256 letters standing apart from ASCII letters: real Arabic words.
_ARABIC_RUN = re.compile(rb"(?<![A-Za-z])" + _arabic_byte_class() + rb"{2,}(?![A-Za-z])")
# High bytes glued to ASCII letters: accented Latin words (café, für, informações).
_LATIN_RUN = re.compile(rb"(?<=[A-Za-z])[\x80-\xff]+|[\x80-\xff]+(?=[A-Za-z])")


def _classify(body: bytes) -> str:
    """'arabic' when the high bytes read as Arabic words in cp1256, 'latin' when they sit
    inside Latin words, '' when there is too little evidence either way."""
    sample = body[:_CLASSIFY_BYTES]
    arabic = sum(len(m) for m in _ARABIC_RUN.findall(sample))
    latin = sum(len(m) for m in _LATIN_RUN.findall(sample))
    if arabic >= 4 and arabic > 3 * latin:
        return "arabic"
    if latin > 0 and latin >= arabic:
        return "latin"
    return ""
