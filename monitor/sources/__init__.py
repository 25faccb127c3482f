"""What the outlets publish, and when to ask: feed parsing (`feeds`), sitemaps (`sitemaps`),
feed discovery (`discovery`) and the polling policy (`polling`). Pure parsers and
decisions: no Scrapy, no store."""
