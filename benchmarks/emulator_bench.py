"""Corpus generation time and memory, and emulator page latency; prints a table.

    python benchmarks/emulator_bench.py                 # 100k and 1M videos
    python benchmarks/emulator_bench.py --videos 5000000

Each size is generated in a fresh subprocess so its peak RSS is its own.
Target: 1M videos in well under a minute, a few GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, time, asyncio
import httpx
from tiktok_research.emulator import Corpus, CorpusConfig, EmulatorConfig, create_app
n = int(sys.argv[1])
t0 = time.perf_counter()
corpus = Corpus(CorpusConfig(videos=n))
gen = time.perf_counter() - t0
t0 = time.perf_counter()
app = create_app(EmulatorConfig(videos=n), corpus)
index = time.perf_counter() - t0

async def pages():
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://e") as c:
        tok = (await c.post("/v2/oauth/token/", data={"client_key": "emulator-client-key",
               "client_secret": "emulator-client-secret", "grant_type": "client_credentials"})).json()
        h = {"Authorization": "Bearer " + tok["access_token"]}
        body = {"query": {"and": [{"operation": "IN", "field_name": "region_code",
                "field_values": ["US", "DE"]}]}, "start_date": "20240101",
                "end_date": "20240130", "max_count": 100}
        times = []
        for _ in range(30):
            t = time.perf_counter()
            d = (await c.post("/v2/research/video/query/?fields=id,username,hashtag_names,"
                              "view_count,create_time", json=body, headers=h)).json()["data"]
            times.append(time.perf_counter() - t)
            body.update(cursor=d["cursor"], search_id=d["search_id"])
        return times[0], sorted(times[1:])[len(times) // 2]
first, median = asyncio.run(pages())
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps([gen, index, rss, first, median]))
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--videos", type=int, nargs="*", default=[100_000, 1_000_000])
    args = ap.parse_args()
    print(
        f"{'videos':>10} | {'generate s':>10} {'index s':>8} {'peak MB':>8} | "
        f"{'1st page ms':>11} {'next pages ms':>13}"
    )
    for n in args.videos:
        out = subprocess.run(
            [sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True
        )
        gen, index, rss, first, median = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{n:>10,} | {gen:>10.1f} {index:>8.1f} {rss:>8.0f} | {first * 1e3:>11.1f} "
            f"{median * 1e3:>13.1f}"
        )


if __name__ == "__main__":
    main()
