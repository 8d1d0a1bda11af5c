"""`/profile` writes: the drafted name, bio and pictures onto the connected account.

Bluesky: each picture goes up with ``uploadBlob`` (re-encoded as JPEG below the
1,000,000-byte blob limit when needed), then ``putRecord`` of ``app.bsky.actor.profile``
(rkey ``self``) merged into the existing record, so fields this bot does not set
(pinned post, labels, ...) stay; ``swapRecord`` makes a concurrent edit fail rather than
be overwritten. Mastodon: one ``update_credentials`` call (pictures below 2 MB, the
default limit of Mastodon instances). Before the first copy, what it replaces is kept
for /undo (`profile_backup`).

Errors: `NotConnected`, and `chatbot.accounts.AccountExpired` / `ServiceUnavailable`.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from atproto import AsyncClient
from atproto_client import models
from atproto_client.exceptions import (
    AtProtocolError,
    BadRequestError,
    NetworkError,
    UnauthorizedError,
)
from atproto_client.models.utils import get_model_as_dict
from mastodon import MastodonError, MastodonUnauthorizedError
from PIL import Image, UnidentifiedImageError

from chatbot.accounts import AccountExpired, ServiceUnavailable
from chatbot.accounts.bluesky import bluesky_client
from chatbot.accounts.mastodon import mastodon_client
from chatbot.archive.profile_media import image_type
from chatbot.migration.profile import ProfileDraft
from chatbot.migration.profile_backup import keep_bluesky, keep_mastodon
from chatbot.services import Services

log = logging.getLogger(__name__)

PROFILE = "app.bsky.actor.profile"
BLUESKY_BLOB_MAX = 1_000_000
MASTODON_IMAGE_MAX = 2_000_000
_MIME = {"jpg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp"}


class NotConnected(Exception):
    """No account of that network is connected (/connect first)."""

    def __init__(self, network: str) -> None:
        super().__init__(network)
        self.network = network


@dataclass
class Written:
    """What was written: fields among "name", "bio", "avatar", "banner"."""

    network: str
    fields: list[str] = field(default_factory=list)


def fit_image(
    data: bytes, max_bytes: int, accepted: tuple[str, ...] = ("jpg", "png")
) -> tuple[bytes, str]:
    """The picture as (bytes, MIME type) within `max_bytes`: kept as is when it already
    fits in an accepted format, else re-encoded as JPEG, smaller until it fits.
    Raises ValueError when it is not a picture."""
    kind = image_type(data)
    if kind in accepted and len(data) <= max_bytes:
        return data, _MIME[kind]
    try:
        with Image.open(io.BytesIO(data)) as opened:
            image = opened.convert("RGB")
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError("not a picture") from exc
    image.thumbnail((3000, 3000))
    while True:
        for quality in (90, 80, 70, 60):
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality, optimize=True)
            if out.tell() <= max_bytes:
                return out.getvalue(), "image/jpeg"
        width, height = image.size
        if width < 64 or height < 64:
            raise ValueError("cannot shrink the picture enough")
        image = image.resize((width * 3 // 4, height * 3 // 4))


def _read_fit(path: Path | None, max_bytes: int) -> tuple[bytes, str] | None:
    if path is None:
        return None
    try:
        return fit_image(path.read_bytes(), max_bytes)
    except (OSError, ValueError) as exc:
        log.info("profile picture %s not usable: %s", path.name, exc)
        return None


async def write_profile(services: Services, user_id: int, draft: ProfileDraft) -> Written:
    if draft.network == "bluesky":
        return await write_bluesky(services, user_id, draft)
    return await write_mastodon(services, user_id, draft)


# -- Bluesky -------------------------------------------------------------------------------


async def write_bluesky(services: Services, user_id: int, draft: ProfileDraft) -> Written:
    account = await services.accounts.get(user_id, "bluesky")
    client = await bluesky_client(services, user_id)
    if client is None or account is None or not account.did:
        if client is not None:
            await client.request.close()
        raise NotConnected("bluesky")
    try:
        before, _ = await current_profile(client, account.did)
        await keep_bluesky(services, user_id, client, account.did, before, draft)
        return await _put_profile(client, account.did, draft)
    except UnauthorizedError:
        raise AccountExpired("bluesky") from None
    except (NetworkError, AtProtocolError, httpx.HTTPError) as exc:
        log.info("Bluesky profile write failed: %s", type(exc).__name__)
        raise ServiceUnavailable("bluesky") from None
    finally:
        await client.request.close()


async def current_profile(client: AsyncClient, did: str) -> tuple[dict[str, Any], str | None]:
    """The account's profile record as JSON-like data and its CID ({} and None if none)."""
    try:
        response = await client.com.atproto.repo.get_record(
            {"repo": did, "collection": PROFILE, "rkey": "self"}
        )
    except BadRequestError:  # RecordNotFound: a new account without a profile yet
        return {}, None
    value = response.value
    record = value if isinstance(value, dict) else get_model_as_dict(value)
    return record, response.cid


async def _put_profile(client: AsyncClient, did: str, draft: ProfileDraft) -> Written:
    written = Written("bluesky")
    record, cid = await current_profile(client, did)
    record = {**record, "$type": PROFILE}
    if draft.display_name:
        record["displayName"] = draft.display_name
        written.fields.append("name")
    if draft.description:
        record["description"] = draft.description
        written.fields.append("bio")
    for kind, path in (("avatar", draft.avatar), ("banner", draft.banner)):
        image = await asyncio.to_thread(_read_fit, path, BLUESKY_BLOB_MAX)
        if image is None:
            continue
        data, mime = image
        uploaded = await client.com.atproto.repo.upload_blob(data, headers={"Content-Type": mime})
        record[kind] = get_model_as_dict(uploaded.blob)
        written.fields.append(kind)
    if not written.fields:
        return written
    await client.com.atproto.repo.put_record(
        models.ComAtprotoRepoPutRecord.Data(
            repo=did, collection=PROFILE, rkey="self", record=record, swap_record=cid
        )
    )
    return written


# -- Mastodon ------------------------------------------------------------------------------


async def write_mastodon(services: Services, user_id: int, draft: ProfileDraft) -> Written:
    client = await mastodon_client(services, user_id)
    if client is None:
        raise NotConnected("mastodon")
    written = Written("mastodon")
    changes: dict[str, Any] = {}
    if draft.display_name:
        changes["display_name"] = draft.display_name
        written.fields.append("name")
    if draft.description:
        changes["note"] = draft.description
        written.fields.append("bio")
    for kind, param, path in (
        ("avatar", "avatar", draft.avatar),
        ("banner", "header", draft.banner),
    ):
        image = await asyncio.to_thread(_read_fit, path, MASTODON_IMAGE_MAX)
        if image is None:
            continue
        changes[param], changes[f"{param}_mime_type"] = io.BytesIO(image[0]), image[1]
        written.fields.append(kind)
    if not changes:
        return written
    try:
        account = await services.accounts.get(user_id, "mastodon")
        await keep_mastodon(services, user_id, client, account.handle if account else "", draft)
        await asyncio.to_thread(client.account_update_credentials, **changes)
    except MastodonUnauthorizedError:
        raise AccountExpired("mastodon") from None
    except MastodonError as exc:
        log.info("Mastodon profile write failed: %s", type(exc).__name__)
        raise ServiceUnavailable("mastodon") from None
    return written
