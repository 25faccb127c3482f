"""Running crawls over time: the `rasad schedule` daemon (`daemon`) and the pid locks that
keep two runs off one store (`locks`)."""
