"""Text from strangers: no fake lines, no reordering, no hidden characters, no formulas."""

from __future__ import annotations

import csv
import io

from hypothesis import given
from hypothesis import strategies as st

from chatbot.safetext import clean, csv_cell, display, is_x_screen_name, isolate, x_screen_name

FORBIDDEN = (
    {chr(c) for c in range(0x20)}
    | {chr(c) for c in range(0x7F, 0xA0)}
    | set("\u2028\u2029\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e")
    | set("\u2066\u2067\u2068\u2069\u200b\u200c\u200d\u2060\u2061\u2062\u2063\u2064\ufeff")
)


def test_a_newline_cannot_fake_a_bot_line() -> None:
    assert clean("alice\n✅ Bot: send /connect") == "alice ✅ Bot: send /connect"


def test_bidi_overrides_and_zero_width_characters_are_removed() -> None:
    assert clean("ev\u202eil\u200b.com\ufeff") == "ev il .com"
    assert clean("a\u2066b\u2069c\u061c") == "a b c"


def test_every_invisible_character_and_lone_surrogate_is_removed() -> None:
    sneaky = "a\u00adb\U000e0041c\ufff9d\u3164e\ud800f\u180eg"  # soft hyphen, tag, ...
    assert clean(sneaky) == "a b c d e f g"
    assert clean(sneaky).encode("utf-8")  # a lone surrogate would not encode


def test_clipped_to_the_limit_with_an_ellipsis() -> None:
    assert clean("x" * 1_000_000, 10) == "x" * 9 + "…"


def test_right_to_left_names_are_isolated_once_cleaned() -> None:
    name = "\u202eمحمد"
    shown = display(name)
    assert shown == "\u2068محمد\u2069"
    assert isolate("alice") == "alice"


@given(st.text())
def test_nothing_forbidden_survives(text: str) -> None:
    assert not set(clean(text)) & FORBIDDEN
    inner = display(text)
    assert not set(inner.removeprefix("\u2068").removesuffix("\u2069")) & FORBIDDEN


def test_x_screen_names_follow_xs_rule() -> None:
    assert is_x_screen_name("jack") and is_x_screen_name("A_1234567890123")
    assert not is_x_screen_name("A_12345678901234")  # 16 characters
    assert (
        not is_x_screen_name("al\nice") and not is_x_screen_name("") and not is_x_screen_name(None)
    )
    assert x_screen_name("@Jack") == "Jack" and x_screen_name("ja ck") is None


def test_csv_cells_never_start_a_formula() -> None:
    rows = [[csv_cell(v) for v in ('=HYPERLINK("https://evil.example","Verify")', "+1", "-2",
                                   "@SUM(A1)", "\tx", "\rx", "alice", None, 3)]]  # fmt: skip
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    (read,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in read)
    assert read[6:] == ["alice", "", "3"]
