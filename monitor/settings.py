"""Scrapy settings for rasad's spiders.

The module-level names are what `scrapy.cfg` points Scrapy at; `scrapy_settings()`
overlays the user's configuration ([crawl] in rasad.toml) for a run started by
`rasad crawl`. rasad-specific knobs live in rasad.toml, never here.
"""

from __future__ import annotations

from scrapy.settings import Settings

from monitor.config.loader import Config

BOT_NAME = "rasad"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

ITEM_PIPELINES = {"monitor.crawl.pipelines.ArticlePipeline": 100}
# The pipeline awaits its worker processes through asyncio (Scrapy's default reactor, pinned).
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"

ROBOTSTXT_OBEY = True
DOWNLOADER_MIDDLEWARES = {
    # first of all: a request to a forbidden destination never reaches robots.txt or the network
    "monitor.crawl.middlewares.DestinationMiddleware": 50,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "monitor.crawl.middlewares.StoredRobotsTxtMiddleware": 100,
}
# Only http(s) is ever fetched: a feed link or redirect to file:, ftp:, s3: or data: has no
# handler (the destination middleware refuses it first, as forbidden_destination).
DOWNLOAD_HANDLERS = {"file": None, "ftp": None, "s3": None, "data": None}
COOKIES_ENABLED = False
# No control endpoints in a crawl: neither the telnet console nor RemoteControl (an HTTP
# code-execution endpoint on 127.0.0.1 that writes token files under the user's state dir).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
EXTENSIONS = {
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.remote_control.RemoteControl": None,
}
# One retry for connection errors and 5xx inside a run; later runs retry the rest.
RETRY_TIMES = 1
# A host name that does not resolve will not resolve a second later: not retried.
RETRY_EXCEPTIONS = [
    "scrapy.exceptions.DownloadConnectionRefusedError",
    "scrapy.exceptions.DownloadFailedError",
    "scrapy.exceptions.DownloadTimeoutError",
    "scrapy.exceptions.ResponseDataLossError",
    "twisted.internet.error.ConnectionDone",
    "twisted.internet.error.ConnectError",
    "twisted.internet.error.ConnectionLost",
    "scrapy.core.downloader.handlers.http11.TunnelError",
]
# 429 is not retried at once: the server's Retry-After is honoured on a later run instead.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408]
REDIRECT_MAX_TIMES = 10
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10_000_000
DOWNLOAD_WARNSIZE = 0
CONCURRENT_REQUESTS = 16
# What Scrapy runs in parallel of ONE response's output. An article response yields one page
# (and a request or two), a feed its requests, which only join the scheduler: nothing to run
# in parallel. Scrapy 2.19 starts this many asyncio tasks for every response whatever it
# yields (the default 100: 200,000 tasks for 2,000 pages, a seventh of the crawl process's
# CPU); with 1, a 3,000-page backfill ran 114 -> 123 pages/s (bench/crawl_bench.py).
CONCURRENT_ITEMS = 1
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
# Scrapy's own downloader lets a whole host queue through at once when the delay is 0.
DOWNLOADER = "monitor.crawl.downloader.PoliteDownloader"
# Feeds before article pages, so a run killed early has at least recorded what is listed.
DEPTH_PRIORITY = 0
# Quiet by default: what matters reaches the run report; Scrapy's log only with
# --verbose (stderr) or --log-file. LOG_ENABLED = False installs a NullHandler on the
# root logger, so not even Python's last-resort handler prints a library warning.
LOG_ENABLED = False
LOG_LEVEL = "INFO"
# Dropped items are outcomes counted in the run report, not warnings.
DEFAULT_DROPITEM_LOG_LEVEL = "DEBUG"


def scrapy_settings(
    config: Config, *, verbose: bool = False, log_file: str | None = None
) -> Settings:
    settings = Settings()
    settings.setmodule("monitor.settings", priority="project")
    crawl = config.crawl
    settings.setdict(
        {
            "ROBOTSTXT_OBEY": crawl.obey_robots,
            "USER_AGENT": crawl.user_agent,
            "DOWNLOAD_DELAY": crawl.download_delay,
            "DOWNLOAD_TIMEOUT": crawl.download_timeout,
            "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
            "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_host,
            "LOG_ENABLED": verbose,
            "LOG_FILE": log_file,
            "LOG_LEVEL": "DEBUG" if verbose else "INFO",
        },
        priority="cmdline",
    )
    return settings
