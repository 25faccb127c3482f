"""What the outlets publish, and when to ask: feed parsing (`feeds`), sitemaps (`sitemaps`),
robots.txt's sitemaps and Crawl-delay (`robots`), feed discovery (`discovery`) and the polling
policy (`polling`, over the `feedstate` record, with the posting `rate`, the feed's own `hints`
and feed `health` for people). Pure parsers and decisions: no Scrapy, no store."""
