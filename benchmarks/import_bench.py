"""Import speed and memory: generate Research-API NDJSON video rows, import them, print a table.

    python benchmarks/import_bench.py                # 250k, 500k and 1M rows
    python benchmarks/import_bench.py --rows 1000000 --repeat 2

Each import runs in a fresh subprocess (``tiktok-research import``) so that
its peak RSS is its own; the second import of the same file measures the
update path (every row already stored). Target: >= 200k rows/s on 2 cores,
with peak memory that does not grow with the file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb


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


def run_import(path: Path, db: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one ``tiktok-research import`` subprocess."""
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tiktok_research.cli",
            "import",
            str(path),
            "--db",
            str(db),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(
            f"import failed ({proc.returncode}): {proc.stdout[-500:]} {proc.stderr[-2000:]}"
        )
    # called in a fresh interpreter (see _isolated), so this is the one import's peak
    return wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="*", default=[250_000, 500_000, 1_000_000])
    ap.add_argument("--dir", type=Path, default=None, help="work directory (default: a temp dir)")
    args = ap.parse_args()
    work = Path(args.dir or tempfile.mkdtemp(prefix="tiktok-import-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"cpus: {os.cpu_count()}, work dir: {work}")
    print(
        f"{'rows':>10} {'file MB':>8} {'gen s':>6} | {'new: s':>7} {'rows/s':>9} {'peak MB':>8} |"
        f" {'update: s':>9} {'rows/s':>9} {'peak MB':>8}"
    )
    for rows in sorted(args.rows):
        path = work / f"videos_{rows}.ndjson"
        t0 = time.perf_counter()
        generate(path, rows)
        gen = time.perf_counter() - t0
        db = work / f"bench_{rows}.duckdb"
        for p in (db, db.with_suffix(".duckdb.wal")):
            p.unlink(missing_ok=True)
        # each size in its own process tree so peak RSS is per size
        new_s, new_mb = _isolated(path, db)
        upd_s, upd_mb = _isolated(path, db)
        print(
            f"{rows:>10,} {path.stat().st_size / 1e6:>8.0f} {gen:>6.1f} | {new_s:>7.2f} "
            f"{rows / new_s:>9,.0f} {new_mb:>8.0f} | {upd_s:>9.2f} {rows / upd_s:>9,.0f} "
            f"{upd_mb:>8.0f}"
        )
        path.unlink()


def _isolated(path: Path, db: Path) -> tuple[float, float]:
    """Run one import in a child interpreter that reports its own child's peak RSS."""
    code = (
        f"import sys, json; sys.path.insert(0, {str(Path(__file__).parent)!r}); import import_bench as b; from pathlib import Path;"
        f"print(json.dumps(b.run_import(Path({str(path)!r}), Path({str(db)!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    wall, mb = json.loads(out.stdout.strip().splitlines()[-1])
    return float(wall), float(mb)


if __name__ == "__main__":
    main()
