"""The connection type every part of the PostgreSQL store works on (its own module so that
the migrations and the search index, which `connection` imports, need not import it back)."""

from __future__ import annotations

import psycopg
from psycopg.rows import DictRow

__all__ = ["DB"]

#: A psycopg connection whose rows are dicts.
DB = psycopg.Connection[DictRow]
