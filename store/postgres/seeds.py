"""The seed corpus on PostgreSQL: the `seeds` table, each seed indexed as "seed:<ID>"."""

from __future__ import annotations

from collections.abc import Iterable

from monitor.judge.fingerprints import fingerprint
from monitor.judge.seeds import Seed, text_hash
from store.postgres import dedup_index
from store.postgres.connection import PGConnection, lock_key


class PGSeedCorpus(PGConnection):
    """`store.protocols.SeedCorpus` on PostgreSQL."""

    def load_seeds(self, seeds: Iterable[Seed]) -> int:
        """Insert seeds not yet stored, into the near-duplicate index too; returns how many."""
        added = 0
        with self._tx() as db:
            # two workers loading the seeds at once: one inserts them, the other finds them
            db.execute("SELECT pg_advisory_xact_lock(%s)", (lock_key("rasad.seeds"),))
            for s in seeds:
                cursor = db.execute(
                    "INSERT INTO seeds (id, title, outlet, published, event, text, text_hash)"
                    " VALUES (%s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    (s.id, s.title, s.outlet, s.published, s.event, s.text, text_hash(s.text)),
                )
                if cursor.rowcount:
                    dedup_index.add(db, s.ref, fingerprint(s.title, s.text))
                    added += 1
        return added

    def seeds(self) -> list[Seed]:
        rows = self._db.execute('SELECT * FROM seeds ORDER BY id COLLATE "C"')
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
