"""Donated TikTok data packages: every layout, the quirks, minimisation on entry, consent,
enrichment through the emulator and exposure summaries."""

from __future__ import annotations

import json
import zipfile

import pytest
import yaml
from ddp_packages import (
    BIG,
    PRIVATE,
    V1,
    V2,
    V3,
    json_2022,
    json_2023,
    json_2025,
    json_2026,
    write,
    write_txt_zip,
)

from tiktok_research.analysis.exposure import exposure
from tiktok_research.errors import UsageError
from tiktok_research.importers.donation import Consent, import_donation, read_consent
from tiktok_research.ingest.ddp import read_package
from tiktok_research.privacy import Pseudonymiser
from tiktok_research.store import Store

KEY = "a-secret-key-of-enough-length"
CONSENT = Consent(consent_date="2024-03-10", scope=["watch history", "likes"])
P = Pseudonymiser(KEY.encode())


def donate(store, path, participant="P-017", **kw):
    return import_donation(
        store, path, participant=participant, consent=CONSENT, pseudonymiser=P, **kw
    )


@pytest.mark.parametrize(
    ("make", "version", "events"),
    [
        (json_2022, "2022", {"watch": 1}),
        (json_2023, "2023-24", {"watch": 4, "like": 1, "favorite": 0, "share": 1, "search": 1, "comment": 1}),
        (json_2025, "2025", {"watch": 2, "search": 1}),
        (json_2026, "2026", {"watch": 1, "like": 1, "favorite": 1}),
    ],
)  # fmt: skip
@pytest.mark.parametrize("as_zip", [False, True])
def test_every_layout_imports_as_json_and_zip(store, tmp_path, make, version, events, as_zip):
    path = write(tmp_path, "user_data_tiktok.json" if not as_zip else version, make(), as_zip)
    r = donate(store, path)
    assert r.package_version == version
    assert {k: v["events"] for k, v in r.sections.items()} == events  # follows not kept
    ids = {
        int(x[0])
        for x in store.con.execute(
            "SELECT video_id FROM donation_events WHERE video_id IS NOT NULL"
        ).fetchall()
    }
    assert ids <= {V1, V2, V3} and ids  # ids beyond 2^53, exact


def test_the_txt_export_and_the_quirks(store, tmp_path):
    r = donate(store, write_txt_zip(tmp_path))
    assert r.package_version == "txt" and r.sections["watch"]["events"] == 2
    assert r.sections["search"]["events"] == 1 and "Direct Messages/Chat History.txt" in r.dropped
    pkg = read_package(write(tmp_path, "user_data.json", json_2023()))
    # a duplicate is kept and counted; the login link is not a video; the null section is empty
    assert (
        pkg.duplicates == 1 and pkg.not_video_links == 1 and pkg.sections["favorite"]["events"] == 0
    )
    assert [e.video_id for e in pkg.events if e.kind == "watch"].count(V1) == 2
    # unsorted lists: the covered period is the true first and last
    p25 = read_package(write(tmp_path, "user_data_tiktok.json", json_2025()))
    assert p25.sections["watch"]["first"].startswith("2025-01-31") and p25.sections["watch"][
        "last"
    ].startswith("2025-02-01")
    assert p25.sections["watch"]["path"] == "Your Activity > Watch History > VideoList"


def test_private_data_never_reaches_the_database(tmp_path):
    db = tmp_path / "private.duckdb"
    with Store(db) as store:
        for make, name in ((json_2023, "a"), (json_2025, "b"), (json_2026, "c")):
            donate(
                store,
                write(tmp_path, name, make(), as_zip=True),
                participant=f"donor-{name}@uni.example",
                keep_follows=True,
            )
        follows = store.con.execute(
            "SELECT detail FROM donation_events WHERE kind = 'follow'"
        ).fetchall()
        dropped = json.loads(
            store.con.execute("SELECT dropped FROM donations LIMIT 1").fetchall()[0][0]
        )
        store.checkpoint()
    raw = db.read_bytes()
    for value in [*PRIVATE.values(), "donor-a@uni.example", "creator_x", "Female"]:
        assert value.encode() not in raw, value
    assert all(d[0].split(":", 1)[1].startswith("u_") for d in follows)  # pseudonyms only
    assert (
        dropped["Direct Messages"] >= 1
        and dropped["Profile"] >= 1
        and dropped["Activity > Login History"] == 1
    )


def test_follows_and_comment_text_only_when_asked(store, tmp_path):
    path = write(tmp_path, "user_data.json", json_2023())
    r = donate(store, path)
    assert "following list (not kept: --keep-follows)" in r.dropped
    kinds = dict(
        store.con.execute("SELECT kind, count(*) FROM donation_events GROUP BY 1").fetchall()
    )
    assert "follow" not in kinds and kinds["comment"] == 1
    assert store.con.execute(
        "SELECT detail FROM donation_events WHERE kind = 'comment'"
    ).fetchall() == [(None,)]
    donate(store, path, participant="P-018", keep_comment_text=True)
    texts = store.con.execute(
        "SELECT detail FROM donation_events WHERE kind = 'comment' AND detail IS NOT NULL"
    ).fetchall()
    assert texts == [("so true",)]


def test_consent_is_required_and_minors_need_their_guardian(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", KEY)
    pkg = write(tmp_path, "x", json_2023(), as_zip=True)
    db = tmp_path / "s.duckdb"
    refused = cli.json("import", pkg, "--db", db, expect=2)
    assert "--participant" in refused["message"] and "--consent-file" in refused["message"]
    minor = tmp_path / "minor.yaml"
    minor.write_text(
        yaml.safe_dump({"consent_date": "2024-03-10", "scope": "all", "participant_minor": True})
    )
    out = cli.json(
        "import", pkg, "--db", db, "--participant", "P1", "--consent-file", minor, expect=2
    )
    assert "minor" in out["message"] and "guardian" in out["message"]
    with pytest.raises(UsageError, match="guardian"):
        read_consent(minor)
    ok = tmp_path / "ok.yaml"
    ok.write_text(yaml.safe_dump({"consent_date": "2024-03-10", "scope": "all", "participant_minor": True,
                                  "guardian_consent": True, "guardian_consent_date": "2024-03-09"}))  # fmt: skip
    done = cli.json("import", pkg, "--db", db, "--participant", "P1", "--consent-file", ok)
    (d,) = done["donations"]
    assert d["participant"].startswith("p_") and d["events_stored"] == 8 and done["exit_code"] == 0


def test_unusable_packages_are_named_and_store_nothing(tmp_path, cli, monkeypatch):
    monkeypatch.setenv("TIKTOK_RESEARCH_PSEUDONYM_KEY", KEY)
    consent = tmp_path / "c.yaml"
    consent.write_text(yaml.safe_dump({"consent_date": "2024-03-10", "scope": "all"}))
    db = tmp_path / "s.duckdb"
    args = ["--db", db, "--participant", "P1", "--consent-file", consent, "--format", "tiktok-ddp"]
    text = json.dumps(json_2023())
    trunc = tmp_path / "user_data_tiktok.json"
    trunc.write_text(text[: len(text) // 2])
    out = cli.json("import", trunc, *args, expect=2)
    assert "line 1, column" in out["message"] and "nothing was stored" in out["message"]
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as z:
        z.writestr("photos/cat.jpg", b"jpeg")
    out = cli.json("import", other, *args, expect=2)
    assert "photos/cat.jpg" in out["message"]
    odd = tmp_path / "odd.json"
    odd.write_text(json.dumps({"Settings": {}, "Stuff": []}))
    out = cli.json("import", odd, *args, expect=2)
    assert "top-level keys: Settings, Stuff" in out["message"]
    with Store(db, read_only=True) as s:
        assert s.con.execute("SELECT count(*) FROM donation_events").fetchall() == [(0,)]


def test_exposure_by_hand(store, tmp_path):
    donate(store, write(tmp_path, "user_data.json", json_2023()))
    e = exposure(store)
    (p,) = e.per_participant
    # watches at 20:00:00, 20:00:40 (twice) and 22:00:00: two sessions, 40 s and 0 s long
    assert p.watched == 4 and p.days == 1 and p.per_day_median == 4 and p.sessions == 2
    assert p.session_minutes_median == pytest.approx((40 / 60 + 0) / 2)
    # of the three videos watched, V1 was liked (20:01) after it was first watched (20:00:40)
    assert p.liked_after_watching == pytest.approx(1 / 3)
    assert e.enriched_share == 0 and p.participant == P("P-017", "p")
    assert exposure(store, k=10).per_participant[0].watched is None  # a small cell


def test_enrichment_against_the_emulator(tmp_path, cli, monkeypatch):
    from servers import emulator_server

    from tiktok_research.emulator import Corpus, CorpusConfig

    corpus = Corpus(CorpusConfig(videos=3000, seed=4))
    real = [int(i) for i in corpus.ids[:30]]
    fake = [(int(real[0]) >> 32 << 32) + 12345 + i for i in range(3)]  # right time, no video
    data = {"Activity": {"Video Browsing History": {"VideoList": [
        {"Date": "2024-03-02 20:00:00", "Link": f"https://www.tiktokv.com/share/video/{v}/"} for v in real + fake
    ]}}}  # fmt: skip
    path = write(tmp_path, "user_data.json", data)
    db = tmp_path / "s.duckdb"
    with Store(db) as store:
        donate(store, path)
    with emulator_server("--videos", "3000", "--seed", "4") as (base, _proc):
        monkeypatch.setenv("TIKTOK_CLIENT_KEY", "emulator-client-key")
        monkeypatch.setenv("TIKTOK_CLIENT_SECRET", "emulator-client-secret")
        monkeypatch.setenv("TIKTOK_RESEARCH_TOKEN_CACHE", str(tmp_path / "token.json"))
        out = cli.json(
            "enrich", "--db", db, "--from-donations", "--api-base", base, "--retry-base", "0"
        )
    assert out["requested"] == 33 and out["missing"] >= 3 and out["found"] == 33 - out["missing"]
    with Store(db, read_only=True) as s:
        missing = {
            int(r[0]) for r in s.con.execute("SELECT video_id FROM donation_missing").fetchall()
        }
        stored = s.con.execute("SELECT count(*) FROM videos").fetchall()[0][0]
    assert set(fake) <= missing and stored == out["found"] and BIG not in missing
