"""Matrix media downloads: authenticated media, streamed to disk, decrypted on the fly.

Files are fetched from ``/_matrix/client/v1/media/download`` with the bot's token
(legacy unauthenticated media returns 404 on current Synapse). Encrypted attachments
(the event's "file" object) are decrypted chunk by chunk with AES-256-CTR while the
SHA-256 of the ciphertext is checked, so a large archive never sits in memory.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
import struct
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiofiles
from aiohttp import ClientError, ClientTimeout
from Crypto.Cipher import AES
from Crypto.Hash import SHA256
from Crypto.Util import Counter
from nio import AsyncClient

from chatbot.platforms.base import Attachment, DownloadFailed, TooBigToDownload
from chatbot.platforms.matrix_events import split_mxc

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
ATTEMPTS = 3


def _b64(value: str) -> bytes:
    """Unpadded (url-safe or standard) base64, as Matrix uses."""
    value = value.replace("-", "+").replace("_", "/")
    return base64.b64decode(value + "=" * (-len(value) % 4))


class _Decryptor:
    """AES-CTR decryption plus SHA-256 of the ciphertext, per the Matrix attachment spec."""

    def __init__(self, file: dict[str, Any]) -> None:
        try:
            key = _b64(str(file["key"]["k"]))
            iv = _b64(str(file["iv"]))
            self.expected = _b64(str(file["hashes"]["sha256"]))
        except (KeyError, TypeError, ValueError, binascii.Error):
            raise DownloadFailed("malformed encryption info") from None
        if len(key) != 32 or len(iv) != 16:
            raise DownloadFailed("bad key or iv length")
        counter = Counter.new(64, prefix=iv[:8], initial_value=int.from_bytes(iv[8:], "big"))
        self.cipher = AES.new(key, AES.MODE_CTR, counter=counter)
        self.hash = SHA256.new()

    def feed(self, chunk: bytes) -> bytes:
        self.hash.update(chunk)
        return bytes(self.cipher.decrypt(chunk))

    def verify(self) -> None:
        if self.hash.digest() != self.expected:
            raise DownloadFailed("the file's checksum does not match (corrupted or tampered)")


def _source(attachment: Attachment) -> tuple[str, dict[str, Any] | None]:
    """(mxc URI, encryption info or None) of an attachment built by matrix_events."""
    if attachment.file_id.startswith("{"):
        try:
            file = json.loads(attachment.file_id)
            return str(file["url"]), file
        except (ValueError, KeyError, TypeError):
            raise DownloadFailed("malformed encrypted attachment") from None
    return attachment.file_id, None


async def download_attachment(
    client: AsyncClient, attachment: Attachment, dest: Path, limit: int
) -> Path:
    """Stream an attachment to `dest`, decrypting it if needed.

    Raises `TooBigToDownload` when the announced or the actual size exceeds `limit`
    (checked before and while downloading), `DownloadFailed` on any other problem.
    """
    if attachment.size is not None and attachment.size > limit:
        raise TooBigToDownload(attachment.size, limit)
    mxc, file = _source(attachment)
    try:
        server, media_id = split_mxc(mxc)
    except ValueError as exc:
        raise DownloadFailed(str(exc)) from None
    path = (
        f"{client.homeserver}/_matrix/client/v1/media/download/"
        f"{quote(server, safe='')}/{quote(media_id, safe='')}?allow_redirect=true"
    )
    for attempt in range(1, ATTEMPTS + 1):
        try:
            await _fetch(client, path, dest, limit, file)
            return dest
        except (TooBigToDownload, DownloadFailed):
            await asyncio.to_thread(dest.unlink, missing_ok=True)
            raise
        except (ClientError, TimeoutError, OSError) as exc:
            await asyncio.to_thread(dest.unlink, missing_ok=True)
            log.warning("matrix: download attempt %d failed: %r", attempt, exc)
            if attempt == ATTEMPTS:
                raise DownloadFailed(f"download failed: {exc!r}") from None
            await asyncio.sleep(attempt * 2)
    raise DownloadFailed("unreachable")  # pragma: no cover


async def _fetch(
    client: AsyncClient, url: str, dest: Path, limit: int, file: dict[str, Any] | None
) -> None:
    session = client.client_session
    if session is None:
        raise DownloadFailed("the Matrix client is not connected")
    headers = {"Authorization": f"Bearer {client.access_token}"}
    timeout = ClientTimeout(total=None, sock_connect=30, sock_read=120)
    async with session.get(url, headers=headers, timeout=timeout) as response:
        if response.status == 429:
            retry = response.headers.get("Retry-After")
            await asyncio.sleep(min(float(retry) if retry and retry.isdigit() else 5.0, 60.0))
            raise ClientError("rate limited")
        if response.status != 200:
            raise DownloadFailed(f"the homeserver answered {response.status}")
        length = response.content_length
        if length is not None and length > limit:
            raise TooBigToDownload(length, limit)
        decryptor = _Decryptor(file) if file is not None else None
        total = 0
        async with aiofiles.open(dest, "wb") as out:
            async for chunk in response.content.iter_chunked(CHUNK):
                total += len(chunk)
                if total > limit:
                    raise TooBigToDownload(total, limit)
                await out.write(decryptor.feed(chunk) if decryptor else chunk)
        if decryptor is not None:
            decryptor.verify()


def png_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, from its IHDR chunk."""
    if len(data) < 24 or not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return None
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)
