"""Configuration: every setting declared once (`schema`) and the loader (`loader`), the only
reader of the environment. Other stages import `loader.Config`, `loader.Source` and
`loader.load_config`."""
