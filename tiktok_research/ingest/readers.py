"""Read source files chunk by chunk into the DuckDB staging table ``_raw``.

Each reader is a generator: every step leaves one chunk of the file in
``_raw`` (one row per record) and yields; the importer normalises and stores
that chunk before asking for the next, so memory stays flat however large the
file grows. Every staged row carries ``_line`` (the physical line, for NDJSON
and CSV), ``_rec`` (the record's index inside a JSON document or a response
page) and ``_error`` (why the row could not even be read: invalid JSON, bad
UTF-8, a CSV row of the wrong width).
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.json as pa_json

from ..api_spec import RECORD_LIST_KEYS
from ..errors import ImportProblem
from .formats import Spec, duckdb_types
from .normalize import sql_str

CHUNK_BYTES = int(os.environ.get("TIKTOK_RESEARCH_IMPORT_CHUNK_MB", "64")) << 20
RECORD_BATCH = 100_000
BOM = b"\xef\xbb\xbf"
#: the longest line DuckDB's JSON reader takes: its buffers are that large and each is read by
#: one thread (measured: 1 GB buffers read a 400 MB file on one core, at half the speed)
MAX_LINE_MB = 16
T = TypeVar("T")
#: bytes, or a view of them (chunks are handed on without copying)
Buffer = bytes | memoryview


#: an integer literal too long for int64 (20 or more digits, outside strings or not)
_LONG_INT = re.compile(rb"(?<![0-9.eE])[0-9]{20,}(?![0-9.eE])")


def loads(raw: bytes) -> Any:
    """Parse JSON keeping every integer exact.

    orjson reads an integer beyond 64 bits as a float, which would turn an
    over-long id into '7.32e+19'; such (rare) text goes through the standard
    parser, which keeps the digits, so the field check can quote them.
    """
    if _LONG_INT.search(raw):
        return json.loads(raw)
    return orjson.loads(raw)


def _has_long_int(path: Path, block: int = 1 << 24) -> bool:
    """Whether the file holds an integer literal of 20 or more digits (read block by block)."""
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(block):
            if _LONG_INT.search(tail + chunk):
                return True
            tail = chunk[-32:]
    return False


class Staging:
    """What a reader noticed besides the rows it staged."""

    def __init__(self) -> None:
        self.nul_bytes = 0


@dataclass(frozen=True)
class Chunk:
    """What a reader's step staged, and where: ``_raw`` (text) or ``_typed``.

    ``typed``: the columns already hold canonical types (the typed parse of a
    clean chunk). Should the checks find a problem in such a chunk, ``as_text``
    stages the same lines again as text, so every refused value is reported
    with its line, field and reason exactly as the text path reports it.
    """

    typed: bool = False
    as_text: Callable[[], None] | None = None


TEXT = Chunk()

#: canonical type -> the Arrow type a clean Research API file gives the value
ARROW_TYPES = {
    "BIGINT": pa.int64(),
    "TIMESTAMPTZ": pa.int64(),  # epoch seconds
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "VARCHAR": pa.string(),
    "VARCHAR[]": pa.list_(pa.string()),
    "BIGINT[]": pa.list_(pa.int64()),
}


def _stage_lines(con: duckdb.DuckDBPyConnection, table: pa.Table, spec: Spec) -> None:
    """Parse a table of (``_line``, ``_rec``, ``line``, ``_read_error``) into ``_raw``."""
    con.register("_lines", table)
    try:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE _raw AS
            SELECT _line, _rec, coalesce(_read_error, _e) AS _error, _j.* FROM (
                SELECT _line, _rec, _read_error,
                       CASE WHEN NOT json_valid(line) THEN 'invalid JSON (truncated or malformed)'
                            WHEN json_type(line) <> 'OBJECT'
                            THEN 'expected a JSON object, got ' || lower(json_type(line)) END AS _e,
                       json_transform(CASE WHEN json_valid(line) AND json_type(line) = 'OBJECT'
                                      THEN line END, {sql_str(json.dumps(spec))}) AS _j
                FROM _lines WHERE _read_error IS NOT NULL
                   OR trim(line, chr(32) || chr(9) || chr(13) || chr(10)) <> '')"""
        )
    finally:
        con.unregister("_lines")


def line_texts(data: Buffer, n: int) -> pa.Array:
    """The ``n`` lines of ``data`` (each ending in a newline) as strings, without copying."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = ends + 1  # each value keeps its newline; JSON treats it as whitespace
    return pa.LargeStringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _lines_table(first_line: int, data: bytes) -> pa.Table:
    """Split whole lines (``data`` ends with a newline) into an Arrow table without copying."""
    n = data.count(b"\n")
    lines = line_texts(data, n)
    read_errors: list[str | None] = [None] * n
    try:
        lines.validate(full=True)
    except pa.ArrowInvalid:
        # rare: decode line by line and flag the ones that are not UTF-8
        offsets = lines.offsets.to_numpy()
        texts: list[str] = []
        for i, (start, end) in enumerate(zip(offsets[:-1], offsets[1:] - 1, strict=True)):
            try:
                texts.append(data[start:end].decode("utf-8"))
            except UnicodeDecodeError as exc:
                texts.append("")
                read_errors[i] = f"not valid UTF-8 (byte {exc.start + 1} of the line)"
        lines = pa.array(texts, pa.large_string())
    return pa.table(
        {
            "_line": np.arange(first_line, first_line + n, dtype=np.int64),
            "_rec": pa.nulls(n, pa.int64()),
            "line": lines,
            "_read_error": pa.array(read_errors, pa.string()),
        }
    )


def _line_chunks(path: Path, staging: Staging) -> Iterator[tuple[int, memoryview, int]]:
    """(number of the chunk's first line, whole lines ending in a newline, how many); no NULs.

    Each chunk is read into a buffer of its own and handed on as a view, not
    copied: at hundreds of MB a copy or two per chunk cost as much as parsing.
    """
    line_no, rest, first = 1, b"", True
    with path.open("rb") as f:
        while True:
            buf = bytearray(len(rest) + CHUNK_BYTES)
            buf[: len(rest)] = rest
            got = f.readinto(memoryview(buf)[len(rest) :])
            end, start = len(rest) + got, 0
            if first:
                first = False
                start = len(BOM) if buf.startswith(BOM) else 0
            if not got:  # end of file: what is left is a last line without its newline
                if end <= start:
                    return
                buf[end] = 10
                cut = end + 1
            else:
                cut = buf.rfind(b"\n", start, end) + 1
                if cut <= start:  # no whole line yet: read on
                    rest = bytes(buf[start:end])
                    continue
            data = memoryview(buf)[start:cut]
            lines = buf.count(b"\n", start, cut)
            if buf.find(b"\x00", start, cut) >= 0:
                staging.nul_bytes += buf.count(b"\x00", start, cut)
                data = memoryview(bytes(data).replace(b"\x00", b""))
            rest = bytes(buf[cut:end])
            yield line_no, data, lines
            line_no += lines
            if not got:
                return


def _stage_text(
    con: duckdb.DuckDBPyConnection,
    data: Buffer,
    first_line: int,
    lines: int,
    spec: Spec,
    tmpdir: str,
) -> None:
    """Stage a chunk of NDJSON lines as text in ``_raw``.

    DuckDB's parallel JSON reader stages a clean chunk: every line parses as an
    object and none is blank, so rows and lines correspond one to one.
    Anything else goes through the line reader, which reports each bad line.
    """
    if _read_json_clean(con, data, lines, spec, tmpdir):
        # insertion order is file order, and every line is one row
        con.execute("UPDATE _raw SET _line = rowid + ?", [first_line])
    else:
        _stage_lines(con, _lines_table(first_line, bytes(data)), spec)


def json_reader(
    path: str, spec: Spec, lists: frozenset[str] = frozenset(), max_line_mb: int = MAX_LINE_MB
) -> str:
    """SQL reading the NDJSON records at ``path`` (a SQL string) with DuckDB's parallel reader.

    One column per key of ``spec``; keys in ``lists`` are read as lists of
    strings, which DuckDB's reader parses exactly as the text path's
    ``json_transform`` parses the list's text. A line longer than
    ``max_line_mb`` is an error (for files, the line reader takes it).
    """
    columns = ", ".join(f"'{k}': '{t}'" for k, t in duckdb_types(spec, lists).items())
    return (
        f"read_json({path}, format = 'newline_delimited', records = true, "
        f"maximum_object_size = {max_line_mb << 20}, columns = {{{columns}}})"
    )


def staged_columns(reader: str) -> str:
    """``reader``'s rows with the bookkeeping columns a staged row has (none of them known)."""
    return f"SELECT NULL::BIGINT AS _line, NULL::BIGINT AS _rec, NULL::VARCHAR AS _error, * FROM {reader}"


def whole_file(path: Path, spec: Spec, lists: frozenset[str]) -> str | None:
    """The NDJSON file as one relation read by DuckDB (:func:`json_reader`), for files
    that may be stored without staging (``StagedRows.whole``); None for an empty file.

    The reader refuses what the chunk reader must handle: NUL bytes (removed and
    counted there), bad UTF-8, lines that are not objects, and records longer
    than :data:`MAX_LINE_MB` (none the API sends).
    """
    if not path.stat().st_size:
        return None
    return f"({staged_columns(json_reader(sql_str(str(path)), spec, lists))})"


def _read_json_clean(
    con: duckdb.DuckDBPyConnection, data: Buffer, lines: int, spec: Spec, tmpdir: str
) -> bool:
    """Stage ``data`` in ``_raw`` by DuckDB's JSON reader; False if the chunk is not clean."""
    fd, name = tempfile.mkstemp(suffix=".ndjson", dir=tmpdir)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _raw AS {staged_columns(json_reader('?', spec))}",
            [name],
        )
    except duckdb.Error:
        return False
    finally:
        os.unlink(name)
    return bool(con.execute("SELECT count(*) FROM _raw").fetchall()[0][0] == lines)


#: the relation a typed chunk is staged as (an Arrow table registered with DuckDB, not copied)
TYPED = "_typed"


def arrow_schema(types: dict[str, str]) -> pa.Schema:
    """The Arrow schema of typed records (``types``: :func:`~.formats.typed_spec`), JSON left out."""
    return pa.schema([(k, ARROW_TYPES[t]) for k, t in types.items() if t != "JSON"])


def parse_typed(
    data: Buffer, schema: pa.Schema, lines: int | None = None, *, others: str = "infer"
) -> pa.Table | None:
    """NDJSON lines as an Arrow table, every value in its canonical type; None if not clean.

    Arrow's JSON reader parses the chunk against an explicit schema (from
    :func:`arrow_schema`) and refuses anything else: an id written as a string
    or a float, a number beyond int64, a list that is not a list, a line that
    is not an object. Blank lines would break the line numbering, so they too
    send the chunk to the text path. ``lines``: the number of lines in
    ``data``, when the caller has counted them. ``others``: what becomes of
    keys the schema lacks ("infer": columns of their own, which tells which
    JSON fields occur; "ignore"). Thread-safe.
    """
    options = pa_json.ParseOptions(explicit_schema=schema, unexpected_field_behavior=others)
    try:
        table = pa_json.read_json(
            pa.BufferReader(data),
            read_options=pa_json.ReadOptions(block_size=4 << 20),  # measured: 30% faster than 1 MB
            parse_options=options,
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if table.num_rows != (bytes(data).count(b"\n") if lines is None else lines):
        return None
    return table


def json_keys(types: dict[str, str]) -> list[str]:
    """The keys of ``types`` (:func:`~.formats.typed_spec`) whose values are free-form JSON."""
    return [k for k, t in types.items() if t == "JSON"]


def json_columns(struct: str, present: list[str], keys: list[str]) -> str:
    """SQL select items giving each of ``keys`` as JSON text (NULL for JSON null or absent).

    ``struct``: a struct of JSON values made by ``json_transform(text, json_shape(present))``.
    Keys not in ``present`` are NULL without being looked for.
    """
    return "".join(
        f', nullif(CAST({struct}."{k}" AS VARCHAR), \'null\') AS "{k}"'
        if k in present
        else f', NULL::VARCHAR AS "{k}"'
        for k in keys
    )


def json_shape(present: list[str]) -> dict[str, str]:
    """The ``json_transform`` structure taking each key as raw JSON (see :func:`json_literal`)."""
    return {k: "JSON" for k in present}


def json_literal(value: Any) -> str:
    """``value`` as JSON in a SQL string literal (a ``json_transform`` structure, say)."""
    return sql_str(json.dumps(value))


def stage_typed(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    data: Buffer,
    first_line: int,
    types: dict[str, str],
) -> None:
    """Register the parsed ``table`` of ``data`` (:func:`parse_typed`) as ``_typed``.

    Fields holding free-form JSON are taken as JSON text from the lines (one
    ``json_transform`` per line), and only when the chunk has them.
    """
    n = table.num_rows
    keys = json_keys(types)
    columns: dict[str, Any] = {
        "_line": np.arange(first_line, first_line + n, dtype=np.int64),
        "_rec": pa.nulls(n, pa.int64()),
        "_error": pa.nulls(n, pa.string()),
    }
    columns.update((k, table[k]) for k, t in types.items() if t != "JSON")
    present = [k for k in keys if k in table.column_names]
    columns.update((k, pa.nulls(n, pa.string())) for k in keys if k not in present)
    if not present:
        con.register(TYPED, pa.table(columns))
        return
    columns["_text"] = line_texts(data, n)
    con.register("_typed_lines", pa.table(columns))
    try:
        staged = con.sql(
            f"SELECT * EXCLUDE (_text, _j){json_columns('_j', present, present)} FROM "
            f"(SELECT *, json_transform(_text, {json_literal(json_shape(present))}) AS _j "
            "FROM _typed_lines)"
        ).to_arrow_table()
    finally:
        con.unregister("_typed_lines")
    con.register(TYPED, staged)


def _ahead(items: Iterator[T], pool: ThreadPoolExecutor) -> Iterator[T]:
    """The items of ``items``, each produced in ``pool`` while the previous one is used."""
    pending = pool.submit(next, items, None)
    while (item := pending.result()) is not None:
        pending = pool.submit(next, items, None)
        yield item


def ndjson_chunks(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    spec: Spec,
    staging: Staging,
    types: dict[str, str] | None = None,
) -> Iterator[Chunk]:
    """Stage an NDJSON file of records, chunk by chunk: typed when ``types`` is given and
    the chunk is clean, as text otherwise.

    Reading and the typed parse of the next chunk run in a thread while the
    current one is checked and stored (both release the GIL).
    """

    schema = arrow_schema(types) if types else None

    def read() -> Iterator[tuple[int, memoryview, int, pa.Table | None]]:
        for first_line, data, lines in _line_chunks(path, staging):
            yield first_line, data, lines, parse_typed(data, schema, lines) if schema else None

    with (
        tempfile.TemporaryDirectory(prefix="tiktok-import-") as tmpdir,
        ThreadPoolExecutor(1, thread_name_prefix="tiktok-read") as pool,
    ):
        for first_line, data, lines, table in _ahead(read(), pool):
            if types and table is not None:
                stage_typed(con, table, data, first_line, types)
                yield Chunk(True, partial(_stage_text, con, data, first_line, lines, spec, tmpdir))
            else:
                _stage_text(con, data, first_line, lines, spec, tmpdir)
                yield TEXT


def record_chunks(
    con: duckdb.DuckDBPyConnection, records: Iterator[tuple[int | None, int, Any]], spec: Spec
) -> Iterator[Chunk]:
    """Stage records given one by one as (line or None, index, dict or error text)."""
    batch: dict[str, list[Any]] = {"_line": [], "_rec": [], "line": [], "_read_error": []}

    def staged() -> None:
        _stage_lines(
            con,
            pa.table(
                {
                    "_line": pa.array(batch["_line"], pa.int64()),
                    "_rec": pa.array(batch["_rec"], pa.int64()),
                    "line": pa.array(batch["line"], pa.large_string()),
                    "_read_error": pa.array(batch["_read_error"], pa.string()),
                }
            ),
            spec,
        )
        for v in batch.values():
            v.clear()

    for line, rec, item in records:
        batch["_line"].append(line)
        batch["_rec"].append(rec)
        if isinstance(item, dict):
            try:
                batch["line"].append(orjson.dumps(item).decode())
            except TypeError:  # integers beyond 64 bits: let the field checks name them
                batch["line"].append(json.dumps(item, default=str))
            batch["_read_error"].append(None)
        else:
            batch["line"].append("{}")
            batch["_read_error"].append(str(item))
        if len(batch["_line"]) >= RECORD_BATCH:
            staged()
            yield TEXT
    if batch["_line"]:
        staged()
        yield TEXT


def _envelope_records(obj: Any, username: str | None = None) -> list[Any] | None:
    """The records inside a Research API response, or None if ``obj`` is not a response.

    A user-info response does not name its user (the request did): the name
    comes from the record, else from a wrapper around the response
    (``{"username": ..., "data": ...}`` or ``{"request": {"username": ...}, ...}``),
    else from ``username`` (the import's ``--username``).
    """
    if not isinstance(obj, dict) or "data" not in obj or "id" in obj or "video_id" in obj:
        return None
    data = obj["data"]
    err = obj.get("error")
    if isinstance(err, dict) and err.get("code") not in (None, "ok"):
        return [f"error response from the API: {err.get('code')}: {err.get('message', '')}"]
    if not isinstance(data, dict):
        return ["response 'data' is not an object"]
    for key in RECORD_LIST_KEYS:
        if isinstance(data.get(key), list):
            return data[key]
    if any(k in data for k in ("display_name", "follower_count", "bio_description")):
        request = obj.get("request")
        name = (
            data.get("username")
            or obj.get("username")
            or (request.get("username") if isinstance(request, dict) else None)
            or username
        )
        return [{**data, "username": name} if name else data]
    return []


def _item(obj: Any) -> Any:
    return obj if isinstance(obj, dict | str) else "expected a JSON object"


def iter_ndjson_envelopes(
    path: Path, username: str | None = None
) -> Iterator[tuple[int | None, int, Any]]:
    """Records of an NDJSON file whose lines are whole responses (or records)."""
    with path.open("rb") as f:
        for line_no, raw in enumerate(f, 1):
            if line_no == 1:
                raw = raw.removeprefix(BOM)
            if not raw.strip():
                continue
            try:
                obj = loads(raw.replace(b"\x00", b""))
            except ValueError:  # orjson's and json's decode errors
                yield line_no, 0, "invalid JSON (truncated or malformed)"
                continue
            inner = _envelope_records(obj, username)
            if inner is None:
                yield line_no, 0, _item(obj)
                continue
            for i, rec in enumerate(inner, 1):
                yield line_no, i, _item(rec)


def iter_json_document(
    path: Path, username: str | None = None
) -> Iterator[tuple[int | None, int, Any]]:
    """Records of one JSON document: a response, a list of records or of responses.

    Lists are streamed item by item, so a large JSON array need not fit in memory.
    """
    import ijson

    with path.open("rb") as f:
        head = f.read(4096).removeprefix(BOM).lstrip()
    try:
        if head.startswith(b"["):
            with path.open("rb") as f:
                if f.read(3) != BOM:
                    f.seek(0)
                rec = 0
                # the fast C parser refuses integers beyond 64 bits; the pure-Python one keeps
                # them, so the field check can name them
                parser = ijson.get_backend("python") if _has_long_int(path) else ijson
                for item in parser.items(f, "item", use_float=True):
                    inner = _envelope_records(item, username)
                    for sub in inner if inner is not None else [item]:
                        rec += 1
                        yield None, rec, _item(sub)
            return
        obj = loads(path.read_bytes().removeprefix(BOM).replace(b"\x00", b""))
    except (ijson.JSONError, orjson.JSONDecodeError, ValueError) as exc:  # json's too
        raise ImportProblem(f"{path}: not valid JSON ({exc})") from exc
    inner = _envelope_records(obj, username)
    for i, item in enumerate(inner if inner is not None else [obj], 1):
        yield None, i, _item(item)


def read_csv_header(path: Path) -> tuple[list[str], str]:
    """The header row and the delimiter of a CSV file (comma, semicolon, tab or bar)."""
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as f:
            first = f.readline().replace("\x00", "")
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"{path}: the CSV header is not UTF-8 text") from exc
    if not first.strip():
        raise ImportProblem(f"{path}: empty CSV file (no header line)")
    delimiter = guess_delimiter(first)
    return next(csv.reader([first], delimiter=delimiter)), delimiter


def guess_delimiter(header_line: str) -> str:
    """The most frequent of the usual delimiters in a header line (comma if none)."""
    counts = {d: header_line.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.__getitem__)
    return best if counts[best] else ","


def csv_chunks(
    con: duckdb.DuckDBPyConnection, path: Path, header: list[str], delimiter: str, staging: Staging
) -> Iterator[Chunk]:
    """Stage a CSV file as text columns ``c0..cN`` (in header order), chunk by chunk."""
    csv.field_size_limit(2**31 - 1)
    width = len(header)
    cols: list[list[str | None]] = [[] for _ in range(width)]
    lines: list[int] = []
    errors: list[str | None] = []

    def staged() -> None:
        data: dict[str, Any] = {
            "_line": pa.array(lines, pa.int64()),
            "_rec": pa.nulls(len(lines), pa.int64()),
            "_error": pa.array(errors, pa.string()),
        }
        for i, c in enumerate(cols):
            data[f"c{i}"] = pa.array(c, pa.large_string())
        con.register("_csv_arrow", pa.table(data))
        con.execute("CREATE OR REPLACE TEMP TABLE _raw AS SELECT * FROM _csv_arrow")
        con.unregister("_csv_arrow")
        lines.clear()
        errors.clear()
        for c in cols:
            c.clear()

    with path.open("r", encoding="utf-8-sig", errors="strict", newline="") as f:
        reader = csv.reader(_strip_nul(f, staging), delimiter=delimiter)
        next(reader)
        start = reader.line_num + 1
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except UnicodeDecodeError as exc:
                raise ImportProblem(
                    f"{path}: not UTF-8 text near line {reader.line_num + 1} ({exc.reason}); "
                    "re-save the file as UTF-8"
                ) from exc
            except csv.Error as exc:
                row = []
                problem: str | None = f"unreadable CSV row: {exc}"
            else:
                problem = (
                    None
                    if len(row) == width
                    else (f"expected {width} fields as in the header, found {len(row)}")
                )
            if row or problem:
                if not problem and len(row) == 1 and not row[0].strip() and width > 1:
                    start = reader.line_num + 1
                    continue  # a blank line
                lines.append(start)
                errors.append(problem)
                for i, c in enumerate(cols):
                    c.append(row[i] if not problem and row[i] != "" else None)
            start = reader.line_num + 1
            if len(lines) >= RECORD_BATCH:
                staged()
                yield TEXT
    if lines:
        staged()
        yield TEXT


def _strip_nul(f: io.TextIOBase, staging: Staging) -> Iterator[str]:
    for line in f:
        if "\x00" in line:
            staging.nul_bytes += line.count("\x00")
            line = line.replace("\x00", "")
        yield line
