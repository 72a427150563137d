"""Settings of an emulator instance: the corpus, credentials, quotas and faults."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .. import api_spec

DEFAULT_CLIENT_KEY = "emulator-client-key"
DEFAULT_CLIENT_SECRET = "emulator-client-secret"


class FaultMix(BaseModel):
    """How injected failures split: weights, normalised when used."""

    model_config = ConfigDict(extra="forbid")

    internal_error: float = Field(0.6, ge=0, description="HTTP 500 internal_error (counts quota).")
    gateway_timeout: float = Field(0.15, ge=0, description="HTTP 504 with an HTML body.")
    dropped: float = Field(0.1, ge=0, description="Connection dropped without a response.")
    search_id_expired: float = Field(
        0.15, ge=0, description="Transient 400 'Search Id ... is invalid or expired' (paging only)."
    )


class EmulatorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int = 1
    videos: int = Field(20_000, ge=1)
    start: date = date(2024, 1, 1)
    end: date = date(2024, 3, 31)
    client_key: str = DEFAULT_CLIENT_KEY
    client_secret: str = DEFAULT_CLIENT_SECRET
    token_lifetime: int = Field(api_spec.TOKEN_LIFETIME, ge=1, description="Seconds.")
    quota_requests: int = Field(api_spec.DAILY_REQUESTS, ge=0)
    quota_records: int = Field(api_spec.DAILY_RECORDS, ge=0)
    follow_quota_requests: int = Field(api_spec.FOLLOW_DAILY_REQUESTS, ge=0)
    follow_quota_records: int = Field(api_spec.FOLLOW_DAILY_RECORDS, ge=0)
    quota_error_code: str = Field(
        "rate_limit_exceeded", description="Or daily_quota_limit_exceeded, as some clients see."
    )
    rate_limit: int = Field(0, ge=0, description="Requests per second; 0 = no short-term limit.")
    fault_rate: float = Field(0.0, ge=0, le=1, description="Share of research requests that fail.")
    fault_mix: FaultMix = Field(default_factory=FaultMix)
    slow_rate: float = Field(0.0, ge=0, le=1)
    slow_seconds: float = Field(2.0, ge=0)
    deletion_rate: float = Field(
        0.0, ge=0, lt=1, description="Share of videos/comments that disappear over 30 days."
    )
    hidden_rate: float = Field(
        0.02, ge=0, lt=1, description="Deleted/private videos that leave holes in pages."
    )
    searchable_delay_hours: float = Field(48, ge=0, description="Newest videos not yet searchable.")
    favorites_spelling: str = "favorites_count"
    compliance_polls: int = Field(
        1, ge=0, description="Status checks answered 'Processing' before done."
    )
    clock_start: float | None = Field(None, description="Epoch seconds; default: now.")

    @field_validator("favorites_spelling")
    @classmethod
    def _spelling(cls, v: str) -> str:
        if v not in ("favorites_count", "favourites_count"):
            raise ValueError("favorites_spelling is favorites_count or favourites_count")
        return v

    @field_validator("quota_error_code")
    @classmethod
    def _quota_code(cls, v: str) -> str:
        if v not in ("rate_limit_exceeded", "daily_quota_limit_exceeded"):
            raise ValueError(
                "quota_error_code is rate_limit_exceeded or daily_quota_limit_exceeded"
            )
        return v
