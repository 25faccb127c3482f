"""Draw docs/digest.png, the README's picture of a real digest: the fixture news site (two
outlets: own write-ups and wire copies) is crawled into a scratch store, `rasad digest
--dry-run -o` writes the message, and headless Chromium renders its HTML part.

    .venv/bin/python docs/digest_screenshot.py      # needs chromium on PATH
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from email import message_from_bytes, policy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fixture_site import NewsSite, fresh_stories  # noqa: E402
from test_crawl_e2e import rasad  # noqa: E402
from test_digest_e2e import SHOIGU, TREATY, config_text  # noqa: E402
from test_digest_render import screenshot  # noqa: E402


def main() -> None:
    scratch = Path(tempfile.mkdtemp(prefix="rasad-digest-"))
    first, wire = NewsSite(site_name="الأولى"), NewsSite(site_name="وكالة الأنباء المتحدة")
    stories = fresh_stories()
    own = [*stories, replace(SHOIGU, title="شويغو يصل إلى بيونغ يانغ على رأس وفد عسكري"), TREATY]
    first.add_feed("/feed/", own, form="rss2")
    first.add_articles(own)
    copy = replace(stories[0], slug="wire-0", title="روسيا تدعم الحوار بين الكوريتين")
    wire.add_feed("/rss.xml", [copy], form="rss2")
    wire.add_article(copy)
    with first, wire:
        config = config_text(scratch, {"first": first, "wire": wire}, 25)
        assert rasad("crawl", "--config", str(config)).returncode == 0
        eml = scratch / "digest.eml"
        done = rasad("digest", "--config", str(config), "--dry-run", "-o", str(eml))
        assert done.returncode == 0, done.stderr
    msg = message_from_bytes(eml.read_bytes(), policy=policy.default)
    page = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    png = screenshot(page, scratch, "digest")
    target = REPO / "docs" / "digest.png"
    target.write_bytes(png.read_bytes())
    print(f"wrote {target} (message: {eml})")


if __name__ == "__main__":
    main()
