"""What the benchmark scripts share."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[1]


def load_fixture_site() -> ModuleType:
    """tests/fixture_site.py as a module (the tests folder is not a package)."""
    if "fixture_site" in sys.modules:
        return sys.modules["fixture_site"]
    spec = importlib.util.spec_from_file_location(
        "fixture_site", REPO / "tests" / "fixture_site.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fixture_site"] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module
