"""`python -m monitor.cli`: how `rasad schedule` starts each crawl."""

import sys

from monitor.cli import main

sys.exit(main())
