"""Import speed and memory against DuckDB's own JSON load of the same file; prints a table.

    python benchmarks/import_bench.py                          # 500k, 1M and 4M rows
    python benchmarks/import_bench.py --rows 1000000 --repeat 3

For each size it generates Research-API-shaped NDJSON video rows, then, each
in a fresh interpreter (so peak RSS is that run's own) and timed from opening
the database to closing it:

* raw: ``CREATE TABLE t AS SELECT * FROM read_json(file)`` into a new DuckDB
  file - the plain load, with no checks, no normalisation, no provenance;
* import: ``import_files`` into a new store (the clean file stored whole:
  checks, normalisation, insert, metric snapshots, a validation report);
* update: the same file imported again (every row already stored: a checking
  pass, then the merge);
* text: the import with the typed readings turned off (every chunk through
  the text path, as for a dirty file), for comparison.

Targets: import at most 2.5x the raw load (>= 200k rows/s on 2 cores), and
peak memory that does not grow with the file. The best of ``--repeat`` runs
is shown. Process start-up and imports are not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
mode, path, db = sys.argv[1], sys.argv[2], sys.argv[3]
import duckdb
from tiktok_research.importers import import_files
from tiktok_research.store import Store
t0 = time.perf_counter()
if mode == "raw":
    con = duckdb.connect(db)
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_json(?)", [path])
    con.close()
else:
    with Store(Path(db)) as store:
        report = import_files(store, [path], typed=mode != "text")
    assert report.exit_code == 0, report.files[0].model_dump()
wall = time.perf_counter() - t0
print(json.dumps([wall, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024]))
"""


def generate(path: Path, rows: int) -> None:
    """Deterministic Research-API-shaped video rows (ids above 2^53), written by DuckDB."""
    con = duckdb.connect()
    con.execute(
        f"""COPY (
        SELECT 7200000000000000000 + i * 1000 AS id,
               'caption ' || i || ' #tag' || (i % 5000) || ' #topic' || (i % 97)
                 || CASE WHEN i % 7 = 0 THEN ' @user' || (i % 50000) ELSE '' END AS video_description,
               1700000000 + i * 3 AS create_time,
               ['US', 'DE', 'FR', 'BR', 'ID'][1 + i % 5] AS region_code,
               (i * 7919) % 100000 AS view_count, (i * 31) % 10000 AS like_count,
               i % 500 AS comment_count, i % 100 AS share_count, i % 50 AS favorites_count,
               6800000000000000000 + i % 20000 AS music_id,
               ['tag' || (i % 5000), 'topic' || (i % 97)] AS hashtag_names,
               'user' || (i % 50000) AS username,
               ['e' || (i % 10)] AS effect_ids,
               'spoken words ' || (i % 1000) AS voice_to_text,
               i % 3 = 0 AS is_stem_verified,
               5 + i % 300 AS video_duration
        FROM range({rows}) t(i)
    ) TO '{path}' (FORMAT json)"""
    )


def run(mode: str, path: Path, db: Path, fresh: bool = True) -> tuple[float, float]:
    """(seconds, peak MB) of one load in a fresh interpreter."""
    if fresh:
        for p in (db, db.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(path), str(db)],
        capture_output=True,
        text=True,
        check=False,
    )
    if out.returncode != 0:
        raise SystemExit(f"{mode} failed: {out.stderr[-2000:]}")
    wall, mb = json.loads(out.stdout.strip().splitlines()[-1])
    return float(wall), float(mb)


def best(mode: str, path: Path, db: Path, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        if mode == "update":
            run("import", path, db)  # the store holds the file already
            runs.append(run("import", path, db, fresh=False))
        else:
            runs.append(run(mode, path, db))
    return min(r[0] for r in runs), max(r[1] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="*", default=[500_000, 1_000_000, 4_000_000])
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--no-text", action="store_true", help="skip the text-path comparison")
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    args = ap.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="tiktok-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cpus: {os.cpu_count()}, best of {args.repeat}, work dir: {work}\n")
    print(
        "| rows | file MB | raw load s | import s | ratio | rows/s | peak MB (raw / import) "
        "| update s | ratio | text path s | ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for rows in sorted(args.rows):
        path = work / f"videos_{rows}.ndjson"
        generate(path, rows)
        db = work / f"bench_{rows}.duckdb"
        raw_s, raw_mb = best("raw", path, db, args.repeat)
        imp_s, imp_mb = best("import", path, db, args.repeat)
        upd_s, _ = best("update", path, db, args.repeat)
        if args.no_text:
            text = "- | -"
        else:
            text_s, _ = best("text", path, db, 1)
            text = f"{text_s:.2f} | {text_s / raw_s:.1f}x"
        print(
            f"| {rows:,} | {path.stat().st_size / 1e6:,.0f} | {raw_s:.2f} | {imp_s:.2f} "
            f"| {imp_s / raw_s:.2f}x | {rows / imp_s:,.0f} | {raw_mb:,.0f} / {imp_mb:,.0f} "
            f"| {upd_s:.2f} | {upd_s / raw_s:.2f}x | {text} |",
            flush=True,
        )
        path.unlink()
        for p in (db, db.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)
    if args.dir is None:
        work.rmdir()


if __name__ == "__main__":
    main()
