"""Configuration, in the order a reader needs it:

    schema   every setting declared once: TOML type, default, help text, rule; prints the
             README's table (`python -m monitor.config.schema --markdown`)
    rules    the pure per-value rules the schema attaches to its settings
    checks   what one value cannot tell: the store's file, the lexicon, keys across sources
    loader   finds and reads the file (the only reader of the environment), builds `Config`

Other stages import `loader.Config`, `loader.Source` and `loader.load_config`."""
