"""Threat model §4.4: a 10 MB zip whose follower.js holds 100,000,000 ids.

The real bot (`chatbot run`) on the Bot API emulator; the flood zip is legal JSON, salted
to stay under the 200:1 ratio guard (~167:1), far under the size limits. The whole
process tree (the bot and its parser processes) must stay under 600 MB, sampled at
20 Hz, the sender must get a summary that says the list was cut, and other users'
/help must keep answering within a second. On the code before the caps this tree took
2.5 GB (bench/README.md, Abuse).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from chatbot.config import ArchiveLimits
from chatbot.i18n import translator
from devtools.archivegen_flood import flood_zip
from tests.abuse.memkit import deployment, run_flood

pytestmark = [pytest.mark.slow, pytest.mark.server]

BOUND_MB = 600
EN = translator("en")


@pytest.mark.parametrize("parts", [1, 2])
def test_a_hundred_million_ids_are_answered_in_bounded_memory(tmp_path: Path, parts: int) -> None:
    flood = flood_zip(tmp_path / "twitter-flood.zip", ids=100_000_001 * parts, parts=parts)
    assert flood.path.stat().st_size < 11_000_000 * parts
    assert flood.uncompressed / flood.path.stat().st_size < ArchiveLimits().max_compression_ratio
    capped = EN.plural("archive.capped.followers", ArchiveLimits().max_follower_ids)
    with deployment(tmp_path / "run") as deploy:
        run = run_flood(deploy, flood.path, ("Archive of @flood_owner",), timeout_s=240)
    print(
        f"\nABUSE flood {parts} part(s): peak {run.peak_mb:.0f} MB at {run.sample_hz:.0f} Hz, "
        f"answer after {run.answer_s:.1f} s, /help max {run.help_max_s:.2f} s "
        f"({len(run.help_latencies)} sent)"
    )
    assert run.sample_hz >= 10
    assert "Archive of @flood_owner" in run.answer, run.answer
    assert capped in run.answer
    assert run.peak_mb < BOUND_MB
    assert run.help_latencies and run.help_max_s < 1.0, run.help_latencies
