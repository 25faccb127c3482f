"""The digest's HTML part as a browser draws it: headless Chromium (Debian's chromium package,
which .ci/run installs when missing) renders it to a PNG, kept in the test's tmp dir, and the
picture is checked for a right-to-left layout: the text lines of the entries end flush at the
right margin and start wherever their length puts them, and the same page forced left-to-right
is the mirror image (the check can fail).
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from PIL import Image
from test_digest import NOW, article

from monitor.deliver.digest import build_digest
from monitor.deliver.digest_render import html_part

pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WIDTH = 640

needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (.ci/run installs Debian's chromium package)"
)


def screenshot(page: str, tmp_path: Path, name: str) -> Path:
    """`page` rendered by headless Chromium at WIDTH px; the PNG stays in tmp_path."""
    source, png = tmp_path / f"{name}.html", tmp_path / f"{name}.png"
    source.write_text(page, encoding="utf-8")
    assert CHROMIUM
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-sync",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
            f"--user-data-dir={tmp_path / 'chromium-profile'}",
            f"--window-size={WIDTH},1100",
            f"--screenshot={png}",
            source.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return png


def text_lines(png: Path) -> list[tuple[int, int]]:
    """(leftmost, rightmost) x of the dark ink of each line of text on a light background
    (a run of at least 6 pixel rows with ink: the dots under a line are not a line)."""
    image = Image.open(png).convert("L")
    width, height = image.size
    pixels = image.load()
    assert pixels is not None
    lines: list[tuple[int, int]] = []
    edges: list[int] = []
    rows = 0
    for y in range(height):
        dark = [x for x in range(width) if pixels[x, y] < 150]
        if dark and len(dark) < width * 0.5:  # ink, not a dark band (the header)
            edges.extend((min(dark), max(dark)))
            rows += 1
            continue
        if rows >= 6 and max(edges) - min(edges) > 20:
            lines.append((min(edges), max(edges)))
        edges, rows = [], 0
    return lines


def flush(edges: list[int], tolerance: int = 12) -> float:
    """The share of `edges` within `tolerance` px of the most common one."""
    common = max(set(edges), key=edges.count)
    return sum(abs(e - common) <= tolerance for e in edges) / len(edges)


def sample_page() -> str:
    stored = [
        article(1, title="لافروف يصل إلى بيونغ يانغ في زيارة رسمية تستغرق يومين", hours_ago=5),
        article(2, story="http://news.example/1", source="beta", title="زيارة لافروف", hours_ago=4),
        article(3, title="شويغو يتفقد معرضا للأسلحة", hours_ago=1, subtopics=("military",)),
        article(4, title="الدوما يصادق على المعاهدة مع كوريا الشمالية", subtopics=("treaty",)),
    ]
    digest = build_digest(stored, recipient="a@example.org", until=NOW, outlets={"alpha": "ألفا"})
    return html_part(digest, "mailto:rasad@example.org?subject=unsubscribe")


@needs_chromium
def test_chromium_draws_the_digest_right_to_left(tmp_path: Path) -> None:
    page = sample_page()
    rtl = text_lines(screenshot(page, tmp_path, "digest"))
    ltr_page = page.replace('dir="rtl"', 'dir="ltr"').replace("direction:rtl", "direction:ltr")
    ltr = text_lines(
        screenshot(
            ltr_page.replace("text-align:right", "text-align:left").replace(
                'align="right"', 'align="left"'
            ),
            tmp_path,
            "mirror",
        )
    )
    assert len(rtl) >= 12, rtl  # the entries, their meta lines, excerpts, also-reported-by

    rights, lefts = [r for _, r in rtl], [left for left, _ in rtl]
    assert flush(rights) >= 0.9, rtl  # flush right (glyph shapes differ by a few px)
    assert flush(lefts) < 0.5, rtl  # ragged left
    assert max(rights) > WIDTH * 0.8
    # forced left-to-right, the same page is flush left: the measure tells the two apart
    assert flush([left for left, _ in ltr]) >= 0.9 and flush([r for _, r in ltr]) < 0.5, ltr
