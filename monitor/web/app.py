"""`create_app(config)`: the Starlette application behind `rasad serve`.

The store is opened once per worker thread (a SQLite connection belongs to the thread that
opened it; Starlette runs each sync endpoint in a thread pool) and only read. Every response
carries the security headers; a bad query parameter is a 400 page (Arabic and English), an
unknown article or story a 404 page, never a traceback.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from monitor.cli._common import existing_store
from monitor.config.loader import Config
from monitor.deliver.digest_render import SUBTOPIC_NAMES
from monitor.deliver.export import export_record
from monitor.web import atom, coverage, views
from monitor.web.params import BadRequest, Filters, filters, sort, statuses, text
from store import Store

HERE = Path(__file__).parent
SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


class SecurityHeaders:
    """Adds `SECURITY_HEADERS` to every HTTP response, errors and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.decode().lower() not in SECURITY_HEADERS
                ]
                headers += [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _story_path(story: str) -> str:
    return "/story/" + quote(story, safe="")


def create_app(config: Config) -> Starlette:
    """The web archive over `config`'s store; StoreMissing when there is none."""
    existing_store(config, read_only=True).close()  # fail now, as other readers do
    local = threading.local()
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        story_path=_story_path,
        safe_href=views.safe_href,
        urlencode=urlencode,
        day_label=coverage.day_label,
        subtopic_name=lambda s: SUBTOPIC_NAMES.get(s, s),
    )
    env.filters["day"] = lambda moment: moment.strftime("%Y-%m-%d %H:%M") if moment else ""

    def store() -> Store:
        current: Store | None = getattr(local, "store", None)
        if current is None:
            current = existing_store(config, read_only=True)  # a read-only archive too
            local.store = current
        return current

    def page(name: str, code: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=code)

    def error(status: int, arabic: str, english: str) -> HTMLResponse:
        return page("error.html", status, status=status, arabic=arabic, english=english)

    def listing(f: Filters, records: list[dict[str, Any]], name: str, **ctx: Any) -> Response:
        if f.fmt == "json":
            return JSONResponse(records)
        return page(name, f=f, **ctx)

    def home(request: Request) -> Response:
        fmt = "json" if request.url.path.endswith(".json") else None
        f = filters(request.query_params, fmt)
        shown, total = views.stories(store(), config, f)
        records = [views.entry_record(e) for e in shown] if f.fmt == "json" else []
        more = total > f.offset + f.limit
        return listing(f, records, "home.html", entries=shown, more=more, total=total)

    def search(request: Request) -> Response:
        fmt = "json" if request.url.path.endswith(".json") else None
        params = request.query_params
        f = filters(params, fmt)
        status = params.get("status", "new") or "new"
        chosen_sort = sort(params)
        q = text(params, "q") if "q" in params else None
        if q is None and "q" not in params and f.fmt == "html":
            return page(
                "search.html",
                f=f,
                q="",
                found=[],
                more=False,
                status=status,
                sort=chosen_sort,
                searched=False,
            )
        found, more = views.search(store(), f, q, statuses(params), chosen_sort)
        records = [views.found_record(x) for x in found] if f.fmt == "json" else []
        return listing(
            f,
            records,
            "search.html",
            q=q,
            found=found,
            more=more,
            status=status,
            sort=chosen_sort,
            searched=True,
        )

    def story(request: Request) -> Response:
        story_id = request.path_params.get("story_id") or request.query_params.get("id", "")
        f = filters(request.query_params)
        articles = views.story(store(), story_id) if story_id else []
        if not articles:
            raise HTTPException(404, "no such story")
        names = views.outlets(config)
        if f.fmt == "json":
            return JSONResponse([export_record(a, []) for a in articles])
        return page("story.html", story_id=story_id, articles=articles, names=names)

    def article(request: Request) -> Response:
        url = request.query_params.get("url", "")
        f = filters(request.query_params)
        found = store().get(url) if url else None
        if found is None or found.canonical_url.startswith("seed:"):
            raise HTTPException(404, "no such article")
        also = store().also_reported_by(found.canonical_url)
        if f.fmt == "json":
            return JSONResponse(export_record(found, also))
        paragraphs = [p.strip() for p in found.text.split("\n") if p.strip()]
        outlet = views.outlets(config).get(found.source, found.source)
        return page(
            "article.html",
            a=found,
            paragraphs=paragraphs,
            outlet=outlet,
            also=also,
            verdict=found.verdict or {},
        )

    def sources(request: Request) -> Response:
        fmt = "json" if request.url.path.endswith(".json") else None
        f = filters(request.query_params, fmt)
        rows = views.sources(store(), config)
        return listing(f, rows, "sources.html", rows=rows)

    def coverage_page(request: Request) -> Response:
        fmt = "json" if request.url.path.endswith(".json") else None
        f = filters(request.query_params, fmt)
        chart = coverage.build(store(), f, request.query_params, views.outlets(config))
        if f.fmt == "json":
            return JSONResponse(coverage.record(chart))
        query = {**f.query(), "by": chart.by, **({"split": chart.split} if chart.split else {})}
        return page("coverage.html", f=f, c=chart, query=query)

    def feed(request: Request) -> Response:
        params = request.query_params
        f = filters(params)
        q = text(params, "q")
        s = store()
        if q:
            entries = views.entries(config, f, views.search_articles(s, q, f))
        else:
            entries, _ = views.stories(s, config, f, ("new",), limit=atom.MAX_ENTRIES)
        base = str(request.base_url).rstrip("/")
        query = f.query(q=q)
        self_url = base + "/feed.atom" + ("?" + urlencode(query) if query else "")
        title = "رصد: " + ("، ".join(query.values()) if query else "أحدث القصص")
        body = atom.feed(entries, base=base, self_url=self_url, title=title)
        tag, modified = atom.etag(body), atom.updated(entries)
        headers = {
            "etag": tag,
            "last-modified": atom.last_modified(modified),
            "cache-control": "no-cache",
        }
        if atom.not_modified(
            tag,
            modified,
            request.headers.get("if-none-match"),
            request.headers.get("if-modified-since"),
        ):
            return Response(status_code=304, headers=headers)
        return Response(body, media_type="application/atom+xml; charset=utf-8", headers=headers)

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return error(400, exc.arabic, exc.english)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            return error(404, "الصفحة غير موجودة", f"not found: {exc.detail}")
        return error(exc.status_code, "تعذر تنفيذ الطلب", str(exc.detail))

    async def server_error(request: Request, exc: Exception) -> Response:
        return error(500, "حدث خطأ في الخادم", "internal error; see the server's log")

    routes = [
        Route("/", home),
        Route("/index.json", home),
        Route("/search", search),
        Route("/search.json", search),
        Route("/story", story),
        Route("/story/{story_id:path}", story),
        Route("/article", article),
        Route("/coverage", coverage_page),
        Route("/coverage.json", coverage_page),
        Route("/sources", sources),
        Route("/sources.json", sources),
        Route("/feed.atom", feed),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={
            BadRequest: bad_request,
            HTTPException: http_error,
            500: server_error,
        },
    )
    app.add_middleware(SecurityHeaders)
    return app
