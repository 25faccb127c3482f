"""decode_document: real Arabic pages with their real headers, and the mislabellings
Arabic outlets actually commit (cp1256 served as UTF-8, UTF-8 pages whose <meta> still
says windows-1256, Arabic declared as ISO-8859-1), without breaking genuine Latin-1."""

from __future__ import annotations

import bz2
import dataclasses
import json
import re
from pathlib import Path

import pytest

from monitor.text.encoding import Decoded, decode_document, normalise_label

ARABIC = (
    "<html><head><title>بوتين يستقبل كيم جونغ أون في موسكو</title></head><body>"
    "<p>قال الكرملين إن الرئيس الروسي فلاديمير بوتين سيلتقي الزعيم الكوري الشمالي "
    "لبحث التعاون العسكري بين البلدين، وفق ما نقلت وكالة الأنباء الرسمية.</p></body></html>"
)
CP1256 = ARABIC.encode("cp1256")
FRENCH = "<p>Les élèves à l'école ont mangé des crêpes. Ça va très bien, où est le garçon ?</p>"
PORTUGUESE = "<p>Informações úteis: notícias, eleições e previsões para São Paulo.</p>"


# Real material comes from ../shared/data through conftest's `shared_data` fixture, which
# skips with the reason when it is absent.


def _real_page(shared_data: Path, prefix: str) -> tuple[bytes, str | None]:
    pages = shared_data / "pages" / "guessenc-encodings"
    (page,) = (pages / "html").glob(prefix + "*.bz2")
    headers = json.loads((pages / "headers" / page.name[: -len(".bz2")]).read_text())
    return bz2.decompress(page.read_bytes()), headers.get("Content-Type")


def _title(text: str) -> str:
    match = re.search(r"<title>(.*?)</title>", text, re.S)
    assert match, "page has no <title>"
    return match.group(1).strip()


# -- real pages ----------------------------------------------------------------------------

REAL_PAGES = [
    ("httpalfajertv", "utf-8", "قطر تبدأ بتوزيع مساعدات نقدية"),
    ("httpswwwaljazeera", "utf-8", "هجوم أرامكو"),
    ("httpwwwfatehwatan", "cp1256", "مجدلاني: صفقة القرن"),
    ("httpwwwsanaanews", "cp1256", "السياسة الامريكية والعزلة الدولية"),
]


@pytest.mark.parametrize(("prefix", "encoding", "title_part"), REAL_PAGES)
def test_real_pages_decode_with_their_real_headers(shared_data, prefix, encoding, title_part):
    body, content_type = _real_page(shared_data, prefix)
    decoded = decode_document(body, content_type)
    assert decoded.encoding == encoding
    assert title_part in _title(decoded.text)
    assert "\ufffd" not in decoded.text
    assert decoded.note is None


@pytest.mark.parametrize("prefix", ["httpwwwfatehwatan", "httpwwwsanaanews"])
def test_real_cp1256_page_served_with_a_wrong_utf8_header(shared_data, prefix):
    body, _ = _real_page(shared_data, prefix)
    decoded = decode_document(body, "text/html; charset=UTF-8")
    assert decoded.encoding == "cp1256"
    assert decoded.declared == "utf-8"
    assert "HTTP header charset 'utf-8'" in decoded.note
    assert "\ufffd" not in decoded.text


@pytest.mark.parametrize("prefix", ["httpalfajertv", "httpswwwaljazeera"])
def test_real_utf8_page_served_with_a_wrong_windows1256_header(shared_data, prefix):
    body, _ = _real_page(shared_data, prefix)
    decoded = decode_document(body, "text/html; charset=windows-1256")
    assert decoded.encoding == "utf-8"
    assert "the bytes are UTF-8" in decoded.note
    assert re.search("[\u0621-\u064a]{4}", _title(decoded.text))


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("rss-parser/input/encoding.rss", "Jornal de Notícias - Últimas Notícias"),
        ("feed-rs/rss0/rss_0.91_encoding_1.xml", "Informações Úteis"),
        ("feed-rs/rss2/rss_2.0_encoding_1.xml", "Notícias de ciência, tecnologia e inovação"),
        ("feed-rs/xml/xml_iso8859.xml", "Förderung für den Ausbau"),
    ],
)
def test_real_iso_8859_1_feeds_stay_latin(shared_data, path, expected):
    decoded = decode_document((shared_data / "feeds" / path).read_bytes(), None)
    assert decoded.declared == "iso-8859-1"
    assert decoded.encoding == "cp1252"
    assert expected in decoded.text
    assert decoded.note is None


def test_real_undeclared_latin_feed_is_recognised_as_latin(shared_data):
    body = (shared_data / "feeds/rss-parser/input/uolNoticias.rss").read_bytes()
    decoded = decode_document(body, "application/rss+xml")
    assert decoded.encoding == "cp1252"
    assert "simulações de 2º turno" in decoded.text
    assert "no usable charset declaration" in decoded.note


# -- generated Arabic cases --------------------------------------------------------------

GENERATED = [
    # (case, body, content type, expected codec, declared, note must mention)
    ("cp1256 served as utf-8", CP1256, "text/html; charset=utf-8", "cp1256", "utf-8", "utf-8"),
    ("cp1256, no declaration", CP1256, None, "cp1256", None, "no usable charset"),
    ("cp1256, no charset in header", CP1256, "text/html", "cp1256", None, "no usable charset"),
    ("cp1256 as Apache's latin-1", CP1256, "text/html; charset=ISO-8859-1", "cp1256",
     "iso-8859-1", "Arabic windows-1256"),
    ("cp1256 as cp1252", CP1256, "text/html; charset=windows-1252", "cp1256", "windows-1252",
     "Arabic windows-1256"),
    ("meta says latin-1", b'<meta charset="iso-8859-1">' + CP1256, None, "cp1256",
     "iso-8859-1", "Arabic windows-1256"),
    ("iso-8859-6 label, cp1256 bytes", CP1256, "text/html; charset=iso-8859-6", "cp1256",
     "iso-8859-6", "invalid iso8859-6"),
    ("junk label x-user-defined", CP1256, "text/html; charset=x-user-defined", "cp1256",
     "x-user-defined", "unknown"),
    ("header cp1256 right", CP1256, "text/html; charset=windows-1256", "cp1256",
     "windows-1256", None),
    ("xml declaration windows-1256", b'<?xml version="1.0" encoding="windows-1256"?>\n' + CP1256,
     "application/rss+xml", "cp1256", "windows-1256", None),
    ("http-equiv meta cp1256",
     b'<meta http-equiv="Content-Type" content="text/html; charset=CP1256" />' + CP1256, None,
     "cp1256", "cp1256", None),
    ("utf-8, meta still says windows-1256",
     b'<meta http-equiv="Content-Type" content="text/html; charset=windows-1256">'
     + ARABIC.encode(), None, "utf-8", "windows-1256", "the bytes are UTF-8"),
    ("utf-8, header says latin-1", ARABIC.encode(), "text/html; charset=iso-8859-1", "utf-8",
     "iso-8859-1", "the bytes are UTF-8"),
    ("utf-8 with a BOM against a cp1256 header", b"\xef\xbb\xbf" + ARABIC.encode(),
     "text/html; charset=windows-1256", "utf-8", "windows-1256", "byte-order mark"),
    ("utf-16 with a BOM", ARABIC.encode("utf-16"), None, "utf-16-le", None, None),
    ("genuine iso-8859-6", ARABIC.encode("iso8859-6"), "text/html; charset=ISO-8859-6",
     "iso8859-6", "iso-8859-6", None),
    ("header and meta disagree, meta right",
     b'<meta charset="windows-1256">' + CP1256, "text/html; charset=utf-8", "cp1256", "utf-8",
     "HTTP header charset 'utf-8'"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "declared", "note"),
    [case[1:] for case in GENERATED],
    ids=[case[0] for case in GENERATED],
)
def test_generated_arabic_cases(body, content_type, encoding, declared, note):
    decoded = decode_document(body, content_type)
    assert decoded.encoding == encoding
    assert decoded.declared == declared
    assert "بوتين يستقبل كيم جونغ أون في موسكو" in decoded.text
    assert not decoded.text.startswith("\ufeff")
    if note is None:
        assert decoded.note is None
    else:
        assert note in decoded.note


def test_genuine_latin1_french_page_stays_latin():
    decoded = decode_document(FRENCH.encode("latin-1"), "text/html; charset=iso-8859-1")
    assert decoded.text == FRENCH
    assert decoded.encoding == "cp1252"
    assert decoded.note is None


@pytest.mark.parametrize("text", [FRENCH, PORTUGUESE])
def test_undeclared_latin_text_is_not_mistaken_for_arabic(text):
    decoded = decode_document(text.encode("latin-1"), None)
    assert decoded.text == text
    assert decoded.encoding == "cp1252"


def test_latin1_label_is_read_as_windows_1252_like_browsers():
    body = "<p>\u201cquoted\u201d \u2014 caf\u00e9</p>".encode("cp1252")
    decoded = decode_document(body, "text/html; charset=latin1")
    assert decoded.text == "<p>\u201cquoted\u201d \u2014 caf\u00e9</p>"


def test_latin1_bytes_undefined_in_windows_1252_fall_back_to_latin1():
    body = b"<p>caf\xe9 \x81 na\xefve r\xe9sum\xe9</p>"
    decoded = decode_document(body, "text/html; charset=iso-8859-1")
    assert decoded.encoding == "iso8859-1"
    assert decoded.text == body.decode("latin-1")


def test_pure_ascii_without_declaration_is_utf8_without_a_note():
    decoded = decode_document(b"<rss><channel><title>News</title></channel></rss>")
    assert (decoded.encoding, decoded.declared, decoded.note) == ("utf-8", None, None)


def test_truncated_utf8_character_is_replaced_not_misread_as_cp1256():
    raw = ARABIC.encode()
    body = raw + b"<p>" + "خبر عاجل".encode()[:-1] + b"</p>"  # last character cut in half
    decoded = decode_document(body, "text/html; charset=utf-8")
    assert decoded.encoding == "utf-8"
    assert ARABIC in decoded.text
    assert decoded.text.count("\ufffd") == 1
    assert decoded.note == "1 invalid UTF-8 sequence(s) replaced"  # the label was right


def test_binary_body_is_replaced_utf8_with_a_note():
    decoded = decode_document(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe\x00\x01")
    assert decoded.encoding == "utf-8"
    assert "binary" in decoded.note
    assert "\ufffd" in decoded.text


def test_declaration_beyond_the_sniffing_window_is_not_used():
    body = b"<html><head>" + b" " * 9000 + b'<meta charset="iso-8859-1">' + CP1256
    decoded = decode_document(body)
    assert decoded.declared is None
    assert decoded.encoding == "cp1256"


@pytest.mark.parametrize("padding", [b"", b" "])  # even and odd lengths
def test_utf16_declared_inside_an_ascii_compatible_document_is_ignored(padding):
    body = b'<?xml version="1.0" encoding="UTF-16"?><rss>' + ARABIC.encode() + padding + b"</rss>"
    decoded = decode_document(body)
    assert decoded.encoding == "utf-8"
    assert ARABIC in decoded.text
    assert "'utf-16' cannot describe these ASCII-compatible bytes" in decoded.note


@pytest.mark.parametrize("padding", [b"", b" "])
def test_utf16_header_without_nul_bytes_is_ignored(padding):
    body = ARABIC.encode() + padding
    decoded = decode_document(body, "text/html; charset=utf-16")
    assert decoded.encoding == "utf-8"
    assert decoded.text.startswith(ARABIC)


def test_utf16_header_with_real_utf16_bytes_is_honoured():
    decoded = decode_document(ARABIC.encode("utf-16-le"), "text/html; charset=utf-16le")
    assert decoded.encoding == "utf-16-le"
    assert decoded.text == ARABIC


def test_decoded_is_frozen():
    decoded = decode_document(b"abc")
    assert isinstance(decoded, Decoded)
    with pytest.raises(dataclasses.FrozenInstanceError):
        decoded.text = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf8", "utf-8"),
        ("UTF-8", "utf-8"),
        (' "utf-8" ', "utf-8"),
        ("windows-1256", "cp1256"),
        ("CP1256", "cp1256"),
        ("x-cp1256", "cp1256"),
        ("iso-8859-6", "iso8859-6"),
        ("ISO_8859-6", "iso8859-6"),
        ("ASMO-708", "iso8859-6"),
        ("iso-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("ISO8859_1", "cp1252"),  # Python's own spellings of Latin-1 and ASCII too
        ("646", "cp1252"),
        ("x-user-defined", None),
        ("utf-7", None),
        ("base64", None),
        ("rot13", None),
        ("", None),
    ],
)
def test_normalise_label(label, codec):
    assert normalise_label(label) == codec
