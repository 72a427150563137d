"""Synthetic TikTok data packages, one per layout version, with the quirks real ones have.
Only synthetic data here: real exports never go into the repository."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

BIG = 7_300_000_000_000_000_123  # beyond 2^53
V1, V2, V3 = BIG, BIG + 1, BIG + 2
PRIVATE = {
    "dm": "meet me at the station secret-7731",
    "dm_user": "bestfriend_ann",
    "email": "alice.donor@example.org",
    "phone": "+49 170 5550199",
    "birth": "2001-04-17",
    "ip": "203.0.113.77",
    "device": "device-id-9f8e7d6c",
    "ad_id": "adid-1234-5678-9abc",
    "follower": "follower_bob_42",
    "payment": "4111111111111111",
}


def link(vid: int) -> str:
    return f"https://www.tiktokv.com/share/video/{vid}/"


def _private_sections() -> dict:
    return {
        "Direct Messages": {
            "Chat History": {
                f"Chat History with {PRIVATE['dm_user']}:": [
                    {"Date": "2024-03-01 10:00:00", "From": "me", "Content": PRIVATE["dm"]}
                ]
            }
        },
        "Profile": {
            "Profile Information": {
                "ProfileMap": {
                    "emailAddress": PRIVATE["email"],
                    "telephoneNumber": PRIVATE["phone"],
                    "birthDate": PRIVATE["birth"],
                    "inferredGender": "Female",
                }
            }
        },
        "Ads and data": {"Ad Interests": {"device": PRIVATE["device"], "adid": PRIVATE["ad_id"]}},
        "App Settings": {"Login": {"LoginHistoryList": [{"IP": PRIVATE["ip"], "Date": "2024-03-01 09:00:00"}]}},
        "Tiktok Shopping": {"Payment": {"card": PRIVATE["payment"]}},
    }  # fmt: skip


def json_2023() -> dict:
    return {
        "Activity": {
            "Video Browsing History": {
                "VideoList": [
                    {"Date": "2024-03-02 20:00:00", "Link": link(V2)},
                    {"Date": "2024-03-02 20:00:40", "Link": link(V1)},
                    {"Date": "2024-03-02 20:00:40", "Link": link(V1)},  # a real duplicate
                    {"Date": "2024-03-02 22:00:00", "Link": link(V3)},
                    {"Date": "2024-03-01 08:00:00", "Link": "https://www.tiktok.com/login?redirect=x"},
                ]
            },
            "Like List": {"ItemFavoriteList": [{"date": "2024-03-02 20:01:00", "link": link(V1)}]},
            "Favorite Videos": None,  # a null section
            "Search History": {"SearchList": [{"Date": "2024-03-02 19:59:00", "SearchTerm": "climate"}]},
            "Share History": {"ShareHistoryList": [{"Date": "2024-03-02 20:02:00", "SharedContent": "video", "Link": link(V1), "Method": "chat_head"}]},
            "Following List": {"Following": [{"Date": "2024-01-01 00:00:00", "UserName": "creator_x"}]},
            "Follower List": {"FansList": [{"Date": "2024-01-02 00:00:00", "UserName": PRIVATE["follower"]}]},
            "Login History": {"LoginHistoryList": [{"IP": PRIVATE["ip"]}]},
        },
        "Comment": {"Comments": {"CommentsList": [{"date": "2024-03-02 20:03:00", "comment": "so true", "photo": "N/A", "url": ""}]}},
        **_private_sections(),
    }  # fmt: skip


def json_2022() -> dict:
    return {
        "Activity": {
            "Video Browsing History": {
                "VideoList": [{"Date": "2022-05-01 12:00:00", "VideoLink": link(V1)}]
            }
        }
    }


def json_2025() -> dict:
    return {
        "Your Activity": {
            "Watch History": {"VideoList": [{"Date": "2025-02-01 10:00:00", "Link": link(V1)},
                                            {"date": "2025-01-31 09:00:00", "link": link(V2)}]},
            "Searches": {"SearchList": [{"Date": "2025-02-01 09:59:00", "SearchTerm": "news"}]},
            "Follower": {"FansList": [{"Date": "2025-01-01 00:00:00", "UserName": PRIVATE["follower"]}]},
        },
        "Direct Message": {"Direct Messages": {"ChatHistory": {f"Chat History with {PRIVATE['dm_user']}:": [{"Content": PRIVATE["dm"]}]}}},
        "Profile": {"Profile Info": {"ProfileMap": {"inferredGender": "Male", "emailAddress": PRIVATE["email"]}}},
    }  # fmt: skip


def json_2026() -> dict:
    return {
        "Your Activity": {"Watch History": {"VideoList": [{"Date": "2026-01-05 21:00:00", "Link": link(V3)}]}},
        "Likes and Favorites": {
            "Like List": {"ItemFavoriteList": [{"date": "2026-01-05 21:00:30", "link": link(V3)}]},
            "Favorite Videos": {"FavoriteVideoList": [{"Date": "2026-01-05 21:01:00", "Link": link(V3)}]},
        },
        "Profile And Settings": {"Following": {"Following": [{"Date": "2025-12-01 00:00:00", "UserName": "creator_y"}]},
                                 "Settings": {"SettingsMap": {"phone": PRIVATE["phone"]}}},
    }  # fmt: skip


TXT_2020 = (
    f"Date: 2020-08-12 02:16:22\nVideo Link: {link(V1)}\n\n"
    f"Date: 2020-08-12 02:17:01\nVideo Link: {link(V2)}\n\n"
)


def write(tmp: Path, name: str, data: dict, as_zip: bool = False) -> Path:
    text = json.dumps(data, ensure_ascii=False)
    if not as_zip:
        p = tmp / name
        p.write_text(text, encoding="utf-8")
        return p
    p = tmp / f"TikTok_Data_{name}.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("user_data_tiktok.json", text)
    return p


def write_txt_zip(tmp: Path) -> Path:
    p = tmp / "TikTok_Data_txt.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("Activity/Video Browsing History.txt", TXT_2020)
        z.writestr("Activity/Searches.txt", "Date: 2020-08-12 01:00:00\nSearch Term: dance\n")
        z.writestr(
            "Direct Messages/Chat History.txt", f"Date: 2020-08-12\nMessage: {PRIVATE['dm']}\n"
        )
    return p
