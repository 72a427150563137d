"""The study report: methods appendix from provenance, figures, one self-contained HTML."""

from .html import SECTIONS, Report, Section, build_report

__all__ = ["SECTIONS", "Report", "Section", "build_report"]
