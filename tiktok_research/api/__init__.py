"""Research API client: auth, the query language, every endpoint, paging and retries."""

from .auth import Credentials, TokenManager
from .client import Attempt, Page, ResearchClient, RetryPolicy, SearchIdExpired, next_reset
from .query import Condition, Q, Query
from .windows import split, windows

__all__ = [
    "Attempt",
    "Condition",
    "Credentials",
    "Page",
    "Q",
    "Query",
    "ResearchClient",
    "RetryPolicy",
    "SearchIdExpired",
    "TokenManager",
    "next_reset",
    "split",
    "windows",
]
