"""donation_import: a participant's donated TikTok data package into the study database.

Reads TikTok's "Download your data" package (the zip, its JSON, or the older TXT
export; every layout from 2020 to 2026) and stores only what exposure research
needs: watch events, likes, favourites, shares, searches and the timestamps of
the participant's own comments (their text only with ``keep_comment_text``),
each with the video id taken from the link, exactly. A consent record is
required (for a minor, with the guardian's consent). The participant becomes a
keyed pseudonym; other people's usernames are stored only with ``keep_follows``
and then only as pseudonyms. Direct messages, IP addresses, device and
advertising ids, location, e-mail, phone, birth date, inferred gender, shop and
payment data are never stored; the result lists what was left out, by section.
Times carry no offset in the package and are stored as UTC (recorded).
"""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from ..errors import UsageError
from ..importers.donation import Consent, DonationReport, import_donation, read_consent
from ..privacy import Pseudonymiser, load_key
from .contract import Annotations, ToolContext

NAME = "donation_import"
TITLE = "Import a donated TikTok data package"
ANNOTATIONS = Annotations(read_only=False, destructive=False, idempotent=False, open_world=False)


class Input(BaseModel):
    path: str = Field(description="The package: TikTok_Data_*.zip, its JSON, or a TXT export.")
    participant: str = Field(min_length=1, description="The participant's id in your study.")
    consent_file: str | None = Field(None, description="The consent record (YAML or JSON).")
    consent: Consent | None = Field(None, description="Or the consent record itself.")
    keep_follows: bool = Field(False, description="Keep follow lists (as pseudonyms).")
    keep_comment_text: bool = Field(False, description="Keep the text of the comments.")
    key_file: str | None = Field(
        None, description="Pseudonym key file (default: $TIKTOK_RESEARCH_PSEUDONYM_KEY)."
    )
    db: str | None = Field(None, description="Study database (default: the server's).")

    @model_validator(mode="after")
    def _consent(self) -> Input:
        if (self.consent_file is None) == (self.consent is None):
            raise ValueError(
                "a donation needs its consent record: give consent_file (or consent), one of them"
            )
        return self


class Output(DonationReport):
    text: str = ""


def run(inp: Input, ctx: ToolContext) -> Output:
    consent = inp.consent or read_consent(ctx.path(inp.consent_file or "", "consent file"))
    package = ctx.path(inp.path, "package")
    db = ctx.database(inp.db)
    key_path = ctx.path(inp.key_file, "key file") if inp.key_file else None
    pseudo = Pseudonymiser(load_key(key_path, data_paths=[db, package], env=ctx.env))
    if not package.exists():
        raise UsageError(f"{package}: no such file")
    with ctx.store(inp.db) as store:
        report = import_donation(
            store,
            package,
            participant=inp.participant,
            consent=consent,
            pseudonymiser=pseudo,
            keep_follows=inp.keep_follows,
            keep_comment_text=inp.keep_comment_text,
        )
    return Output(**report.model_dump(), text=report.render())
