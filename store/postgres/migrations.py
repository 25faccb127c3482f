"""The schema of the PostgreSQL store, as small named migrations applied in order, each once.

`PGConnection` applies the ones a database lacks, in one transaction, under an advisory lock
(two workers opening a new database at once do not both create it); `schema_migrations`
records each. PostgreSQL has transactional DDL, so a migration that fails leaves nothing.

The tables are the SQLite store's (`store.sqlite.migrations`), in PostgreSQL's types:
timestamps ``timestamptz``, binary ``bytea``, the verdict ``jsonb`` (so a subtopic is a
``?`` test), and the search index a ``tsvector`` (`store.postgres.fts`). The history starts
here at the SQLite store's tenth schema, whole: there is no older PostgreSQL store to upgrade.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from store.base import STATUSES

if TYPE_CHECKING:
    from store.postgres.db import DB

_STATUSES = ", ".join(f"'{s}'" for s in STATUSES)

_INITIAL = (
    """CREATE TABLE seeds (
        id text PRIMARY KEY,
        title text NOT NULL,
        outlet text NOT NULL DEFAULT '',
        published text,
        event text NOT NULL DEFAULT '',
        text text NOT NULL,
        text_hash text NOT NULL
    )""",
    """CREATE TABLE feeds (
        source text NOT NULL,
        url text NOT NULL,
        etag text,
        last_modified text,
        last_poll timestamptz,
        last_success timestamptz,
        last_status integer,
        last_error text,
        error_streak integer NOT NULL DEFAULT 0,
        items_seen integer NOT NULL DEFAULT 0,
        last_new_item timestamptz,
        state text,
        PRIMARY KEY (source, url)
    )""",
    """CREATE TABLE robots (
        host text PRIMARY KEY,
        status integer NOT NULL,
        body bytea NOT NULL,
        fetched timestamptz NOT NULL
    )""",
    """CREATE TABLE entries (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        canonical_url text PRIMARY KEY,
        url text NOT NULL,
        source text NOT NULL,
        feed_url text NOT NULL,
        title text NOT NULL DEFAULT '',
        guid text,
        published timestamptz,
        summary text NOT NULL DEFAULT '',
        first_seen timestamptz NOT NULL,
        state text NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'failed', 'done', 'skipped')),
        attempts integer NOT NULL DEFAULT 0,
        last_error text,
        last_attempt timestamptz,
        next_attempt timestamptz
    )""",
    """CREATE INDEX entries_pending ON entries (source, state)
        WHERE state <> 'done' AND state <> 'skipped'""",
    f"""CREATE TABLE articles (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        url text NOT NULL,
        canonical_url text NOT NULL UNIQUE,
        fetched_url text,
        source text NOT NULL,
        title text NOT NULL,
        published timestamptz,
        fetched timestamptz NOT NULL,
        updated timestamptz,
        text text NOT NULL,
        text_hash text NOT NULL,
        language text,
        status text NOT NULL CHECK (status IN ({_STATUSES})),
        relevance double precision NOT NULL DEFAULT 0,
        verdict jsonb,
        duplicate_of text,
        similarity double precision,
        story text
    )""",
    "CREATE INDEX articles_fetched ON articles (fetched, id)",
    "CREATE INDEX articles_status ON articles (status, fetched)",
    "CREATE INDEX articles_hash ON articles (text_hash)",
    "CREATE INDEX articles_duplicate_of ON articles (duplicate_of)",
    "CREATE INDEX articles_story ON articles (story)",
    # the web archive's and the search filters' date: publication, else fetch
    "CREATE INDEX articles_browse ON articles (status, (coalesce(published, fetched)))",
    """CREATE TABLE runs (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        started timestamptz NOT NULL,
        finished timestamptz,
        state text NOT NULL DEFAULT 'running'
            CHECK (state IN ('running', 'ok', 'failed', 'interrupted')),
        sources text NOT NULL,
        report text
    )""",
    "CREATE TABLE state (key text PRIMARY KEY, value text NOT NULL, updated timestamptz)",
    """CREATE TABLE digest_messages (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        message_id text PRIMARY KEY,
        recipient text NOT NULL,
        state text NOT NULL CHECK (state IN ('sending', 'sent')),
        created timestamptz NOT NULL,
        sent timestamptz,
        message bytea
    )""",
    "CREATE INDEX digest_messages_recipient ON digest_messages (recipient, state, sent)",
    """CREATE TABLE digest_items (
        recipient text NOT NULL,
        article text NOT NULL,
        message_id text NOT NULL REFERENCES digest_messages (message_id) ON DELETE CASCADE,
        shown boolean NOT NULL,
        PRIMARY KEY (recipient, article)
    )""",
    "CREATE INDEX digest_items_message ON digest_items (message_id)",
    # the near-duplicate index (`store.postgres.dedup_index`)
    """CREATE TABLE dedup_fingerprints (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        doc text NOT NULL UNIQUE,
        text_hash bytea,
        shingle_count integer NOT NULL,
        token_count integer NOT NULL,
        banded boolean NOT NULL DEFAULT false,
        version integer NOT NULL,
        shingles bytea NOT NULL
    )""",
    """CREATE INDEX dedup_fingerprints_hash ON dedup_fingerprints (text_hash, id)
        WHERE text_hash IS NOT NULL""",
    # the primary key is the lookup index; fp second, so removal by (key, fp) is one probe
    "CREATE TABLE dedup_bands (key bigint NOT NULL, fp bigint NOT NULL, PRIMARY KEY (key, fp))",
    # the search index (`store.postgres.fts`): one row per article
    """CREATE TABLE article_search (
        id bigint PRIMARY KEY REFERENCES articles (id) ON DELETE CASCADE,
        terms tsvector NOT NULL
    )""",
    "CREATE INDEX article_search_terms ON article_search USING gin (terms)",
)


def _m1_initial(db: DB) -> None:
    from store.postgres import fts

    for statement in _INITIAL:
        db.execute(statement)
    fts.set_version(db)


# Schema changes are small named functions applied in order, each exactly once.
MIGRATIONS: list[tuple[str, Callable[[DB], None]]] = [
    ("initial", _m1_initial),
]
