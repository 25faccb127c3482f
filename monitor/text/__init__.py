"""Pure text functions, no Scrapy, no store: the Arabic normaliser (`arabic`, its word lists
in `arabic_variants`), honest decoding (`encoding`), dates (`dates`) and canonical URLs
(`urls`). Every stage may import these modules."""
