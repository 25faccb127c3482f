"""Running crawls over time: what is due (`plan`), one crawl subprocess (`runner`), what the
daemon remembers (`state`), the `rasad schedule` daemon (`daemon`) and the pid locks that
keep two runs off one store (`locks`)."""
