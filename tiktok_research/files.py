"""Small file readers every room may use."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import UsageError


def read_mapping(path: Path, what: str, error: type[Exception] = UsageError) -> dict[str, Any]:
    """A YAML (or JSON) file holding a mapping; ``error(...)`` names the file and the fault."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{what} {path} does not exist") from None
    except yaml.YAMLError as exc:
        raise error(f"{what} {path} is not valid YAML or JSON: {exc}") from None
    if not isinstance(data, dict):
        raise error(f"{what} {path} must hold a mapping")
    return data
