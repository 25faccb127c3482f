"""Page bytes to a clean article: `article.extract_article(body, url, headers, entry)` is a
pure function returning a frozen `monitor.models.Article`."""
