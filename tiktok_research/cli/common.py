"""What every command shares: JSON or text output, exit codes, the error guard, options."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from .. import api_spec
from ..api.client import ResearchClient, RetryPolicy
from ..errors import TikTokResearchError, UsageError
from ..store import DEFAULT_DB

F = TypeVar("F", bound=Callable[..., Any])
_RETRY = RetryPolicy()

DbOption = Annotated[Path, typer.Option("--db", help="DuckDB database file.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document on stdout.")]
DEFAULT_DB_PATH = Path(DEFAULT_DB)


def emit(data: Any, as_json: bool, text: str | None = None) -> None:
    """Print ``data`` (a pydantic model or plain data) as JSON (agents) or ``text`` (people)."""
    if hasattr(data, "model_dump"):
        data = data.model_dump(mode="json")
    if as_json:
        sys.stdout.write(json.dumps(data, default=str, ensure_ascii=False) + "\n")
    else:
        typer.echo(text if text is not None else json.dumps(data, indent=2, default=str))


def fail(exc: Exception, as_json: bool) -> typer.Exit:
    """The exit for a failed command: 2 for bad usage or input, 1 otherwise."""
    code = 2 if isinstance(exc, UsageError) else 1
    if as_json:
        emit({"error": type(exc).__name__, "message": str(exc)}, True)
    else:
        typer.echo(f"error: {exc}", err=True)
    return typer.Exit(code)


def guarded(fn: F) -> F:
    """A command whose package errors become a clear message (JSON with --json) and exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except TikTokResearchError as exc:
            raise fail(exc, kwargs.get("as_json", False)) from exc

    return wrapper  # type: ignore[return-value]


def day(text: str) -> date:
    """A YYYY-MM-DD option value; anything else is a usage error naming it."""
    try:
        return api_spec.parse_day(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


ApiBaseOpt = Annotated[
    str | None,
    typer.Option(
        "--api-base", help="Research API base URL (default: $TIKTOK_API_BASE or TikTok's)."
    ),
]
WaitOpt = Annotated[
    bool,
    typer.Option(
        "--wait",
        help="On the daily quota, sleep until it resets "
        "(00:00 UTC) and go on, instead of stopping.",
    ),
]
DryOpt = Annotated[
    bool,
    typer.Option(
        "--dry-run",
        help="Print the most requests the run can need and today's quota left; send nothing.",
    ),
]
RetriesOpt = Annotated[
    int, typer.Option("--max-retries", min=1, help="Attempts per request on transient errors.")
]
RetryBaseOpt = Annotated[
    float,
    typer.Option(
        "--retry-base",
        min=0.0,
        help="First backoff delay in seconds (doubles each attempt, with jitter).",
    ),
]
QuotaOpt = Annotated[
    int,
    typer.Option(
        "--daily-quota",
        min=1,
        help="Requests per day your lab may spend (shared by every run on this database).",
    ),
]
#: the defaults of the options above, from the policy and the contract they configure
MAX_RETRIES = _RETRY.max_attempts
RETRY_BASE = _RETRY.base_delay
DAILY_QUOTA = api_spec.DAILY_REQUESTS


def make_client(
    api_base: str | None, max_retries: int = MAX_RETRIES, retry_base: float = RETRY_BASE
) -> ResearchClient:
    return ResearchClient(
        base_url=api_base, retry=RetryPolicy(max_attempts=max_retries, base_delay=retry_base)
    )
