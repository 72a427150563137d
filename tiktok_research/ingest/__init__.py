"""Ingestion shared by file imports and collection: format specs, staging, normalisation,
checks and the row-level report. Sits above the store and below importers and collect."""

from .report import FileReport, ImportReport, KindCounts, RejectedRow
from .staged import Plan, StagedRows

__all__ = ["FileReport", "ImportReport", "KindCounts", "Plan", "RejectedRow", "StagedRows"]
