"""Running crawls and digests over time: what is due (`plan`), one crawl or digest subprocess
(`runner`), what the daemon remembers (`state`), the `rasad schedule` daemon (`daemon`) and the
pid locks that keep two runs off one store (`locks`)."""
