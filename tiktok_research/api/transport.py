"""Use an in-process ASGI app (the emulator) from the synchronous client."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx


class SyncASGITransport(httpx.BaseTransport):
    """``httpx.ASGITransport`` driven by a private event loop, for ``httpx.Client``.

    Exceptions the app raises on purpose (an emulated dropped connection is an
    ``httpx.RemoteProtocolError``) reach the client as they would over a socket.
    """

    def __init__(self, app: Any):
        self._inner = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()

        async def send() -> httpx.Response:
            areq = httpx.Request(
                request.method,
                request.url,
                headers=request.headers,
                content=body,
                extensions=request.extensions,
            )
            resp = await self._inner.handle_async_request(areq)
            content = await resp.aread()
            return httpx.Response(
                resp.status_code, headers=resp.headers, content=content, request=request
            )

        return self._loop.run_until_complete(send())

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self._inner.aclose())
            self._loop.close()
