"""Before `/profile` copies over a profile, keep what it replaces, so /undo can put it back.

Only the fields the copy changes are kept (name, bio, avatar, banner), once: the first
copy's "before" is what undo restores, later copies keep it. Pictures are kept as bytes
(at most `PICTURE_MAX` each): a PDS deletes a blob once no record refers to it, and
Mastodon takes pictures only as uploads. A Mastodon picture is read only from the
account's own instance (the host the bot already talks to) through the client's own
session; one served from elsewhere (a CDN) or too large is noted as not restorable.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from chatbot.migration.profile import ProfileDraft
from chatbot.undo.store import Backup, UndoStore

if TYPE_CHECKING:
    from atproto import AsyncClient
    from mastodon import Mastodon

    from chatbot.services import Services

log = logging.getLogger(__name__)

PICTURE_MAX = 2_000_000  # bytes: Bluesky's blob limit is 1,000,000, Mastodon's default 2 MB
DEFAULT_PICTURE = "/original/missing.png"  # Mastodon's placeholder avatar and header


def changed_fields(draft: ProfileDraft) -> list[str]:
    """The fields a copy of `draft` writes."""
    values = {"name": draft.display_name, "bio": draft.description,
              "avatar": draft.avatar, "banner": draft.banner}  # fmt: skip
    return [name for name, value in values.items() if value]


async def keep_bluesky(
    services: Services, user_id: int, client: AsyncClient, did: str, record: dict[str, Any],
    draft: ProfileDraft,
) -> None:  # fmt: skip
    """Keep the Bluesky profile `record` (as read before the copy) and its pictures."""
    store = UndoStore(services.db)
    if await store.backup(user_id, "bluesky") is not None:
        return
    changed = changed_fields(draft)
    fields: dict[str, Any] = {"account": did, "changed": changed, "unrestorable": [],
                              "name": record.get("displayName"),
                              "bio": record.get("description")}  # fmt: skip
    pictures: dict[str, bytes | None] = {"avatar": None, "banner": None}
    for kind in ("avatar", "banner"):
        blob = record.get(kind)
        if kind not in changed or not isinstance(blob, dict):
            continue
        cid = str((blob.get("ref") or {}).get("$link") or "")
        fields[f"{kind}_mime"] = blob.get("mimeType")
        fields[f"{kind}_ref"] = blob  # the blob reference; its bytes are kept below
        data = b""
        if 0 < int(blob.get("size") or 0) <= PICTURE_MAX:
            try:
                data = await client.com.atproto.sync.get_blob({"did": did, "cid": cid})
            except Exception as exc:  # the picture cannot be read: said at undo
                log.info("could not keep the previous %s: %s", kind, type(exc).__name__)
        if isinstance(data, bytes) and 0 < len(data) <= PICTURE_MAX:
            pictures[kind] = data
        else:
            fields["unrestorable"].append(kind)
    await store.keep_backup(
        user_id, Backup("bluesky", fields, pictures["avatar"], pictures["banner"])
    )


async def keep_mastodon(
    services: Services, user_id: int, client: Mastodon, acct: str, draft: ProfileDraft
) -> None:
    """Keep the Mastodon profile as verify_credentials shows it before the copy."""
    store = UndoStore(services.db)
    if await store.backup(user_id, "mastodon") is not None:
        return
    me = await asyncio.to_thread(client.account_verify_credentials)
    changed = changed_fields(draft)
    source = me.get("source") or {}
    fields: dict[str, Any] = {"account": acct, "changed": changed, "unrestorable": [],
                              "name": me.get("display_name") or "",
                              "bio": source.get("note") if source.get("note") is not None
                              else me.get("note") or ""}  # fmt: skip
    pictures: dict[str, bytes | None] = {"avatar": None, "banner": None}
    for kind, key in (("avatar", "avatar"), ("banner", "header")):
        url = str(me.get(key) or "")
        if kind not in changed:
            continue
        if not url or url.endswith(DEFAULT_PICTURE):
            fields[f"{kind}_default"] = True
            continue
        data = await asyncio.to_thread(_download, client, url)
        if data is None:
            fields["unrestorable"].append(kind)
        else:
            pictures[kind] = data
    await store.keep_backup(
        user_id, Backup("mastodon", fields, pictures["avatar"], pictures["banner"])
    )


def _download(client: Mastodon, url: str) -> bytes | None:
    """A picture of the account's own instance, through the client's session, bounded."""
    base = urlsplit(str(client.api_base_url))
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
        return None  # another host (a CDN): not fetched, noted as not restorable
    try:
        with client.session.get(url, stream=True, timeout=20, allow_redirects=False) as answer:
            if answer.status_code != 200:
                return None
            data = bytearray()
            for chunk in answer.iter_content(65536):
                data += chunk
                if len(data) > PICTURE_MAX:
                    return None
            return bytes(data)
    except Exception as exc:
        log.info("could not keep the previous Mastodon picture: %s", type(exc).__name__)
        return None
