"""`rasad serve`: a small, server-rendered, right-to-left web archive over the store.

Read-only: the pages and the Atom feed read the store, never write articles. Starlette routes
the requests (``app``), ``views`` builds the pages (one page of stories asked of the store,
never the whole archive), ``coverage`` the timeline chart (inline SVG, no JavaScript),
``atom`` the feed, ``params`` checks the query parameters (a bad one is a 400 page, never a
traceback), templates/ are Jinja2 with autoescaping on (every scraped string is escaped),
static/ is one CSS file.
"""

from __future__ import annotations

from monitor.web.app import create_app

__all__ = ["create_app"]
