"""Values of one synthetic tweet: kind, text with entity indices, media, edits, notes."""

from __future__ import annotations

import datetime as dt
import random
from typing import TYPE_CHECKING, Any

from devtools.archivegen_json import Layout, TemplateCache, esc
from devtools.archivegen_tweets import (
    SNOWFLAKE_START,
    SOURCES,
    Person,
    Shape,
    TextBuilder,
    build_tweet,
    created_at,
    iso,
    key,
    snowflake,
    words,
)

if TYPE_CHECKING:
    from devtools.archivegen import Generated


class TweetValues:
    """Generates the owner's tweets one by one (records rendered from templates)."""

    def __init__(
        self, gen: Generated, rng: random.Random, people: list[Person], layout: Layout
    ) -> None:
        self.gen = gen
        self.rng = rng
        self.people = people
        self.layout = layout
        self.cache = TemplateCache(layout, build_tweet)
        self.headers: list[tuple[int, str]] = []
        self.notes: list[Any] = []
        self.kept: list[tuple[int, str]] = []  # first final records, rendered
        self.media: list[str] = []
        self._prev: int | None = None
        self._min: int | None = None
        self._max: int | None = None
        self._seq = 0
        self._notes_left = gen.spec.notes if gen.era.notes else 0

    # -- planning ----------------------------------------------------------------------------

    def _times(self, n: int) -> list[dt.datetime]:
        start = self.gen.owner_created.timestamp() + 86400
        end = self.gen.generated_at.timestamp() - 86400
        stamps = sorted((self.rng.uniform(start, end) for _ in range(n)), reverse=True)
        times = [dt.datetime.fromtimestamp(int(s), dt.UTC) for s in stamps]
        if self.gen.spec.shuffle_parts and n >= 2000:
            size = -(-n // 10)
            blocks = [times[i : i + size] for i in range(0, n, size)]
            self.rng.shuffle(blocks)
            times = [t for block in blocks for t in block]
        return times

    def _id(self, when: dt.datetime) -> int:
        self._seq += 1
        if when < SNOWFLAKE_START:  # 2006-2010: small sequential ids
            return int((when - dt.datetime(2006, 3, 21, tzinfo=dt.UTC)).total_seconds()) * 10
        return snowflake(when, self._seq)

    # -- one tweet ---------------------------------------------------------------------------

    def _kind(self) -> str:
        spec, r = self.gen.spec, self.rng.random()
        if r < spec.rt_ratio:
            return "rt"
        r -= spec.rt_ratio
        if r < spec.reply_ratio:
            if self.rng.random() < spec.self_thread_ratio and self._prev:
                return "reply_self"
            return "mention_start" if self.rng.random() < 0.03 else "reply_other"
        r -= spec.reply_ratio
        return "quote" if r < spec.quote_ratio else "plain"

    def _make(self, when: dt.datetime, edge: bool) -> list[tuple[str, dict[str, Any]]]:
        gen, rng = self.gen, self.rng
        kind = self._kind()
        versions = 1
        may_be_note = kind == "plain" and self._notes_left > 0  # long posts are not edited
        if (
            gen.era.edit_info
            and not edge
            and not may_be_note
            and rng.random() < gen.spec.edited_ratio
        ):
            versions = rng.randint(2, 3)
        ids = [self._id(when + dt.timedelta(seconds=90 * j)) for j in range(versions)]
        v, shape, meta = self._values(kind, when, ids[-1])
        out = []
        for j in reversed(range(versions)):  # newest first, like X
            tid = ids[j]
            edit = "" if not gen.era.edit_info else ("initial" if j == 0 else "edit")
            v.update(self._id_values(tid, when + dt.timedelta(seconds=90 * j)))
            for i, other in enumerate(ids):
                v[f"e{i}"] = str(other)
            final = j == versions - 1
            rendered = self.cache.render(shape._replace(edit=edit, edit_ids=versions), v)
            row = dict(
                meta,
                id=tid,
                created=v["created_at"],
                final=final,
                year=(when + dt.timedelta(seconds=90 * j)).year,
            )
            out.append((rendered, row))
        if kind != "rt":
            self._prev = ids[-1]
        return out

    def _id_values(self, tid: int, when: dt.datetime) -> dict[str, str]:
        floats = self.gen.era.floats
        return {
            "id_str": str(tid),
            "id": f"{tid:.17E}".replace("E+", "E") if floats else str(tid),
            "created_at": created_at(when),
            "editable_until": iso(when + dt.timedelta(hours=1)),
        }

    def _values(
        self, kind: str, when: dt.datetime, tid: int
    ) -> tuple[dict[str, str], Shape, dict[str, Any]]:
        gen, rng, era = self.gen, self.rng, self.gen.era
        owner = gen.owner
        dom = "x.com" if era.xcom and when.year >= 2023 else "twitter.com"
        v: dict[str, str] = {"source": esc(rng.choice(SOURCES)), "edits_remaining": "5"}
        tb = TextBuilder()
        mentions: list[tuple[str, str, str]] = []  # (id, handle, name)
        hints: list[tuple[int, str]] = []
        without: list[str] = []
        reply_name = rng.random() > 0.03
        note = None
        if kind == "plain" and self._notes_left and rng.random() < 0.5:
            kind = "note"
            self._notes_left -= 1
        base_kind = "plain" if kind == "note" else kind
        other = rng.choice(self.people)
        if kind == "rt":
            tb.add("RT ")
            tb.add("@" + other.handle, "m0")
            tb.add(": " + words(rng, rng.randint(4, 18)))
            mentions.append((str(other.id), other.handle, other.name))
        elif kind in ("reply_other", "mention_start"):
            tb.add("@" + other.handle, "m0")
            tb.add(" " + words(rng, rng.randint(3, 25)))
            mentions.append((str(other.id), other.handle, other.name))
            v.update(
                r_uid=str(other.id),
                r_sn=other.handle,
                r_sid=str(snowflake(when - dt.timedelta(hours=2), 7)),
            )
            if kind == "reply_other" and reply_name:
                hints.append((other.id, other.handle))
        elif kind == "reply_self":
            tb.add(words(rng, rng.randint(3, 25)))
            v.update(r_uid=str(owner.id), r_sn=owner.handle, r_sid=str(self._prev))
            if reply_name:
                hints.append((owner.id, owner.handle))
        elif kind == "note":
            tb.add("Thread intro by ")
            tb.add("@" + other.handle, "m0")
            mentions.append((str(other.id), other.handle, other.name))
            tb.add(" ")
            tb.add("#demo", "tag")
            v["tag"] = "demo"
            tb.add(": R&D " + words(rng, 70) + " The end.")
        else:
            tb.add(words(rng, rng.randint(3, 25)))
        if kind not in ("rt", "note"):
            tag = rng.choice(("fediverse", "maps", "opendata", "café"))
            tb.add(" ")
            tb.add("#" + tag, "tag")
            v["tag"] = tag
            if rng.random() < 0.15:
                extra = rng.choice(self.people)
                minus_one = rng.random() < 0.2
                tb.add(" cc ")
                tb.add("@" + extra.handle, f"m{len(mentions)}")
                mentions.append(("-1" if minus_one else str(extra.id), extra.handle, extra.name))
        if kind == "quote":
            quoted = rng.choice(self.people)
            tb.add(" ")
            tb.add("https://t.co/" + key(rng, 10), "q")
            qid = snowflake(when - dt.timedelta(days=3), 3)
            v.update(
                q_url=tb.plain[-23:],
                q_display=f"{dom}/{quoted.handle}/…",
                q_expanded=f"https://{dom}/{quoted.handle}/status/{qid}",
            )
            without.append(quoted.handle)
        media, files, source = "", [], False
        if kind != "note" and rng.random() < gen.spec.media_ratio:
            media = rng.choices(("photo", "photo2", "video", "gif"), (60, 12, 14, 14))[0]
            source = kind == "rt"
            tb.add(" ")
            tb.add("https://t.co/" + key(rng, 10), "mu")
            v.update(
                mu_url=tb.plain[-23:],
                mu_display=("pic.x.com/" if dom == "x.com" else "pic.twitter.com/") + key(rng, 10),
            )
            author, status = (
                (other.handle, snowflake(when - dt.timedelta(days=1), 5))
                if source
                else (owner.handle, tid)
            )
            if source:
                v.update(src_tid=str(status), src_uid=str(other.id))
                hints.append((other.id, other.handle))
            for i in range(2 if media == "photo2" else 1):
                files.append(self._media_values(v, i, media, tid, when, dom, author, status))
        for i, (mid, handle, name) in enumerate(mentions):
            v.update({f"m{i}_id": mid, f"m{i}_sn": handle, f"m{i}_name": esc(name)})
            if mid != "-1":
                hints.append((int(mid), handle))
        text = tb.text
        if kind == "note":
            cut = text[:275]
            amp = cut.rfind("&", len(cut) - 5)
            if amp >= 0 and ";" not in cut[amp:]:
                cut = cut[:amp]
            text = cut + "…"
            note = self._note(when, tb, other)
            without.append(other.handle)
        v.update(
            full_text=esc(text),
            len=str(len(text)),
            lang=rng.choice(("en", "en", "und")),
            fav=str(rng.randrange(50)) + (".0" if era.floats else ""),
            rts=str(rng.randrange(5)) + (".0" if era.floats else ""),
        )
        v.update({k: esc(val) for k, val in tb.values.items()})
        shape = Shape(
            base_kind,
            len(mentions),
            media,
            source,
            "",
            1,
            rng.random() < 0.3,
            reply_name and kind != "mention_start",
            rng.random() < 0.005,
            era.wrapped,
        )
        meta = {"hints": hints, "without": without, "files": files, "note": note, "kind": kind}
        return v, shape, meta

    def _media_values(
        self,
        v: dict[str, str],
        i: int,
        media: str,
        tid: int,
        when: dt.datetime,
        dom: str,
        author: str,
        status: int,
    ) -> str:
        rng, p = self.rng, f"md{i}"
        mid = snowflake(when - dt.timedelta(seconds=rng.randint(1, 600)), i)
        kind = "video" if media == "video" else "photo"  # GIFs link to /photo/1 too
        v[f"{p}_id"] = str(mid)
        v[f"{p}_expanded"] = f"https://{dom}/{author}/status/{status}/{kind}/{i + 1}"
        if media.startswith("photo"):
            k, ext = key(rng, 15), "png" if rng.random() < 0.1 else "jpg"
            v[f"{p}_url"] = f"http://pbs.twimg.com/media/{k}.{ext}"
            v[f"{p}_urls"] = f"https://pbs.twimg.com/media/{k}.{ext}"
            return f"{tid}-{k}.{ext}"
        if media == "video":
            thumb, best = key(rng, 16), key(rng, 16)
            base = f"https://video.twimg.com/ext_tw_video/{mid}/pu"
            v[f"{p}_url"] = f"http://pbs.twimg.com/ext_tw_video_thumb/{mid}/pu/img/{thumb}.jpg"
            v[f"{p}_urls"] = v[f"{p}_url"].replace("http:", "https:")
            v[f"{p}_m3u8"] = f"{base}/pl/{key(rng, 16)}.m3u8?tag=12&v=1b2"
            v[f"{p}_low"] = f"{base}/vid/avc1/480x270/{key(rng, 16)}.mp4?tag=12"
            v[f"{p}_mid"] = f"{base}/vid/avc1/640x360/{key(rng, 16)}.mp4?tag=12"
            v[f"{p}_best"] = f"{base}/vid/avc1/1280x720/{best}.mp4?tag=12"
            v[f"{p}_duration"] = str(rng.randint(2000, 170000))
            return f"{tid}-{best}.mp4"
        k = key(rng, 15)
        v[f"{p}_url"] = f"http://pbs.twimg.com/tweet_video_thumb/{k}.jpg"
        v[f"{p}_urls"] = f"https://pbs.twimg.com/tweet_video_thumb/{k}.jpg"
        v[f"{p}_best"] = f"https://video.twimg.com/tweet_video/{k}.mp4"
        return f"{tid}-{k}.mp4"

    def _note(self, when: dt.datetime, tb: TextBuilder, who: Person) -> dict[str, Any]:
        note_id = snowflake(when - dt.timedelta(milliseconds=self.rng.randint(13, 41)), 1)
        start = tb.plain.index("@")
        return {
            "noteTweet": {
                "noteTweetId": str(note_id),
                "updatedAt": iso(when),
                "lifecycle": {
                    "value": "1",
                    "name": "Active",
                    "originalName": "Active",
                    "annotations": {},
                },
                "createdAt": iso(when),
                "core": {
                    "styletags": [],
                    "urls": [],
                    "text": tb.plain,
                    "mentions": [
                        {
                            "screenName": who.handle,
                            "fromIndex": str(start),
                            "toIndex": str(start + 1 + len(who.handle)),
                        }
                    ],
                    "cashtags": [],
                    "hashtags": [{"text": "demo", "fromIndex": "0", "toIndex": "0"}],
                },
            }
        }
