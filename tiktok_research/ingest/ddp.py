"""TikTok's own "Download your data" packages (GDPR Art. 15/20), read for data donation.

One table of path variants covers every layout known (2020 TXT; 2022 and 2023-24
``Activity``; 2025 ``Your Activity``; 2026 ``Likes and Favorites`` and ``Profile And
Settings``); keys match whatever their casing. Only the events a study needs are
read - watches, likes, favourites, shares, searches, follows and the participant's
own comments - and everything else is dropped on entry and counted by section:
direct messages, IP addresses, device and advertising ids, location, e-mail,
phone, birth date, inferred gender, shop and payment data never leave this module.
"""

from __future__ import annotations

import json
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import ImportProblem

VIDEO_LINK = re.compile(r"/video/(\d+)")
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M")
JSON_NAMES = ("user_data_tiktok.json", "user_data.json")

#: event kind -> where it sits, as (section, subsection, list) paths in every layout known
PATHS: dict[str, list[tuple[str, str, str]]] = {
    "watch": [
        ("Activity", "Video Browsing History", "VideoList"),
        ("Your Activity", "Watch History", "VideoList"),
        ("Activity", "Watch History", "VideoList"),
    ],
    "like": [
        ("Activity", "Like List", "ItemFavoriteList"),
        ("Likes and Favorites", "Like List", "ItemFavoriteList"),
        ("Your Activity", "Like List", "ItemFavoriteList"),
    ],
    "favorite": [
        ("Activity", "Favorite Videos", "FavoriteVideoList"),
        ("Likes and Favorites", "Favorite Videos", "FavoriteVideoList"),
        ("Your Activity", "Favorite Videos", "FavoriteVideoList"),
    ],
    "share": [
        ("Activity", "Share History", "ShareHistoryList"),
        ("Your Activity", "Share History", "ShareHistoryList"),
    ],
    "search": [
        ("Activity", "Search History", "SearchList"),
        ("Your Activity", "Searches", "SearchList"),
        ("Your Activity", "Search History", "SearchList"),
    ],
    "following": [
        ("Activity", "Following List", "Following"),
        ("Your Activity", "Following", "Following"),
        ("Profile And Settings", "Following", "Following"),
    ],
    "follower": [
        ("Activity", "Follower List", "FansList"),
        ("Your Activity", "Follower", "FansList"),
        ("Profile And Settings", "Follower", "FansList"),
    ],
    "comment": [
        ("Comment", "Comments", "CommentsList"),
        ("Comments", "Comments", "CommentsList"),
    ],
}
#: TXT exports: file name (lower case, without folders) -> event kind
TXT_FILES = {
    "video browsing history.txt": "watch",
    "browsing history.txt": "watch",
    "watch history.txt": "watch",
    "like list.txt": "like",
    "likes.txt": "like",
    "favorite videos.txt": "favorite",
    "search history.txt": "search",
    "searches.txt": "search",
}
#: top-level sections that are known and never stored (everything else unknown is dropped too)
NEVER = ("Direct Messages", "Direct Message", "Profile", "Ads and data", "App Settings",
         "Tiktok Live", "Tiktok Shopping", "Video", "Post", "Income+ Wallet Activity")  # fmt: skip


@dataclass
class Event:
    kind: str
    at: datetime | None
    video_id: int | None = None
    detail: str | None = None  # a search term, an account (to pseudonymise), a comment


@dataclass
class Package:
    version: str
    events: list[Event] = field(default_factory=list)
    sections: dict[str, dict[str, Any]] = field(default_factory=dict)  # kind -> counts, period
    dropped: Counter = field(default_factory=Counter)  # section -> items left out
    not_video_links: int = 0
    duplicates: int = 0


def _get(d: Any, key: str) -> Any:
    """``d[key]`` whatever the key's casing (packages mix them)."""
    if not isinstance(d, dict):
        return None
    if key in d:
        return d[key]
    low = key.lower()
    return next((v for k, v in d.items() if isinstance(k, str) and k.lower() == low), None)


def _time(text: Any) -> datetime | None:
    """Package times have no offset: they are read as UTC (an assumption, recorded)."""
    if not isinstance(text, str):
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text.strip(), fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


def _video(link: Any) -> int | None:
    m = VIDEO_LINK.search(link) if isinstance(link, str) else None
    return int(m.group(1)) if m else None


def _size(value: Any) -> int:
    if isinstance(value, list):
        return len(value)
    if isinstance(value, dict):
        return sum(_size(v) for v in value.values()) or len(value)
    return 0 if value is None else 1


def _event(kind: str, item: dict[str, Any]) -> Event | None:
    at = _time(_get(item, "Date"))
    if kind in ("watch", "like", "favorite", "share"):
        link = next(
            (_get(item, k) for k in ("Link", "VideoLink", "Video Link", "link") if _get(item, k)),
            None,
        )
        vid = _video(link)
        return Event(kind, at, vid) if vid is not None else None
    if kind == "search":
        return Event(kind, at, detail=str(_get(item, "SearchTerm") or ""))
    if kind in ("following", "follower"):
        return Event(kind, at, detail=str(_get(item, "UserName") or ""))
    return Event("comment", at, detail=str(_get(item, "comment") or ""))


def read_json_package(data: dict[str, Any]) -> Package:
    """The events of a JSON package; unknown layouts are refused naming their top-level keys."""
    pkg = Package(version="unknown")
    used_tops = set()
    for kind, variants in PATHS.items():
        for top, sub, lst in variants:
            parent = _get(data, top)
            if not isinstance(parent, dict) or not any(
                isinstance(k, str) and k.lower() == sub.lower() for k in parent
            ):
                continue  # a section missing from this package
            section = _get(parent, sub)  # may be null: an empty section
            items = _get(section, lst) if isinstance(section, dict) else None
            used_tops.add(top.lower())
            rows = items if isinstance(items, list) else []
            events = [_event(kind, it) for it in rows if isinstance(it, dict)]
            kept = [e for e in events if e is not None]
            pkg.not_video_links += len(events) - len(kept)
            pkg.events += kept
            times = [e.at for e in kept if e.at is not None]
            pkg.sections[kind] = {
                "path": f"{top} > {sub} > {lst}",
                "events": len(kept),
                "first": min(times).isoformat() if times else None,
                "last": max(times).isoformat() if times else None,
            }
            break
    if not pkg.sections:
        keys = (
            ", ".join(map(str, list(data)[:20])) if isinstance(data, dict) else type(data).__name__
        )
        raise ImportProblem(
            f"not a TikTok data package layout this version knows (top-level keys: {keys})"
        )
    for k, v in data.items():
        if str(k).lower() not in used_tops:
            pkg.dropped[str(k)] += _size(v)
        else:  # parts of a used section that are not read (e.g. Activity > Login History)
            for sk, sv in (v or {}).items() if isinstance(v, dict) else []:
                if not any(
                    sk.lower() == sub.lower() for vs in PATHS.values() for _t, sub, _l in vs
                ):
                    pkg.dropped[f"{k} > {sk}"] += _size(sv)
    tops = {str(k).lower() for k in data}
    if {"likes and favorites", "profile and settings"} & tops:
        pkg.version = "2026"
    elif "your activity" in tops:
        pkg.version = "2025"
    elif any(
        isinstance(it, dict) and _get(it, "VideoLink") is not None
        for it in (_get(_get(_get(data, "Activity"), "Video Browsing History"), "VideoList") or [])[
            :5
        ]
    ):
        pkg.version = "2022"
    else:
        pkg.version = "2023-24"
    return pkg


def read_txt(files: dict[str, str]) -> Package:
    """The events of a TXT export: blocks of ``Date: ...`` and ``Video Link: ...`` lines."""
    pkg = Package(version="txt")
    for name, text in files.items():
        kind = TXT_FILES.get(name.rsplit("/", 1)[-1].lower())
        if kind is None:
            pkg.dropped[name] += text.count("Date:")
            continue
        kept = []
        for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
            fields = {}
            for line in block.splitlines():
                key, _, value = line.partition(":")
                if value:
                    fields[key.strip().lower()] = value.strip()
            if "date" not in fields:
                continue
            item = {
                "Date": fields["date"],
                "Link": fields.get("video link") or fields.get("link"),
                "SearchTerm": fields.get("search term"),
            }
            e = _event(kind, item)
            if e is None:
                pkg.not_video_links += 1
            else:
                kept.append(e)
        pkg.events += kept
        times = [e.at for e in kept if e.at]
        pkg.sections[kind] = {
            "path": name,
            "events": len(kept),
            "first": min(times).isoformat() if times else None,
            "last": max(times).isoformat() if times else None,
        }
    if not pkg.sections:
        raise ImportProblem(
            "not a TikTok data package: no user_data JSON and no known TXT file "
            f"(files: {', '.join(list(files)[:20])})"
        )
    return pkg


def _member_name(info: zipfile.ZipInfo) -> str:
    """Zip member names written as UTF-8 without the flag come out as cp437: undo that."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        return info.filename.encode("cp437").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return info.filename


def _loads(raw: bytes, where: str) -> Any:
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise ImportProblem(
            f"{where}: truncated or invalid JSON at line {exc.lineno}, column {exc.colno} "
            f"(character {exc.pos}): {exc.msg}; nothing was stored"
        ) from None
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"{where}: not UTF-8 text ({exc.reason})") from None


def read_package(path: Path) -> Package:
    """Read a package: the zip TikTok sends, its JSON, or a TXT export (file or folder)."""
    if not path.exists():
        raise ImportProblem(f"{path}: no such file")
    if path.is_dir():
        files = {
            str(p.relative_to(path)): p.read_text(encoding="utf-8-sig", errors="replace")
            for p in path.rglob("*.txt")
        }
        return _dedupe(read_txt(files))
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            members = {_member_name(i): i for i in z.infolist() if not i.is_dir()}
            for name, info in members.items():
                if name.rsplit("/", 1)[-1].lower() in JSON_NAMES:
                    data = _loads(z.read(info), f"{path}:{name}")
                    return _dedupe(read_json_package(_check(data, f"{path}:{name}")))
            txt = {
                n: z.read(i).decode("utf-8-sig", errors="replace")
                for n, i in members.items()
                if n.lower().endswith(".txt")
            }
            if not txt:
                raise ImportProblem(
                    f"{path}: a zip without a TikTok data file (no {' or '.join(JSON_NAMES)}, no "
                    f"TXT export); it holds: {', '.join(list(members)[:15])}"
                )
            return _dedupe(read_txt(txt))
    raw = path.read_bytes()
    if path.suffix.lower() == ".txt":
        return _dedupe(read_txt({path.name: raw.decode("utf-8-sig", errors="replace")}))
    data = _loads(raw, str(path))
    return _dedupe(read_json_package(_check(data, str(path))))


def _check(data: Any, where: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ImportProblem(f"{where}: expected a JSON object, got {type(data).__name__}")
    return data


def _dedupe(pkg: Package) -> Package:
    """Real duplicates are kept (each is an event); how many there are is counted."""
    seen = Counter((e.kind, e.video_id, e.at, e.detail) for e in pkg.events)
    pkg.duplicates = sum(n - 1 for n in seen.values() if n > 1)
    pkg.events.sort(key=lambda e: (e.kind, e.at or datetime.min.replace(tzinfo=UTC)))
    return pkg


def looks_like_package(path: Path) -> bool:
    """Whether ``path`` is (probably) a TikTok data package, for format detection."""
    name = path.name.lower()
    if name.startswith("tiktok_data") or name in JSON_NAMES:
        return True
    if path.suffix.lower() == ".zip" and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            return any(
                n.rsplit("/", 1)[-1].lower() in JSON_NAMES or n.lower().endswith(".txt")
                for n in z.namelist()
            )
    if path.suffix.lower() == ".json":
        with path.open("rb") as f:
            head = f.read(4096).decode("utf-8", errors="ignore")
        return any(k in head for k in ('"Activity"', '"Your Activity"', '"Likes and Favorites"'))
    return False
