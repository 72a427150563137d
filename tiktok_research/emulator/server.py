"""Serve the emulator over HTTP on a socket (``tiktok-research emulator serve``)."""

from __future__ import annotations

from fastapi import FastAPI

from .app import create_app
from .config import EmulatorConfig


def build(config: EmulatorConfig) -> FastAPI:
    """The app set up for a real socket: injected drops cut the connection mid-answer."""
    app = create_app(config)
    app.state.emulator.drop_mode = "cut"
    return app


def serve(
    config: EmulatorConfig, host: str = "127.0.0.1", port: int = 8787, log_level: str = "warning"
) -> None:
    import uvicorn

    uvicorn.run(build(config), host=host, port=port, log_level=log_level)
