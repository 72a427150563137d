"""Analyses of stored TikTok metadata: frames (the only store -> frame step), metadata
analysis and trend lifecycles."""

from .frames import Frames, Selection, check_tz, open_frames
from .metadata import MetadataAnalysis, analyse
from .trends import TrendReport, detect

__all__ = [
    "Frames",
    "MetadataAnalysis",
    "Selection",
    "TrendReport",
    "analyse",
    "check_tz",
    "detect",
    "open_frames",
]
