"""The seed corpus on SQLite: the `seeds` table, each seed indexed as "seed:<ID>"."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.judge.fingerprints import fingerprint
from monitor.judge.seeds import Seed, text_hash
from store.sqlite import dedup_index
from store.sqlite.connection import SQLiteConnection


class SQLiteSeedCorpus(SQLiteConnection):
    """`store.protocols.SeedCorpus` on SQLite."""

    def load_seeds(self, seeds: Iterable[Seed]) -> int:
        """Insert seeds not yet stored, into the near-duplicate index too; returns how many."""
        added = 0
        with self._tx() as db:
            for s in seeds:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO seeds (id, title, outlet, published, event, text,"
                    " text_hash) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (s.id, s.title, s.outlet, s.published, s.event, s.text, text_hash(s.text)),
                )
                if cursor.rowcount:
                    dedup_index.add(db, s.ref, fingerprint(s.title, s.text))
                    added += 1
        return added

    def seeds(self) -> list[Seed]:
        rows = self._db.execute("SELECT * FROM seeds ORDER BY id")
        return [
            Seed(
                id=r["id"],
                title=r["title"],
                text=r["text"],
                outlet=r["outlet"],
                published=r["published"],
                event=r["event"],
            )
            for r in rows
        ]
