"""`[crawl] concurrency_per_host` holds with `download_delay = 0`: a site whose every answer
takes 0.3 s never sees more requests at once than the limit, and sees the limit reached (so
the test would notice a crawl that ran one request at a time, or sixteen)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from fixture_site import demo_site, fresh_stories, rasad_config

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("limit", [2, 4])
def test_no_more_requests_at_once_than_the_per_host_limit(tmp_path: Path, limit: int) -> None:
    site = demo_site(fresh_stories() * 1, page_delay=0.3)
    with site:
        config = tmp_path / "rasad.toml"
        config.write_text(
            rasad_config(
                site,
                f"sqlite:///{tmp_path}/rasad.db",
                download_delay=0.0,
                crawl={"concurrency_per_host": limit},
            ),
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if k != "RASAD_CONFIG"}
        result = subprocess.run(
            [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config)],
            capture_output=True,
            text=True,
            timeout=180,
            cwd=REPO,
            env=env,
        )
        assert result.returncode in (0, 1), result.stderr
        pages = len(site.article_requests())
    assert pages >= 8  # enough requests for the limit to be tested
    assert site.max_in_flight == limit, f"{site.max_in_flight} at once, limit {limit}"
