"""URL canonicalisation: one URL string per article page, whatever link led to it.

The canonical form is the store's key for feed entries and articles, so two links that
serve the same page must map to one string, and two different pages never may:

- scheme and host lower-cased, default port dropped, fragment dropped;
- `www.`, `m.`, `mobile.` and `amp.` host prefixes dropped (the same outlet's desktop,
  mobile and AMP hosts serve one article);
- AMP variants folded: a trailing `/amp` segment, an `/amp/` path prefix, `?amp`, `?amp=1`,
  `?outputType=amp`;
- tracking parameters dropped (utm_*, fbclid, gclid, ...); the rest sorted, so parameter
  order does not matter; query parameters that select the article (?NewsID=120027) stay;
- percent-encoding normalised (w3lib), so an encoded Arabic path equals its raw UTF-8 form;
- a trailing slash dropped (but the root path stays "/").
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import canonicalize_url as _w3lib_canonical

_TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")
_TRACKING_NAMES = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid", "ocid",
        "cmpid", "ref_src", "_ga", "spm", "fromref",
    }
)  # fmt: skip
_AMP_PARAMS = {("amp", ""), ("amp", "1"), ("amp", "true"), ("outputtype", "amp")}
_HOST_PREFIXES = ("www.", "m.", "mobile.", "amp.")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def canonical_url(url: str) -> str:
    """The canonical form of an http(s) URL (see the module docstring)."""
    parts = urlsplit(_w3lib_canonical(url.strip(), keep_fragments=False))
    scheme = parts.scheme.lower()
    host = _bare_host((parts.hostname or "").lower())
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{parts.port}"
    path = _without_amp(parts.path) or "/"
    if len(path) > 1:
        path = path.rstrip("/") or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(k) and (k.lower(), v.lower()) not in _AMP_PARAMS
    ]
    return urlunsplit((scheme, host, path, urlencode(sorted(query)), ""))


def absolute_http_url(base: str, value: str) -> str | None:
    """`value` resolved against `base`, when the result is an http(s) URL with a host
    (a sitemap's <loc>, a robots.txt Sitemap: line); None for anything else or garbage."""
    if not value:
        return None
    try:
        url = urljoin(base, value.strip())
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme in ("http", "https") and parts.netloc else None


def same_site(a: str, b: str) -> bool:
    """Whether two URLs are on one outlet's site (ignoring www./m./amp. prefixes)."""
    host_a = _bare_host((urlsplit(a).hostname or "").lower())
    host_b = _bare_host((urlsplit(b).hostname or "").lower())
    return bool(host_a) and host_a == host_b


def _bare_host(host: str) -> str:
    for prefix in _HOST_PREFIXES:
        if host.startswith(prefix) and host.count(".") >= 2:
            return host[len(prefix) :]
    return host


def _without_amp(path: str) -> str:
    if path.startswith("/amp/"):
        path = path[len("/amp") :]
    for suffix in ("/amp", "/amp/", ".amp"):
        if path.endswith(suffix) and len(path) > len(suffix):
            return path[: -len(suffix)]
    return path


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING_NAMES or lowered.startswith(_TRACKING_PREFIXES)


def unrecordable(url: str) -> str | None:
    """Why a listed URL cannot be recorded (a short reason), or None when it can."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError when out of range
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return "bad_url"
        canonical_url(url)
    except ValueError:
        return "bad_url"
    return None
