"""The validation report of an import: per file, what was read, stored and refused, and why."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RejectedRow(BaseModel):
    file: str
    line: int | None = Field(None, description="Physical line (NDJSON, CSV).")
    record: int | None = Field(None, description="Record index inside a JSON document or page.")
    field: str | None = Field(None, description="Canonical field at fault, if one.")
    reason: str


class KindCounts(BaseModel):
    read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0


class FileReport(BaseModel):
    file: str
    format: str | None = None
    status: Literal["imported", "imported-with-rejects", "not-imported", "unusable"] = "imported"
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    rejected: int = 0
    kinds: dict[str, KindCounts] = Field(default_factory=dict)
    fields_present: list[str] = Field(default_factory=list)
    fields_missing: list[str] = Field(default_factory=list)
    rejects: list[RejectedRow] = Field(default_factory=list)
    rejects_not_shown: int = 0
    warnings: list[str] = Field(default_factory=list)
    error: str | None = None


class ImportReport(BaseModel):
    db: str
    run_id: int | None = None
    strict: bool = False
    files: list[FileReport] = Field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 all good, 2 an input unusable as a whole, 3 some rows rejected."""
        if any(f.status == "unusable" for f in self.files):
            return 2
        if any(f.rejected for f in self.files):
            return 3
        return 0

    def to_text(self) -> str:
        out = []
        for f in self.files:
            out.append(f"{f.file}  [{f.format or 'unknown format'}]  {f.status}")
            if f.error:
                out.append(f"  error: {f.error}")
                continue
            out.append(
                f"  rows read {f.rows_read:,}  inserted {f.inserted:,}  updated {f.updated:,}  "
                f"rejected {f.rejected:,}"
            )
            for kind, c in f.kinds.items():
                out.append(
                    f"    {kind:<12} read {c.read:,}  inserted {c.inserted:,}  "
                    f"updated {c.updated:,}  rejected {c.rejected:,}"
                )
            if f.fields_present:
                out.append(f"  fields present: {', '.join(f.fields_present)}")
            if f.fields_missing:
                out.append(f"  fields missing: {', '.join(f.fields_missing)}")
            for w in f.warnings:
                out.append(f"  warning: {w}")
            for r in f.rejects:
                where = f"line {r.line}" if r.line is not None else f"record {r.record}"
                if r.line is not None and r.record:
                    where += f", record {r.record}"
                field = f" {r.field}:" if r.field else ""
                out.append(f"  rejected {r.file}:{where}:{field} {r.reason}")
            if f.rejects_not_shown:
                out.append(
                    f"  ... and {f.rejects_not_shown:,} more rejects (all are in the "
                    f"database table import_rejects, run {self.run_id})"
                )
        code = self.exit_code
        verdict = {0: "ok", 2: "some input could not be used", 3: "some rows were rejected"}[code]
        out.append(f"{verdict} (exit {code}); database {self.db}, run {self.run_id}")
        return "\n".join(out)
