"""Recognise the format and layout of an input file from its first bytes."""

from __future__ import annotations

import csv
from pathlib import Path

import orjson

from ..errors import ImportProblem
from ..ingest.formats import CSV_VIDEO_ALIASES, FOURCAT_MARKERS, norm_header
from ..ingest.readers import guess_delimiter

SNIFF_BYTES = 1 << 20


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            head = f.read(SNIFF_BYTES)
    except FileNotFoundError as exc:
        raise ImportProblem(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise ImportProblem(f"{path}: is a directory, not a file") from exc
    except OSError as exc:
        raise ImportProblem(f"{path}: cannot read ({exc.strerror})") from exc
    return head.removeprefix(b"\xef\xbb\xbf")


def _first_line_object(head: bytes) -> object | None:
    for raw in head.split(b"\n"):
        if raw.strip():
            try:
                return orjson.loads(raw.replace(b"\x00", b""))
            except orjson.JSONDecodeError:
                return None
    return None


def _is_zeeschuimer(obj: object) -> bool:
    return (
        isinstance(obj, dict)
        and "data" in obj
        and bool({"source_platform", "nav_index", "timestamp_collected", "item_id"} & set(obj))
    )


def json_layout(path: Path) -> str:
    """'ndjson' (one record per line), 'ndjson-envelopes' (one response per line) or 'document'."""
    head = _head(path).lstrip()
    if head.startswith(b"["):
        return "document"
    obj = _first_line_object(head)
    if not isinstance(obj, dict):
        return "document"
    if "data" in obj and "id" not in obj and "video_id" not in obj and not _is_zeeschuimer(obj):
        return "ndjson-envelopes"
    return "ndjson"


def detect_format(path: Path, mapped: bool = False) -> str:
    """One of 'research-api', 'zeeschuimer', '4cat-csv', 'csv'; ImportProblem if none fits.

    ``mapped``: the user gave --map, so a text file with any header is a CSV.
    """
    head = _head(path)
    text = head.lstrip()
    if not text:
        raise ImportProblem(f"{path}: the file is empty")
    if text[:1] in (b"{", b"["):
        obj = _first_line_object(text)
        if _is_zeeschuimer(obj):
            return "zeeschuimer"
        return "research-api"
    try:
        sample = head.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        try:
            sample = head[: head.rfind(b"\n")].decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ImportProblem(f"{path}: not UTF-8 text, so neither JSON nor CSV") from exc
    first = sample.split("\n", 1)[0].rstrip("\r")
    header = next(csv.reader([first], delimiter=guess_delimiter(first)), [first])
    names = {norm_header(h) for h in header}
    if names >= FOURCAT_MARKERS:
        return "4cat-csv"
    known = {a for aliases in CSV_VIDEO_ALIASES.values() for a in aliases}
    if len(header) >= 2 and (names & known or mapped):
        return "csv"
    raise ImportProblem(
        f"{path}: unknown format: not JSON, and the first line ({first[:80]!r}) is not a CSV "
        "header with a recognisable column (such as id, video_id, desc, create_time); "
        "give --format and --map SRC=FIELD"
    )
