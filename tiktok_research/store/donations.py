"""The store side of data donation: donations, their events, and videos the API lacks."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa


class DonationsMixin:
    """Donation bookkeeping on :class:`~tiktok_research.store.Store`."""

    con: duckdb.DuckDBPyConnection

    def add_donation(
        self,
        donation_id: int,
        participant: str,
        consent: dict[str, Any],
        version: str,
        sections: dict[str, Any],
        dropped: dict[str, int],
        assumptions: list[str],
        events: pa.Table,
        at: datetime,
    ) -> None:
        """One donation and its events (inside the caller's transaction)."""
        self.con.execute(
            "INSERT INTO donations VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                donation_id,
                participant,
                json.dumps(consent),
                version,
                json.dumps(sections),
                json.dumps(dropped),
                json.dumps(assumptions),
                at,
            ],
        )
        self.con.register("_donated", events)
        try:
            self.con.execute(
                "INSERT INTO donation_events SELECT ?, ?, kind, video_id, happened_at, detail FROM _donated",
                [donation_id, participant],
            )
        finally:
            self.con.unregister("_donated")

    def donated_videos_missing(self) -> list[int]:
        """Donated video ids (watched, liked, favourited, shared) not in ``videos`` yet and not
        already known to be missing from the API."""
        return [
            int(r[0])
            for r in self.con.execute(
                "SELECT DISTINCT video_id FROM donation_events WHERE video_id IS NOT NULL "
                "AND kind IN ('watch', 'like', 'favorite', 'share') "
                "AND video_id NOT IN (SELECT id FROM videos) "
                "AND video_id NOT IN (SELECT video_id FROM donation_missing) ORDER BY 1"
            ).fetchall()
        ]

    def mark_missing(self, video_ids: list[int], run_id: int, at: datetime) -> int:
        """Record donated videos the Research API returned nothing for."""
        missing = [
            int(r[0])
            for r in self.con.execute(
                "SELECT unnest(?) AS v EXCEPT SELECT id FROM videos", [video_ids]
            ).fetchall()
        ]
        if missing:
            self.con.executemany(
                "INSERT INTO donation_missing VALUES (?, ?, ?)", [[v, at, run_id] for v in missing]
            )
        return len(missing)
