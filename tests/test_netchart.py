"""The chart of where an X network went: counts from matches, a PNG drawn with Pillow whose
bars and numbers come from those counts, in each language's number format, any input
drawn in a bounded time."""

from __future__ import annotations

import io
import time

from PIL import Image

from chatbot.i18n import translator
from chatbot.matching.model import Match, Reason
from chatbot.matching.reach import reach_of
from chatbot.summary.netchart import TIER_COLOURS, NetChartLabels, reach_png
from handlers.netchart_view import chart_labels


def _match(x_id: int, network: str, tier: str, direction: str) -> Match:
    return Match(x_id, None, network, f"h{x_id}", None, f"u{x_id}@ex.social", tier,  # type: ignore[arg-type]
                 (Reason.of("directory_claimed"),), direction)  # type: ignore[arg-type]  # fmt: skip


def _matches() -> list[Match]:
    found = [_match(i, "bluesky", "verified", "following") for i in range(1200)]
    found += [_match(i, "bluesky", "possible", "following") for i in range(100)]  # same ids
    found += [_match(2000 + i, "mastodon", "likely", "both") for i in range(300)]
    found += [_match(3000 + i, "threads", "possible", "follower") for i in range(50)]
    found += [_match(1, "threads", "likely", "following")]
    return found


def test_each_account_counts_once_per_side_and_network_at_its_best_tier() -> None:
    reach = reach_of(_matches(), following=5000, followers=1000)
    assert reach.count("following", "bluesky") == 1200  # the possible ones are the same ids
    assert reach.count("following", "bluesky", "verified") == 1200
    assert reach.count("following", "mastodon", "likely") == 300  # "both": on each side
    assert reach.count("followers", "mastodon", "likely") == 300
    assert reach.count("followers", "threads", "possible") == 50
    assert reach.reached == {"following": 1500, "followers": 350}  # distinct accounts
    assert reach.bars("following") == [
        ("bluesky", (1200, 0, 0)), ("mastodon", (0, 300, 0)), ("threads", (0, 1, 0))
    ]  # fmt: skip


def _decoded(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _colour_run(image: Image.Image, colour: tuple[int, int, int], y: int) -> int:
    rgb = image.convert("RGB")
    return sum(rgb.getpixel((x, y)) == colour for x in range(rgb.width))


def test_numbers_drawn_come_from_the_counts_in_each_language() -> None:
    reach = reach_of(_matches(), following=5000, followers=1000)
    en = _decoded(reach_png(reach, chart_labels(translator("en"), reach, "Where it went")))
    fr = _decoded(reach_png(reach, chart_labels(translator("fr"), reach, "Où")))
    assert en.size == fr.size == (800, 70 + 2 * (26 + 3 * 40) + 20)
    assert en.text["Description"].splitlines() == [
        "Where it went",
        "Accounts you followed on X: 1,500 found of 5,000",
        "  Bluesky: 1,200 (verified 1,200, likely 0, possible 0)",
        "  Mastodon: 300 (verified 0, likely 300, possible 0)",
        "  Threads: 1 (verified 0, likely 1, possible 0)",
        "Your followers on X: 350 found of 1,000",
        "  Bluesky: 0 (verified 0, likely 0, possible 0)",
        "  Mastodon: 300 (verified 0, likely 300, possible 0)",
        "  Threads: 50 (verified 0, likely 0, possible 50)",
    ]
    nnbsp = "\u202f"  # French groups digits with a narrow no-break space
    lines = fr.text["Description"].splitlines()
    assert lines[1] == f"Comptes que vous suiviez sur X : 1{nnbsp}500 retrouvés sur 5{nnbsp}000"
    assert lines[2] == f"  Bluesky : 1{nnbsp}200 (vérifié 1{nnbsp}200, probable 0, possible 0)"
    # bar lengths follow the counts: the longest bar (1,200 verified) spans the plot
    bluesky_row = 70 + 26 + 15
    verified = _colour_run(en, TIER_COLOURS[0], bluesky_row)
    mastodon = _colour_run(en, TIER_COLOURS[1], bluesky_row + 40)
    assert verified > 550 and abs(mastodon - verified * 300 / 1200) <= 2


def test_nothing_found_and_hostile_labels_stay_bounded() -> None:
    empty = reach_of([], following=0, followers=0)
    labels = chart_labels(translator("en"), empty, "Nothing")
    assert "found of" not in _decoded(reach_png(empty, labels)).text["Description"]
    huge = NetChartLabels("T" * 300_000, ["S" * 300_000] * 2, ["N" * 100_000] * 3,
                          ["R" * 100_000] * 3, "," * 10_000)  # fmt: skip
    started = time.monotonic()
    image = _decoded(reach_png(reach_of(_matches(), following=1, followers=1), huge))
    assert time.monotonic() - started < 5
    assert image.width == 800
    assert max(len(line) for line in image.text["Description"].splitlines()) < 200
