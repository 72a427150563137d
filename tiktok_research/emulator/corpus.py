"""A deterministic synthetic TikTok world for the emulator to serve.

Everything follows from ``CorpusConfig`` (and its seed): users with
heavy-tailed follower counts, videos over a date range with heavy-tailed
views and correlated engagement, Zipf-like hashtag and sound reuse with topic
clusters, captions that contain their hashtags and mentions, duets, comments
with replies, follower edges, liked/pinned/reposted lists and playlists.

Planted ground truth makes analyses scorable: groups of accounts that post
the same sound, hashtags and caption within seconds of each other, again and
again (coordinated behaviour), and hashtags with a clear emergence, peak and
decay. ``Corpus.truth`` returns it as JSON-ready data.

Bulk columns are generated with numpy and assembled with Arrow, so a million
videos take seconds; comments and user lists are generated on demand from the
seed, so they cost nothing until asked for.
"""

from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import vocab

DAY = 86_400
MUSIC_BASE = 6_800_000_000_000_000_000
PLAYLIST_BASE = 7_100_000_000_000_000_000
EFFECT_BASE = 1_000_000
NEVER = 2**62  # "not deleted" as an epoch second


@dataclass(frozen=True)
class CorpusConfig:
    seed: int = 1
    videos: int = 20_000
    start: date = date(2024, 1, 1)
    end: date = date(2024, 3, 31)  # inclusive
    users: int | None = None  # default: videos // 8 (at least 200)
    hidden_rate: float = 0.02  # deleted/private before anyone looked: holes in pages
    private_user_rate: float = 0.03
    coordinated_groups: int | None = None  # default grows slowly with size
    trend_tags: int = 3
    deletion_rate: float = 0.0  # share of videos/comments that disappear over the next 30 days
    clock_start: float | None = None  # epoch seconds deletions are scheduled from

    def __post_init__(self) -> None:
        if self.videos < 1:
            raise ValueError("videos must be at least 1")
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        for name in ("hidden_rate", "private_user_rate", "deletion_rate"):
            if not 0 <= getattr(self, name) < 1:
                raise ValueError(f"{name} must be in [0, 1)")

    @property
    def n_users(self) -> int:
        return self.users or max(200, self.videos // 8)

    @property
    def n_groups(self) -> int:
        if self.coordinated_groups is not None:
            return self.coordinated_groups
        return int(min(8, 2 + self.videos // 50_000))


def _epoch(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def _zipf_weights(n: int, s: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** s
    return w / w.sum()


def _join_lists(offsets: np.ndarray, values: pa.Array, sep: str) -> pa.Array:
    lists = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), values)
    return pc.binary_join(lists, sep)


@dataclass
class Vocabulary:
    tags: list[str]
    topic_of_tag: np.ndarray
    topic_tags: list[np.ndarray]  # per topic: global indices of its head tags
    topic_tail: list[np.ndarray]  # per topic: long-tail tag indices
    generic: np.ndarray
    trends: np.ndarray
    topics: list[str] = field(default_factory=list)


def _vocabulary(n_trends: int, tail: int = 40) -> Vocabulary:
    tags: list[str] = []
    topic_of: list[int] = []
    heads, tails = [], []
    topics = list(vocab.TOPICS)
    for t, head in enumerate(vocab.TOPICS.values()):
        heads.append(np.arange(len(tags), len(tags) + len(head)))
        tags += head
        topic_of += [t] * len(head)
        stem = head[0] if head[0].isascii() else "world"
        tails.append(np.arange(len(tags), len(tags) + tail))
        tags += [f"{stem}{k}" for k in range(tail)]
        topic_of += [t] * tail
    generic = np.arange(len(tags), len(tags) + len(vocab.GENERIC_TAGS))
    tags += vocab.GENERIC_TAGS
    topic_of += [-1] * len(vocab.GENERIC_TAGS)
    trends = np.arange(len(tags), len(tags) + n_trends)
    tags += vocab.TREND_TAGS[:n_trends]
    topic_of += [-1] * n_trends
    return Vocabulary(tags, np.array(topic_of), heads, tails, generic, trends, topics)


class Corpus:
    """The generated world. Build with ``Corpus(CorpusConfig(...))``."""

    def __init__(self, config: CorpusConfig):
        self.config = config
        self.rng = np.random.default_rng(config.seed)
        self.start_ts = _epoch(config.start)
        self.end_ts = _epoch(config.end) + DAY
        self.vocab = _vocabulary(min(config.trend_tags, len(vocab.TREND_TAGS)))
        self._truth: dict = {
            "config": {
                k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(config).items()
            }
        }
        self._users()
        self._videos()
        self._follow_edges()

    # -- users ----------------------------------------------------------------
    def _users(self) -> None:
        rng, n = self.rng, self.config.n_users
        g = self.config.n_groups
        members = rng.integers(5, 11, size=g) if g else np.zeros(0, int)
        n_total = n + int(members.sum())
        adj = np.array(vocab.ADJECTIVES)[rng.integers(0, len(vocab.ADJECTIVES), n_total)]
        noun = np.array(vocab.NOUNS)[rng.integers(0, len(vocab.NOUNS), n_total)]
        names = [f"{a}_{b}{i}" for i, (a, b) in enumerate(zip(adj, noun, strict=True))]
        display = [f"{a.title()} {b.title()}" for a, b in zip(adj, noun, strict=True)]
        # accounts of the coordinated groups: plausible news-ish handles, few followers
        group_of = np.full(n_total, -1)
        pos = n
        self.group_members: list[np.ndarray] = []
        for k, m in enumerate(members):
            idx = np.arange(pos, pos + m)
            base = vocab.COORDINATED_NAMES[k % len(vocab.COORDINATED_NAMES)]
            for j, i in enumerate(idx):
                names[i] = f"{base}_{k}{j:02d}"
                display[i] = f"{base.title()} {j + 1}"
            group_of[idx] = k
            self.group_members.append(idx)
            pos += m
        followers = np.minimum(rng.lognormal(6.0, 2.2, n_total), 60e6).astype(np.int64)
        followers[group_of >= 0] = rng.integers(20, 400, int((group_of >= 0).sum()))
        verified = followers >= np.quantile(followers, 0.99)
        private = (rng.random(n_total) < self.config.private_user_rate) & ~verified & (group_of < 0)
        topic = rng.choice(
            len(self.vocab.topics), n_total, p=_zipf_weights(len(self.vocab.topics), 0.9)
        )
        region_p = np.array(vocab.REGION_WEIGHTS, float)
        region = rng.choice(len(vocab.REGIONS), n_total, p=region_p / region_p.sum())
        self.user_topic, self.user_region, self.user_private = topic, region, private
        self.group_of_user = group_of
        self.usernames = np.array(names, dtype=object)
        self.user_index = {u: i for i, u in enumerate(names)}
        self.user_followers = followers
        self.users = pa.table(
            {
                "username": pa.array(names),
                "display_name": pa.array(display),
                "bio_description": pa.array(
                    [
                        f"{vocab.TOPICS[self.vocab.topics[t]][0]} | {d.split()[0].lower()} vibes"
                        for t, d in zip(topic, display, strict=True)
                    ]
                ),
                "avatar_url": pa.array(
                    [f"https://p16.tiktokcdn.example/avatar/{i}.jpeg" for i in range(n_total)]
                ),
                "bio_url": pa.array(
                    [
                        f"https://linktr.example/{u}" if i % 5 == 0 else ""
                        for i, u in enumerate(names)
                    ]
                ),
                "is_verified": pa.array(verified),
                "follower_count": pa.array(followers),
                "following_count": pa.array(
                    np.minimum(rng.lognormal(5, 1, n_total), 7500).astype(np.int64)
                ),
                "likes_count": pa.array(
                    (followers * rng.lognormal(1.5, 1, n_total)).astype(np.int64)
                ),
                "is_private": pa.array(private),
            }
        )

    # -- videos ---------------------------------------------------------------
    def _videos(self) -> None:
        cfg, rng, voc = self.config, self.rng, self.vocab
        planted = self._plant_coordination()
        n_planted = len(planted["author"])
        n = max(cfg.videos - n_planted, 0)
        n_users = cfg.n_users
        # who posts: a few accounts post a lot
        author = rng.choice(n_users, n, p=_zipf_weights(n_users, 1.05)[rng.permutation(n_users)])
        # when: uniform days, evening-heavy hours (UTC)
        hour_p = np.array(
            [2, 1, 1, 1, 1, 1, 2, 3, 4, 4, 5, 5, 6, 6, 6, 6, 7, 8, 9, 9, 8, 6, 4, 3], float
        )
        days = rng.integers(0, (self.end_ts - self.start_ts) // DAY, n)
        secs = rng.choice(24, n, p=hour_p / hour_p.sum()) * 3600 + rng.integers(0, 3600, n)
        when = self.start_ts + days * DAY + secs
        topic = np.where(
            rng.random(n) < 0.7,
            self.user_topic[author],
            rng.choice(len(voc.topics), n, p=_zipf_weights(len(voc.topics), 0.9)),
        )
        # hashtags: up to 4 distinct head tags of the topic (Gumbel top-k keeps them distinct)
        n_head = rng.choice(5, n, p=[0.12, 0.23, 0.3, 0.2, 0.15])
        head_w = np.log(np.array([5, 3, 2, 1.5, 1.0]))
        order = np.argsort(-(head_w + rng.gumbel(size=(n, 5))), axis=1)[:, :4]
        head_len = np.array([len(h) for h in voc.topic_tags])
        head_start = np.array([h[0] for h in voc.topic_tags])
        slots = np.full((n, 7), -1, dtype=np.int64)
        head_idx = head_start[topic][:, None] + np.minimum(order, head_len[topic][:, None] - 1)
        slots[:, :4] = np.where(np.arange(4)[None, :] < n_head[:, None], head_idx, -1)
        tail_start = np.array([t[0] for t in voc.topic_tail])
        tail_pick = rng.zipf(1.6, n) - 1
        has_tail = (rng.random(n) < 0.25) & (tail_pick < len(voc.topic_tail[0]))
        slots[:, 4] = np.where(has_tail, tail_start[topic] + np.minimum(tail_pick, 39), -1)
        generic = rng.choice(len(voc.generic), n, p=_zipf_weights(len(voc.generic), 1.0))
        slots[:, 5] = np.where(rng.random(n) < 0.4, voc.generic[generic], -1)
        slots[:, 6] = self._trend_slot(when)
        # sounds: a quarter are original sounds, the rest reuse a Zipf-popular catalogue
        n_sounds = max(100, cfg.videos // 50)
        sound = rng.choice(n_sounds, n, p=_zipf_weights(n_sounds, 1.1))
        original = rng.random(n) < 0.25
        music = np.where(
            original, MUSIC_BASE + (n_sounds + np.arange(n)) * 7919, MUSIC_BASE + sound * 7919
        )
        # engagement: heavy-tailed views, correlated likes/comments/shares
        reach = np.log1p(self.user_followers[author]) / 4
        views = np.minimum(rng.lognormal(5.5 + reach, 1.9), 4e8).astype(np.int64)
        likes = (views * rng.beta(2, 18, n)).astype(np.int64)
        comments = (likes * rng.beta(1.5, 25, n)).astype(np.int64)
        shares = (likes * rng.beta(1, 25, n)).astype(np.int64)
        favorites = (likes * rng.beta(1, 12, n)).astype(np.int64)
        kind = rng.choice(4, n, p=[0.35, 0.45, 0.17, 0.03])
        lo, hi = np.array([3, 15, 60, 300])[kind], np.array([15, 60, 300, 900])[kind]
        duration = (lo + rng.random(n) * (hi - lo)).astype(np.int64)
        mention = np.where(
            rng.random(n) < 0.15, rng.choice(n_users, n, p=_zipf_weights(n_users, 1.0)), -1
        )
        words = rng.integers(0, len(vocab.WORDS), (n, 8))
        n_words = rng.integers(2, 9, n)
        base = {
            "author": author,
            "when": when,
            "slots": slots,
            "music": music,
            "views": views,
            "likes": likes,
            "comments": comments,
            "shares": shares,
            "favorites": favorites,
            "duration": duration,
            "mention": mention,
            "words": words,
            "n_words": n_words,
            "region": np.where(
                rng.random(n) < 0.95,
                self.user_region[author],
                rng.integers(0, len(vocab.REGIONS), n),
            ),
            "fixed_caption": np.full(n, -1),
        }
        cols = {k: np.concatenate([v, planted[k]]) for k, v in base.items()}
        self._assemble(cols, list(planted["captions"]))

    def _trend_slot(self, when: np.ndarray) -> np.ndarray:
        """Planted trends: each trend tag rises to a peak and decays; returns a tag slot."""
        rng, voc = self.rng, self.vocab
        span_days = (self.end_ts - self.start_ts) / DAY
        slot = np.full(len(when), -1, dtype=np.int64)
        trends = []
        for tag_idx in voc.trends:
            emerge = self.start_ts + DAY * rng.uniform(0.05, 0.45) * span_days
            rise = DAY * rng.uniform(3, 8)
            half_life = DAY * rng.uniform(2, 5)
            peak_share = rng.uniform(0.04, 0.09)
            peak = emerge + rise
            t = when.astype(float)
            shape = np.where(
                t < emerge,
                0.0,
                np.where(t < peak, (t - emerge) / rise, 0.5 ** ((t - peak) / half_life)),
            )
            use = (rng.random(len(when)) < peak_share * shape) & (slot < 0)
            slot[use] = tag_idx
            decay_end = peak + half_life * np.log2(peak_share * 100)  # below ~1 in 10,000 videos
            trends.append(
                {
                    "hashtag": voc.tags[tag_idx],
                    "emergence": datetime.fromtimestamp(emerge, UTC).date().isoformat(),
                    "peak": datetime.fromtimestamp(peak, UTC).date().isoformat(),
                    "decay_end": datetime.fromtimestamp(min(decay_end, self.end_ts), UTC)
                    .date()
                    .isoformat(),
                    "peak_share_of_videos": round(float(peak_share), 4),
                    "half_life_days": round(half_life / DAY, 2),
                }
            )
        self._truth["trending_hashtags"] = trends
        return slot

    def _plant_coordination(self) -> dict[str, np.ndarray | list]:
        """Groups of accounts posting the same sound, hashtags and caption within seconds."""
        rng, voc = self.rng, self.vocab
        rows: dict[str, list] = {
            k: []
            for k in (
                "author",
                "when",
                "slots",
                "music",
                "views",
                "likes",
                "comments",
                "shares",
                "favorites",
                "duration",
                "mention",
                "words",
                "n_words",
                "region",
                "fixed_caption",
            )
        }
        captions: list[str] = []
        groups = []
        for k, members in enumerate(self.group_members):
            topic = int(rng.integers(0, len(voc.topics)))
            tags = list(voc.topic_tags[topic][:2]) + [int(voc.generic[0])]
            music = MUSIC_BASE + (10_000_000 + k) * 7919
            caption = f"{' '.join(rng.choice(vocab.WORDS, 5))} " + " ".join(
                "#" + voc.tags[t] for t in tags
            )
            captions.append(caption)
            episodes = []
            n_episodes = int(rng.integers(6, 13))
            starts = np.sort(rng.uniform(self.start_ts, self.end_ts - 3600, n_episodes))
            for t0 in starts:
                active = members[rng.random(len(members)) < 0.9]
                if len(active) < 3:
                    active = members[:3]
                offsets = np.sort(rng.uniform(0, 45, len(active)))
                times = (t0 + offsets).astype(np.int64)
                for a, t in zip(active, times, strict=True):
                    rows["author"].append(a)
                    rows["when"].append(t)
                    rows["slots"].append(tags + [-1] * (7 - len(tags)))
                    rows["music"].append(music)
                    v = int(rng.lognormal(6, 1))
                    rows["views"].append(v)
                    rows["likes"].append(v // 20)
                    rows["comments"].append(v // 400)
                    rows["shares"].append(v // 300)
                    rows["favorites"].append(v // 200)
                    rows["duration"].append(int(rng.integers(10, 30)))
                    rows["mention"].append(-1)
                    rows["words"].append([0] * 8)
                    rows["n_words"].append(0)
                    rows["region"].append(self.user_region[a])
                    rows["fixed_caption"].append(k)
                episodes.append({"start": int(t0), "authors": [int(a) for a in active]})
            groups.append(
                {
                    "group": k,
                    "members": [int(m) for m in members],
                    "music_id": music,
                    "hashtags": [voc.tags[t] for t in tags],
                    "caption": caption,
                    "episodes": episodes,
                }
            )
        self._groups = groups
        out: dict[str, np.ndarray | list] = {
            k: np.array(v, dtype=np.int64).reshape(-1, 7 if k == "slots" else 8)
            if k in ("slots", "words")
            else np.array(v, dtype=np.int64)
            for k, v in rows.items()
        }
        out["captions"] = captions
        return out

    def _assemble(self, c: dict[str, np.ndarray], captions: list[str]) -> None:
        cfg, rng, voc = self.config, self.rng, self.vocab
        n = len(c["when"])
        # TikTok ids carry the creation second in their top 32 bits; the low bits are unique
        low = (
            np.arange(n, dtype=np.uint64) * np.uint64(2654435761) + np.uint64(cfg.seed)
        ) & np.uint64(0xFFFFFFFF)
        ids = (c["when"].astype(np.uint64) << np.uint64(32) | low).astype(np.int64)
        order = np.argsort(ids, kind="stable")
        c = {k: v[order] for k, v in c.items()}
        ids = ids[order]
        # duets: some videos respond to an earlier popular video
        duet = np.full(n, -1)
        is_duet = (rng.random(n) < 0.03) & (np.arange(n) > 10) & (c["fixed_caption"] < 0)
        targets = (rng.random(int(is_duet.sum())) ** 3 * np.flatnonzero(is_duet)).astype(np.int64)
        duet[is_duet] = targets
        slots = c["slots"]
        valid = slots >= 0
        offsets = np.zeros(n + 1, dtype=np.int64)
        offsets[1:] = np.cumsum(valid.sum(axis=1))
        tag_values = pa.array(voc.tags).take(pa.array(slots[valid]))
        hashtags = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), tag_values)
        hash_vocab = pa.array(["#" + t for t in voc.tags])
        tag_text = _join_lists(offsets, hash_vocab.take(pa.array(slots[valid])), " ")
        wmask = np.arange(8)[None, :] < c["n_words"][:, None]
        woff = np.zeros(n + 1, dtype=np.int64)
        woff[1:] = np.cumsum(wmask.sum(axis=1))
        word_text = _join_lists(woff, pa.array(vocab.WORDS).take(pa.array(c["words"][wmask])), " ")
        usernames = pa.array(self.usernames.tolist())
        mention_text = pc.if_else(
            pa.array(c["mention"] >= 0),
            pc.binary_join_element_wise(
                "@", usernames.take(pa.array(np.maximum(c["mention"], 0))), ""
            ),
            "",
        )
        duet_text = pc.if_else(
            pa.array(duet >= 0),
            pc.binary_join_element_wise(
                "#duet with @", usernames.take(pa.array(c["author"][np.maximum(duet, 0)])), ""
            ),
            "",
        )
        desc = pc.binary_join_element_wise(duet_text, word_text, tag_text, mention_text, " ")
        desc = pc.utf8_trim_whitespace(pc.replace_substring_regex(desc, r"\s{2,}", " "))
        if captions:
            fixed = c["fixed_caption"]
            desc_list = desc.to_pylist()
            for i in np.flatnonzero(fixed >= 0):
                desc_list[i] = captions[fixed[i]]
            desc = pa.array(desc_list)
        mention_list = pa.ListArray.from_arrays(
            pa.array(np.concatenate([[0], np.cumsum(c["mention"] >= 0)]), pa.int32()),
            usernames.take(pa.array(c["mention"][c["mention"] >= 0])),
        )
        has_speech = rng.random(n) < 0.4
        speech = pc.if_else(
            pa.array(has_speech),
            pa.array([" ".join(vocab.SPEECH[: 8 + i % 12]) for i in range(n)]),
            "",
        )
        effects = rng.random(n) < 0.2
        eff_off = np.zeros(n + 1, dtype=np.int64)
        eff_off[1:] = np.cumsum(effects)
        effect_ids = pa.ListArray.from_arrays(
            pa.array(eff_off, pa.int32()),
            pa.array((EFFECT_BASE + rng.integers(0, 500, int(effects.sum()))).astype(str)),
        )
        authors = c["author"]
        playlist = np.where(
            (authors % 20 == 0) & (rng.random(n) < 0.5),
            PLAYLIST_BASE + authors * 10 + (c["when"] // (30 * DAY)) % 2,
            0,
        )
        deleted_at = np.full(n, NEVER, dtype=np.int64)
        if cfg.deletion_rate:
            t0 = cfg.clock_start or datetime.now(UTC).timestamp()
            gone = rng.random(n) < cfg.deletion_rate
            deleted_at[gone] = (t0 + rng.uniform(3600, 30 * DAY, int(gone.sum()))).astype(np.int64)
        self.videos = pa.table(
            {
                "id": pa.array(ids),
                "create_time": pa.array(c["when"]),
                "username": usernames.take(pa.array(authors)),
                "video_description": desc,
                "region_code": pa.array(vocab.REGIONS).take(pa.array(c["region"])),
                "view_count": pa.array(c["views"]),
                "like_count": pa.array(c["likes"]),
                "comment_count": pa.array(c["comments"]),
                "share_count": pa.array(c["shares"]),
                "favorites_count": pa.array(c["favorites"]),
                "music_id": pa.array(c["music"]),
                "hashtag_names": hashtags,
                "effect_ids": effect_ids,
                "playlist_id": pa.array(playlist),
                "voice_to_text": speech,
                "is_stem_verified": pa.array(rng.random(n) < 0.01),
                "video_duration": pa.array(c["duration"]),
                "video_mention_list": mention_list,
                "duet_from_id": pa.array(np.where(duet >= 0, ids[np.maximum(duet, 0)], 0)),
                "author_idx": pa.array(authors),
                "hidden": pa.array(
                    (rng.random(n) < cfg.hidden_rate) & (c["fixed_caption"] < 0)
                    | self.user_private[authors]
                ),
                "deleted_at": pa.array(deleted_at),
            }
        )
        self.ids = ids
        self.video_count = np.bincount(authors, minlength=len(self.usernames))
        self._finish_truth(ids, c)

    def _finish_truth(self, ids: np.ndarray, c: dict[str, np.ndarray]) -> None:
        fixed = c["fixed_caption"]
        groups: list[dict[str, Any]] = self._groups
        for g in groups:
            rows = np.flatnonzero(fixed == g["group"])
            times, authors = c["when"][rows], c["author"][rows]
            for ep in g["episodes"]:
                sel = (times >= ep["start"]) & (times <= ep["start"] + 60)
                ep["video_ids"] = [int(i) for i in ids[rows[sel]]]
                ep["start"] = datetime.fromtimestamp(ep["start"], UTC).isoformat()
                ep["authors"] = [str(self.usernames[a]) for a in authors[sel]]
            g["members"] = [str(self.usernames[m]) for m in g["members"]]
        self._truth["coordinated_groups"] = self._groups
        self._truth["counts"] = {
            "videos": int(len(ids)),
            "users": int(len(self.usernames)),
            "hidden_videos": int(pc.sum(self.videos["hidden"]).as_py()),
            "scheduled_deletions": int((self.videos["deleted_at"].to_numpy() < NEVER).sum()),
        }

    # -- follow edges -----------------------------------------------------------
    def _follow_edges(self) -> None:
        rng = self.rng
        n = len(self.usernames)
        m = rng.poisson(12, n)
        src = np.repeat(np.arange(n), m)
        pop = self.user_followers.astype(float) ** 0.8
        dst = rng.choice(n, len(src), p=pop / pop.sum())
        # coordinated accounts follow one another
        extra = [
            (a, b) for members in self.group_members for a in members for b in members if a != b
        ]
        if extra:
            src = np.concatenate([src, [a for a, _ in extra]])
            dst = np.concatenate([dst, [b for _, b in extra]])
        keep = src != dst
        src, dst = src[keep], dst[keep]
        pairs = np.unique(src.astype(np.int64) * n + dst)
        src, dst = pairs // n, pairs % n
        when = rng.integers(self.start_ts - 365 * DAY, self.end_ts, len(src))
        self.follow_src, self.follow_dst, self.follow_time = src, dst, when
        self._by_dst = np.lexsort((-when, dst))
        self._by_src = np.lexsort((-when, src))
        self._dst_sorted = dst[self._by_dst]
        self._src_sorted = src[self._by_src]

    def followers_of(self, user: int) -> tuple[np.ndarray, np.ndarray]:
        """(follower user indices, follow times), newest first."""
        lo, hi = np.searchsorted(self._dst_sorted, [user, user + 1])
        rows = self._by_dst[lo:hi]
        return self.follow_src[rows], self.follow_time[rows]

    def following_of(self, user: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self._src_sorted, [user, user + 1])
        rows = self._by_src[lo:hi]
        return self.follow_dst[rows], self.follow_time[rows]

    # -- on-demand records --------------------------------------------------------
    # Comment ids: (second << 32) | video row. Top-level comments fall on even seconds at
    # least a minute apart; reply j of a comment on the odd second parent + 1 + 2j. So an id
    # alone says which video it belongs to, and whether it exists, without any index.
    @functools.lru_cache(maxsize=512)  # noqa: B019 - the corpus lives as long as its cache
    def comments_of(self, row: int) -> list[dict]:
        """Top-level comments of video ``row``, oldest first (deterministic)."""
        vid = int(self.ids[row])
        n = min(int(self.videos["comment_count"][row].as_py()), 1500)
        rng = np.random.default_rng([self.config.seed, row, 1])
        created = int(self.videos["create_time"][row].as_py())
        times = created - created % 2 + 2 * np.cumsum(31 + rng.integers(0, 3600, n))
        likes = (rng.pareto(1.2, n) * 3).astype(np.int64)
        replies = np.where(rng.random(n) < 0.2, rng.integers(1, 30, n), 0)
        words = np.array(vocab.WORDS)
        return [
            {
                "id": (int(times[i]) << 32) | row,
                "video_id": vid,
                "like_count": int(likes[i]),
                "reply_count": int(replies[i]),
                "parent_comment_id": vid,
                "create_time": int(times[i]),
                "text": " ".join(words[rng.integers(0, len(words), 2 + i % 9)]),
            }
            for i in range(n)
        ]

    def replies_of(self, parent: dict) -> list[dict]:
        rng = np.random.default_rng(
            [self.config.seed, parent["id"] & 0xFFFFFFFF, parent["create_time"], 2]
        )
        words = np.array(vocab.WORDS)
        row = parent["id"] & 0xFFFFFFFF
        return [
            {
                "id": ((parent["create_time"] + 1 + 2 * j) << 32) | row,
                "video_id": parent["video_id"],
                "like_count": int(rng.integers(0, 20)),
                "reply_count": 0,
                "parent_comment_id": parent["id"],
                "create_time": parent["create_time"] + 1 + 2 * j,
                "text": "@reply " + " ".join(words[rng.integers(0, len(words), 2 + j % 6)]),
            }
            for j in range(parent["reply_count"])
        ]

    def find_comment(self, comment_id: int) -> dict | None:
        """The comment or reply with this id, if the corpus has it."""
        row, second = comment_id & 0xFFFFFFFF, comment_id >> 32
        if row >= len(self.ids):
            return None
        top = self.comments_of(row)
        times = [c["create_time"] for c in top]
        i = int(np.searchsorted(times, second, side="right")) - 1
        if i < 0:
            return None
        parent = top[i]
        if parent["id"] == comment_id:
            return parent
        j, odd = divmod(second - parent["create_time"] - 1, 2)
        if odd or not 0 <= j < parent["reply_count"]:
            return None
        return self.replies_of(parent)[j]

    def comment_deleted_at(self, comment_id: int) -> int:
        """When a comment disappears (``NEVER`` if it stays), from the deletion rate."""
        rate = self.config.deletion_rate
        if not rate:
            return NEVER
        h = (comment_id * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFF
        if h / 0xFFFFFFFFFFFF >= rate:
            return NEVER
        t0 = self.config.clock_start or datetime.now(UTC).timestamp()
        return int(t0 + 3600 + (h % (30 * DAY)))

    def user_lists(self, user: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """(video rows, times) of a user's liked, pinned or reposted videos, newest first."""
        rng = np.random.default_rng(
            [self.config.seed, user, {"liked": 3, "pinned": 4, "reposted": 5}[kind]]
        )
        n = len(self.ids)
        if kind == "pinned":
            own = np.flatnonzero(self.videos["author_idx"].to_numpy() == user)
            views = self.videos["view_count"].to_numpy()[own]
            rows = own[np.argsort(-views)[:3]]
            return rows, self.videos["create_time"].to_numpy()[rows]
        size = min(n, int(rng.integers(5, 120 if kind == "liked" else 30)))
        rows = np.unique((rng.random(size) ** 2 * n).astype(np.int64))
        times = np.sort(rng.integers(self.start_ts, self.end_ts, len(rows)))[::-1]
        return rows, times

    def truth(self) -> dict:
        """The planted ground truth (coordinated groups, trends, counts) as JSON-ready data."""
        return self._truth
