"""An organisation sends its archive: a quarter of a million followers, matched in bulk
through the real upload, then /match, with the same counts."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from chatbot.conversation import Dispatcher
from chatbot.matching.model import DirectoryEntry
from chatbot.networks.types import BlueskyProfile
from chatbot.platforms.base import RecordingPlatform
from chatbot.services import Services
from chatbot.storage.directory import DirectoryStore
from devtools.archivegen import ArchiveSpec, generate
from devtools.memnet import MemoryBluesky
from tests.conversation.harness import Chat, texts

FOLLOWERS, FOUND, STRANGERS = 250_000, 120, 3_000


async def test_a_quarter_of_a_million_followers(
    net_dispatcher: Dispatcher,
    net_services: Services,
    telegram: RecordingPlatform,
    tmp_path: Path,
) -> None:
    archive = tmp_path / "twitter.zip"
    made = generate(ArchiveSpec(era="H", followers=FOLLOWERS, following=300, tweets=30,
                                canaries=False, with_media_files=False), archive)  # fmt: skip
    followers = np.asarray(made.followers, dtype=np.int64)
    fans = [int(x) for x in followers[:: FOLLOWERS // FOUND][:FOUND]]
    strangers = [2**61 + n for n in range(STRANGERS)]
    entries = [DirectoryEntry(x, f"u{x}", "bluesky", f"u{x}.bsky.social", did=f"did:plc:{x}",
                              provenance="csv_import") for x in [*fans, *strangers]]  # fmt: skip
    await DirectoryStore(net_services.db).add_many(entries)
    assert isinstance(net_services.bluesky, MemoryBluesky)
    net_services.bluesky.add([BlueskyProfile(e.did or "", e.handle or "") for e in entries])

    chat = Chat(net_dispatcher, telegram)
    shown = texts(await chat.upload(archive))
    assert "250,000 followers" in shown
    counts = shown[shown.index("People who followed you on X") :]
    assert f"Bluesky: {len(fans)} possible" in counts.splitlines()[1]
    again = texts(await chat.say("/match"))
    assert f"Bluesky: {len(fans)} possible" in again
