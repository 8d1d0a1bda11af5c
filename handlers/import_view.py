"""How a post import reads in the chat: the plan, what was left out, a preview."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from chatbot.i18n import Translator
from chatbot.posts.plan import SKIP_REASONS
from chatbot.posts.prepare import PreparedPost

MEDIA_NOTES = ("video_too_long", "video_too_big", "video_missing", "image_missing",
               "media_not_own")  # fmt: skip


def _day(item: PreparedPost) -> str:
    return item.created_at.strftime("%Y-%m-%d") if item.created_at else "?"


def render_plan(t: Translator, items: Sequence[PreparedPost]) -> str:
    """Counts and dates of the prepared posts."""
    dated = [i.created_at for i in items if i.created_at]
    lines = [
        t.plural("posts.plan.posts", len(items),
                 first=min(dated).strftime("%Y-%m-%d") if dated else "?",
                 last=max(dated).strftime("%Y-%m-%d") if dated else "?"),
    ]  # fmt: skip
    threads = sum(1 for i in items if i.parent_id is not None)
    if threads:
        lines.append(t.plural("posts.plan.replies", threads))
    split = sum(1 for i in items if len(i.parts) > 1)
    if split:
        lines.append(t.plural("posts.plan.split", split))
    images = sum(1 for i in items for m in i.media if m.get("kind") == "image")
    videos = sum(1 for i in items for m in i.media if m.get("kind") == "video")
    if images or videos:
        lines.append(t("posts.plan.media", images=images, videos=videos))
    return "\n".join(lines)


def render_skipped(t: Translator, skipped: Mapping[str, int], media: Mapping[str, int]) -> str:
    """One line per reason something is not imported (nothing when all goes)."""
    lines = [t.plural(f"posts.skip.{reason}", skipped[reason])
             for reason in SKIP_REASONS if skipped.get(reason)]  # fmt: skip
    lines += [t.plural(f"posts.media.{note}", media[note])
              for note in MEDIA_NOTES if media.get(note)]  # fmt: skip
    return "\n".join(f"• {line}" for line in lines) or t("posts.skip.none")


def render_preview(t: Translator, items: Sequence[PreparedPost]) -> str:
    """The first posts exactly as they would be posted (parts of a long one numbered)."""
    blocks = []
    for item in items:
        head = t("posts.preview.reply" if item.parent_id else "posts.preview.post", day=_day(item))
        images = sum(1 for m in item.media if m.get("kind") == "image")
        videos = sum(1 for m in item.media if m.get("kind") == "video")
        texts = [str(part["text"]) for part in item.parts]
        if len(texts) > 1:
            texts = [f"({n}/{len(texts)}) {text}" for n, text in enumerate(texts, 1)]
        body = "\n".join(texts)
        if images or videos:
            body += "\n" + t("posts.plan.media", images=images, videos=videos)
        blocks.append(f"{head}\n{body}")
    return "\n\n".join(blocks)
