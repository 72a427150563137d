"""Raw HTTP for tests: a synchronous httpx client for an ASGI app, and the token dance."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class ASGIClient:
    """``httpx.AsyncClient`` over ``httpx.ASGITransport``, driven by a private event loop."""

    def __init__(self, app: Any, base_url: str = "http://emulator"):
        self.app = app
        self.loop = asyncio.new_event_loop()
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url=base_url, timeout=30
        )

    def request(self, method: str, url: str, **kw: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, url, **kw))

    def post(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("POST", url, **kw)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.request("GET", url, **kw)

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.close()


def token(
    c: Any, key: str = "emulator-client-key", secret: str = "emulator-client-secret"
) -> dict[str, str]:
    """Authorization headers from ``/v2/oauth/token/`` (any client with ``post``)."""
    r = c.post(
        "/v2/oauth/token/",
        data={"client_key": key, "client_secret": secret, "grant_type": "client_credentials"},
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
