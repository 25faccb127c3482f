"""Relevance through the whole pipeline: crawl a site, judge the extracted text, rescore.

The unit tests (test_relevance.py) judge texts directly; these check that what reaches the
scorer is the extracted article (not the page, whose sidebar mentions everything), that the
outcome is stored with its verdict, and that `rasad rescore` moves stored articles when the
threshold changes.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from fixture_site import (
    AntCorpus,
    FeedLink,
    NewsSite,
    demo_site,
    fresh_stories,
    load_seed_articles,
    mentions_russia_and_north_korea,
    seed_site,
)
from test_crawl_e2e import export, rasad, write_config

from monitor.text.urls import canonical_url

REPO = Path(__file__).resolve().parents[1]
LABELS = REPO / "bench" / "devset" / "relevance_labels.tsv"

pytestmark = pytest.mark.slow


def ant_labels() -> dict[str, str]:
    """DOCNO -> relation | mention, from the hand-labelled dev set."""
    labels = {}
    for line in LABELS.read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip() or line.startswith("path\t"):
            continue
        path, label = line.split("\t")[:2]
        labels[Path(path).stem] = label
    return labels


def test_kept_articles_match_the_labelled_dev_set(ant_cache: AntCorpus, tmp_path: Path) -> None:
    labels = ant_labels()
    articles = ant_cache.articles(500, filter=mentions_russia_and_north_korea)
    labelled = [a for a in articles if a.origin.removeprefix("ant:") in labels]
    assert len(labelled) >= 150  # about 186 ANT articles name both sides
    with demo_site(labelled, seeds=True) as site:
        config = write_config(tmp_path, site, crawl={"concurrency_per_host": 8})
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 0, result.stdout + result.stderr
        by_url = {canonical_url(site.url_for(a)): a for a in labelled}
        seeds = {a.title for a in load_seed_articles()}
        tp = fp = fn = tn = 0
        records = export(config, "--all")
        for record in records:
            kept = record["status"] in ("new", "duplicate")
            if record["title"] in seeds:
                assert kept, f"seed judged off topic: {record['title']}"
                assert record["subtopics"], "a kept article says which subtopics matched"
                continue
            article = by_url[str(record["canonical_url"])]
            relation = labels[article.origin.removeprefix("ant:")] == "relation"
            tp += kept and relation
            fp += kept and not relation
            fn += (not kept) and relation
            tn += (not kept) and not relation
        precision = tp / (tp + fp)
        recall = tp / (tp + fn)
        print(
            f"\nrelevance end to end: {tp + fn} relation, {fp + tn} mention; "
            f"precision {precision:.2f}, recall {recall:.2f}"
        )
        assert precision >= 0.9 and recall >= 0.9
        assert len(records) == len(labelled) + 5


def test_a_sidebar_mention_does_not_make_a_page_on_topic(shared_data: Path, tmp_path: Path) -> None:
    """jawharafm pages name North Korea only in a sidebar headline: judged on extracted text."""
    folder = shared_data / "pages" / "jawharafm-pairs"
    pages = sorted(folder.glob("*/*.html"))[:4]
    assert pages
    site = NewsSite()
    site.add_feed("/feed/", [], form="rss2")
    for n, page in enumerate(pages):
        path = f"/jawhara/{n}.html"
        site.set_response(path, 200, page.read_bytes())
        site.add_to_feed("/feed/", FeedLink(path=path, title=f"خبر {n}"))
    with site:
        raw = [site.url(f"/jawhara/{n}.html") for n in range(len(pages))]
        config = write_config(tmp_path, site)
        assert rasad("crawl", "--config", str(config)).returncode == 0
    records = export(config, "--all")
    assert sorted(r["url"] for r in records) == sorted(raw)
    assert {r["status"] for r in records} == {"off_topic"}
    db = sqlite3.connect(tmp_path / "rasad.db")
    verdicts = [json.loads(v) for (v,) in db.execute("SELECT verdict FROM articles")]
    assert all(v["on_topic"] is False and "score" in v for v in verdicts)


def narrowed_lexicon(tmp_path: Path) -> Path:
    """The shipped lexicon with every North Korea term replaced by one no article contains:
    what an analyst's bad edit looks like, and enough to turn every seed off topic."""
    text = (REPO / "seeds" / "lexicon.toml").read_text(encoding="utf-8")
    narrowed, count = re.subn(
        r"(\[\[side\.dprk\]\]\n(?:(?!\[\[).)*?terms = )\[[^\]]*\]",
        r'\1["جزيرة الكنز"]',
        text,
        flags=re.DOTALL,
    )
    assert count >= 5
    path = tmp_path / "narrowed.toml"
    path.write_text(narrowed, encoding="utf-8")
    return path


def test_rescore_moves_articles_when_the_lexicon_changes(tmp_path: Path, backend_url: str) -> None:
    site = NewsSite()
    site.add_feed("/feed/", fresh_stories(), form="rss2")
    site.add_articles(fresh_stories())
    with site:
        config = write_config(tmp_path, site, store_url=backend_url)
        assert rasad("crawl", "--config", str(config)).returncode == 0
    assert len(export(config)) == 3
    edited = tmp_path / "edited.toml"
    edited.write_text(
        config.read_text() + f'\n[relevance]\nlexicon = "{narrowed_lexicon(tmp_path)}"\n',
        encoding="utf-8",
    )

    dry = rasad("rescore", "--config", str(edited), "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "would move 0 off_topic → new, 3 new → off_topic" in dry.stdout
    assert len(export(config)) == 3  # a dry run changes nothing

    moved = rasad("rescore", "--config", str(edited))
    assert "moved 0 off_topic → new, 3 new → off_topic" in moved.stdout
    assert export(config) == []
    assert {r["status"] for r in export(config, "--all")} == {"off_topic"}

    back = rasad("rescore", "--config", str(config))
    assert "moved 3 off_topic → new, 0 new → off_topic" in back.stdout
    assert len(export(config)) == 3
    again = rasad("rescore", "--config", str(config))
    assert "moved 0 off_topic → new, 0 new → off_topic; 0 other scores changed" in again.stdout


@pytest.mark.parametrize(
    ("section", "key"),
    [
        ("[relevance]\nthreshold = 1.5\n", "relevance.threshold"),
        ("[relevance]\nlexicon = 'missing-lexicon.toml'\n", "relevance.lexicon"),
    ],
)
def test_bad_relevance_settings_are_config_errors(tmp_path: Path, section: str, key: str) -> None:
    with seed_site() as site:
        config = write_config(tmp_path, site)
        config.write_text(config.read_text() + "\n" + section, encoding="utf-8")
        result = rasad("crawl", "--config", str(config))
        assert result.returncode == 2 and key in result.stderr
        assert site.requests() == []
