"""The Scrapy-facing stage, the only package besides spiders/ that imports Scrapy or
Twisted: the crawl run (`run.CrawlRun`), starting Scrapy (`process.run_crawl`), failure
descriptions (`failures`), items, pipelines, middlewares and the run report (`report`).
Other stages import `process.run_crawl` and `report.RunReport` only."""
