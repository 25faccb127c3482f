"""Page bytes to a clean article: `article.extract_article(body, url, headers, entry)` is a
pure function returning a frozen `monitor.models.Article`. Its steps, in the order they run:
`page` (payload checks, decoding, parsing), `body` (trafilatura and paragraph clean-up) and
`metadata` (site name, title, date, language, canonical hint)."""
