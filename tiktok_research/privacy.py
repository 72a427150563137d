"""Data protection for what leaves the store: keyed pseudonyms, mention removal, small cells.

Pseudonyms are HMAC-SHA256 of the value under a secret key, so the same user
gets the same pseudonym in every export made with that key (analyses can still
link records), nobody without the key can reverse or recompute them, and a
different key gives unrelated pseudonyms. Without a key nothing is produced:
an unkeyed hash of a username can be reversed by hashing candidate usernames.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from .errors import UsageError
from .schema import MENTION_RE

if TYPE_CHECKING:
    import pandas as pd

KEY_ENV = "TIKTOK_RESEARCH_PSEUDONYM_KEY"
MIN_KEY_BYTES = 16
DEFAULT_K = 10


def load_key(
    key_file: str | Path | None = None,
    *,
    data_paths: Sequence[Path] = (),
    env: Mapping[str, str] | None = None,
) -> bytes:
    """The pseudonymisation key: from ``key_file`` or $TIKTOK_RESEARCH_PSEUDONYM_KEY.

    Refuses (UsageError) when there is none, when it is short, or when the key
    file sits next to the data it protects (in the folder of a ``data_paths``).
    """
    if key_file:
        path = Path(key_file).resolve()
        for d in data_paths:
            if path.parent == Path(d).resolve().parent:
                raise UsageError(
                    f"the key file {path} is in the same folder as {d}: keep the "
                    "key apart from the data it protects"
                )
        try:
            key = path.read_bytes().strip()
        except FileNotFoundError:
            raise UsageError(f"key file {path} does not exist") from None
    else:
        value = (os.environ if env is None else env).get(KEY_ENV, "")
        if not value:
            raise UsageError(
                f"pseudonymisation needs a secret key: set {KEY_ENV} or give --key-file "
                "(unkeyed hashes of usernames can be reversed, so none are made)"
            )
        key = value.encode()
    return _long_enough(key)


def _long_enough(key: bytes) -> bytes:
    if len(key) < MIN_KEY_BYTES:
        raise UsageError(f"the pseudonymisation key must be at least {MIN_KEY_BYTES} bytes long")
    return key


class Pseudonymiser:
    """Keyed, stable pseudonyms: ``u_`` + 20 hex characters of HMAC-SHA256."""

    def __init__(self, key: bytes):
        self._key = _long_enough(key)

    def __repr__(self) -> str:
        return "Pseudonymiser(key=***)"

    def __call__(self, value: Any, kind: str = "u") -> str | None:
        if value is None:
            return None
        text = str(value).strip().lstrip("@").lower() if kind == "u" else str(value)
        digest = hmac.new(self._key, f"{kind}:{text}".encode(), hashlib.sha256).hexdigest()
        return f"{kind}_{digest[:20]}"

    def arrow(self, kind: str):
        """A vectorised function over an Arrow array, for DuckDB."""

        def fn(values: pa.Array) -> pa.Array:
            return pa.array([self(v, kind) for v in values.to_pylist()], pa.string())

        return fn


def strip_mentions(text: str | None) -> str | None:
    """Replace every @username in a text by '@user'."""
    return MENTION_RE.sub("@user", text) if text else text


def suppress_small_cells(
    table: pd.DataFrame, count_column: str = "n", k: int = DEFAULT_K
) -> pd.DataFrame:
    """Blank counts below ``k`` (and mark them) so no published cell singles people out."""
    if k < 1:
        raise UsageError("k must be at least 1")
    if count_column not in table.columns:
        raise UsageError(f"no column {count_column!r} to suppress (columns: {list(table.columns)})")
    out = table.copy()
    small = out[count_column] < k
    out[count_column] = out[count_column].astype("Int64").mask(small)
    out["suppressed"] = small
    return out
