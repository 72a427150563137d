"""The error hierarchy shared by every part of the package.

Every error a user can cause or meet carries a message that names what is
wrong and what was expected. Secrets never appear in these messages.
"""

from __future__ import annotations


class TikTokResearchError(Exception):
    """Base class of all errors raised on purpose by this package."""


class UsageError(TikTokResearchError):
    """Bad input from the user (a flag, a file, a value): exit code 2."""


class QueryError(UsageError):
    """A Research API query that would be rejected; raised before any request is spent."""


class ImportProblem(UsageError):
    """An input file that cannot be imported as a whole (unreadable, unknown format)."""


class StoreError(TikTokResearchError):
    """The local store cannot do what was asked (wrong file, bad schema version)."""


class NoDatabase(StoreError, UsageError):
    """A command that reads a database was pointed at a file that does not exist."""


class ApiError(TikTokResearchError):
    """An error answer from the Research API (or the emulator).

    ``code`` is TikTok's ``error.code`` (for example ``invalid_params``),
    ``status`` the HTTP status and ``log_id`` TikTok's request id, which their
    support asks for.
    """

    def __init__(
        self, code: str, message: str, log_id: str | None = None, status: int | None = None
    ):
        self.code = code
        self.message = message
        self.log_id = log_id
        self.status = status
        super().__init__(self.__str__())

    def __str__(self) -> str:
        base = f"{self.code}: {self.message}" if self.message else self.code
        extra = [f"HTTP {self.status}"] if self.status is not None else []
        extra += [f"log_id {self.log_id}"] if self.log_id else []
        return f"{base} ({', '.join(extra)})" if extra else base

    def __reduce__(self):  # keep exceptions picklable across processes
        return (type(self), (self.code, self.message, self.log_id, self.status))


class TransientApiError(ApiError):
    """A failure worth retrying: 5xx, HTML error pages, dropped connections, expiring search ids."""


class AuthError(ApiError):
    """Credentials refused (``invalid_client``) or a token that cannot be renewed."""


class QuotaExceeded(ApiError):
    """The daily quota is spent (HTTP 429); ``resets_at`` says when it comes back (00:00 UTC)."""

    def __init__(
        self,
        code: str,
        message: str,
        log_id: str | None = None,
        status: int | None = 429,
        resets_at=None,
    ):
        super().__init__(code, message, log_id, status)
        self.resets_at = resets_at

    def __reduce__(self):
        return (type(self), (self.code, self.message, self.log_id, self.status, self.resets_at))
