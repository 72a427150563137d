"""Client-credentials authentication: credentials from the environment, cached tokens.

Secrets never appear in reprs, logs, exceptions or outputs: credentials and
tokens are held in ``pydantic.SecretStr``, and every message built here names
the problem without the values.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from pydantic import BaseModel, SecretStr

from ..errors import AuthError, UsageError

TOKEN_PATH = "/v2/oauth/token/"
REFRESH_MARGIN = 300  # renew a token this many seconds before it expires


class Credentials(BaseModel):
    client_key: str
    client_secret: SecretStr

    def __repr__(self) -> str:  # the key identifies an app; the secret is never shown
        return f"Credentials(client_key={self.client_key!r}, client_secret='**********')"

    __str__ = __repr__

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Credentials:
        """From TIKTOK_CLIENT_KEY / TIKTOK_CLIENT_SECRET, or a 0600 JSON file named by
        TIKTOK_CREDENTIALS_FILE (``{"client_key": ..., "client_secret": ...}``)."""
        env = dict(os.environ if env is None else env)
        key, secret = env.get("TIKTOK_CLIENT_KEY"), env.get("TIKTOK_CLIENT_SECRET")
        if key and secret:
            return cls(client_key=key, client_secret=SecretStr(secret))
        path = env.get("TIKTOK_CREDENTIALS_FILE")
        if path:
            return cls.from_file(Path(path))
        raise UsageError(
            "no Research API credentials: set TIKTOK_CLIENT_KEY and TIKTOK_CLIENT_SECRET, or "
            "TIKTOK_CREDENTIALS_FILE (a JSON file readable only by you), and TIKTOK_API_BASE to "
            "talk to an emulator instead of TikTok; to try things without approval, run "
            "`tiktok-research demo` or `tiktok-research emulator serve`"
        )

    @classmethod
    def from_file(cls, path: Path) -> Credentials:
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            raise UsageError(f"credentials file {path} does not exist") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise UsageError(f"credentials file {path} is readable by others; run chmod 600 {path}")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                client_key=data["client_key"], client_secret=SecretStr(data["client_secret"])
            )
        except (json.JSONDecodeError, KeyError, TypeError):
            raise UsageError(
                f"credentials file {path} must be JSON with client_key and client_secret"
            ) from None


def default_cache_path() -> Path:
    env = os.environ.get("TIKTOK_RESEARCH_TOKEN_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "tiktok-research" / "tokens.json"


class TokenManager:
    """Fetches, caches (file mode 0600) and renews client-credentials tokens."""

    def __init__(
        self,
        credentials: Credentials,
        base_url: str,
        http: httpx.Client,
        cache_path: Path | None = None,
        clock: Callable[[], float] = time.time,
    ):
        self.credentials = credentials
        self.base_url = base_url.rstrip("/")
        self.http = http
        self.cache_path = cache_path
        self.clock = clock
        self._token: SecretStr | None = None
        self._expires_at = 0.0
        self._cache_key = hashlib.sha256(
            f"{self.base_url}|{credentials.client_key}".encode()
        ).hexdigest()[:32]
        self.fetched = 0

    def __repr__(self) -> str:
        return (
            f"TokenManager(base_url={self.base_url!r}, client_key={self.credentials.client_key!r})"
        )

    def token(self, force: bool = False) -> str:
        """A valid bearer token; renewed before expiry, or now with ``force`` (after a 401)."""
        now = self.clock()
        if not force and self._token is None:
            self._load_cache()
        if force or self._token is None or self._expires_at - REFRESH_MARGIN <= now:
            self._fetch()
        assert self._token is not None
        return self._token.get_secret_value()

    def _fetch(self) -> None:
        try:
            r = self.http.post(
                self.base_url + TOKEN_PATH,
                data={
                    "client_key": self.credentials.client_key,
                    "client_secret": self.credentials.client_secret.get_secret_value(),
                    "grant_type": "client_credentials",
                },
            )
        except httpx.TransportError as exc:
            raise AuthError(
                "token_unreachable", f"cannot reach {self.base_url}: {type(exc).__name__}"
            ) from None
        try:
            data = r.json()
        except ValueError:
            raise AuthError(
                "token_error",
                f"token endpoint answered HTTP {r.status_code} without JSON",
                status=r.status_code,
            ) from None
        if "access_token" not in data:
            raise AuthError(
                str(data.get("error", "token_error")),
                str(data.get("error_description", "no access_token in the answer")),
                data.get("log_id"),
                r.status_code,
            )
        self._token = SecretStr(data["access_token"])
        self._expires_at = self.clock() + float(data.get("expires_in", 7200))
        self.fetched += 1
        self._save_cache()

    def _load_cache(self) -> None:
        if not self.cache_path or not self.cache_path.exists():
            return
        try:
            entry = json.loads(self.cache_path.read_text()).get(self._cache_key)
        except (OSError, json.JSONDecodeError):
            return
        if entry and entry.get("expires_at", 0) - REFRESH_MARGIN > self.clock():
            self._token = SecretStr(entry["access_token"])
            self._expires_at = float(entry["expires_at"])

    def _save_cache(self) -> None:
        if not self.cache_path or self._token is None:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            entries = json.loads(self.cache_path.read_text()) if self.cache_path.exists() else {}
        except (OSError, json.JSONDecodeError):
            entries = {}
        entries[self._cache_key] = {
            "access_token": self._token.get_secret_value(),
            "expires_at": self._expires_at,
        }
        tmp = self.cache_path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(entries, f)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.cache_path)
