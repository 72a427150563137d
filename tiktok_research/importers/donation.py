"""Donated TikTok data packages into the store: consent first, minimised and pseudonymised
on entry.

A package is stored only with a consent record (and, for a minor, the guardian's
consent). The participant becomes a keyed pseudonym (the raw id is never
stored); other people's usernames (follow lists) are kept only with
``keep_follows``, and then only as keyed pseudonyms; comment text only with
``keep_comment_text``. What was left out is reported by section.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..errors import UsageError
from ..files import read_mapping
from ..ingest.ddp import Package, read_package
from ..privacy import Pseudonymiser
from ..store import Store

ASSUMPTIONS = [
    "Times in TikTok's data packages carry no offset; they are read as UTC (no TikTok "
    "document confirms the time zone)."
]


class Consent(BaseModel):
    """The consent record a donation is stored under."""

    model_config = ConfigDict(extra="forbid")

    consent_date: date = Field(description="When the participant consented.")
    scope: list[str] | str = Field(description="What the consent covers.")
    participant_minor: bool = Field(False, description="The participant is under 18.")
    guardian_consent: bool | None = Field(None, description="A guardian consented too.")
    guardian_consent_date: date | None = None
    reference: str | None = Field(None, description="Where the signed form is kept.")

    @model_validator(mode="after")
    def _minors(self) -> Consent:
        if self.participant_minor and not self.guardian_consent:
            raise ValueError(
                "the participant is a minor and no guardian consent is recorded: the donation "
                "is refused (set guardian_consent: true and guardian_consent_date)"
            )
        return self


def read_consent(path: Path) -> Consent:
    """A consent record from YAML or JSON; a usage error naming what is wrong."""
    data = read_mapping(path, "consent file", UsageError)
    try:
        return Consent.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc'])) or 'consent'}: {e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise UsageError(f"{path}: {problems}") from None


class DonationReport(BaseModel):
    donation_id: int
    participant: str = Field(description="The participant's keyed pseudonym.")
    package_version: str
    sections: dict[str, dict[str, Any]] = Field(description="Kept: events and covered period.")
    dropped: dict[str, int] = Field(description="Left out on entry, items per section.")
    not_video_links: int
    duplicates: int = Field(description="Repeated events (each kept, as the package has it).")
    events_stored: int
    assumptions: list[str]

    def render(self) -> str:
        lines = [
            f"donation {self.donation_id}: participant {self.participant}, package "
            f"{self.package_version}, {self.events_stored:,} events stored"
        ]
        for kind, s in self.sections.items():
            lines.append(f"  {kind:<10} {s['events']:>7,} events  {s['first']} to {s['last']}")
        lines += [f"  dropped: {k} ({v:,} items)" for k, v in sorted(self.dropped.items())]
        if self.not_video_links:
            lines.append(f"  {self.not_video_links:,} links that are not video links skipped")
        if self.duplicates:
            lines.append(f"  {self.duplicates:,} repeated events (kept)")
        lines += [f"  assumption: {a}" for a in self.assumptions]
        return "\n".join(lines)


def import_donation(
    store: Store,
    path: Path,
    *,
    participant: str,
    consent: Consent,
    pseudonymiser: Pseudonymiser,
    keep_follows: bool = False,
    keep_comment_text: bool = False,
) -> DonationReport:
    """Read, minimise and store one package (all of it or, on any problem, nothing)."""
    if not participant.strip():
        raise UsageError("--participant needs the participant's id in your study")
    pkg: Package = read_package(path)  # fully parsed before anything is stored
    who = str(pseudonymiser(participant.strip(), "p"))
    rows: dict[str, list[Any]] = {"kind": [], "video_id": [], "at": [], "detail": []}
    dropped = dict(pkg.dropped)
    for e in pkg.events:
        detail = e.detail
        if e.kind in ("following", "follower"):
            if not keep_follows:
                key = f"{e.kind} list (not kept: --keep-follows)"
                dropped[key] = dropped.get(key, 0) + 1
                continue
            detail = str(pseudonymiser(e.detail or "", "u"))
        if e.kind == "comment" and not keep_comment_text:
            detail = None
        rows["kind"].append("follow" if e.kind in ("following", "follower") else e.kind)
        rows["video_id"].append(e.video_id)
        rows["at"].append(e.at)
        rows["detail"].append(
            f"{e.kind}:{detail}" if e.kind in ("following", "follower") else detail
        )
    sections = {
        k: v for k, v in pkg.sections.items() if keep_follows or k not in ("following", "follower")
    }
    with store.transaction():
        run_id = store.start_run(
            "import",
            "import donation",
            {
                "format": "tiktok-ddp",
                "files": ["<donated package>"],  # its name may name the participant
                "keep_follows": keep_follows,
                "keep_comment_text": keep_comment_text,
            },
        )
        store.add_donation(
            run_id,
            who,
            consent.model_dump(mode="json"),
            pkg.version,
            sections,
            dropped,
            ASSUMPTIONS,
            pa.table(
                {
                    "kind": pa.array(rows["kind"], pa.string()),
                    "video_id": pa.array(rows["video_id"], pa.int64()),
                    "happened_at": pa.array(rows["at"], pa.timestamp("us", tz="UTC")),
                    "detail": pa.array(rows["detail"], pa.string()),
                }
            ),
            datetime.now(UTC),
        )
        store.finish_run(
            run_id, "done", {"events": len(rows["kind"]), "rows_read": len(pkg.events)}
        )
    return DonationReport(
        donation_id=run_id,
        participant=who,
        package_version=pkg.version,
        sections=sections,
        dropped=dropped,
        not_video_links=pkg.not_video_links,
        duplicates=pkg.duplicates,
        events_stored=len(rows["kind"]),
        assumptions=ASSUMPTIONS,
    )
