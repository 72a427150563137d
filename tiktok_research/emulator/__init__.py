"""A faithful local emulator of the TikTok Research API.

``create_app(EmulatorConfig(...))`` gives an ASGI app at TikTok's paths; use
it in-process through ``httpx.ASGITransport`` or serve it with
``tiktok-research emulator serve``. The synthetic world it serves is
``Corpus``; its planted ground truth is ``Corpus.truth()``.
"""

from .app import create_app
from .config import EmulatorConfig, FaultMix
from .corpus import Corpus, CorpusConfig

__all__ = ["Corpus", "CorpusConfig", "EmulatorConfig", "FaultMix", "create_app", "export_corpus"]


def export_corpus(corpus: Corpus, out: str, fmt: str = "ndjson") -> int:
    """Write the corpus' videos as Research-API records (NDJSON) or Parquet; returns the count."""
    import duckdb

    from ..api_spec import VIDEO_FIELDS

    cols = [c for c in VIDEO_FIELDS if c in corpus.videos.column_names]
    table = corpus.videos.select(cols)
    con = duckdb.connect()
    con.register("corpus_videos", table)
    target = "'" + str(out).replace("'", "''") + "'"
    option = "FORMAT json" if fmt == "ndjson" else "FORMAT parquet"
    con.execute(f"COPY (SELECT * FROM corpus_videos ORDER BY id) TO {target} ({option})")
    return table.num_rows
