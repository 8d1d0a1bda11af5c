"""Matches for the /export tests."""

from __future__ import annotations

from chatbot.matching.model import Match, Reason


def bsky(n: int, tier: str = "verified", *, confirmed: bool = False,
         direction: str = "following", did: str | None = None) -> Match:  # fmt: skip
    return Match(n, f"x{n}", "bluesky", f"b{n}.test", did or f"did:plc:{n:024d}", None,
                 tier, (Reason.of("directory_verified"),), direction, confirmed)  # type: ignore[arg-type]  # fmt: skip


def masto(n: int, tier: str = "verified", *, confirmed: bool = False,
          direction: str = "following", acct: str | None = None) -> Match:  # fmt: skip
    acct = acct or f"user{n}@example.social"
    reasons = (Reason.of("mastodon_links_back"),
               Reason.of("handle_guess_unverified", name=f"x{n}", handle=acct))  # fmt: skip
    return Match(n, f"x{n}", "mastodon", acct, None, acct, tier, reasons, direction,  # type: ignore[arg-type]
                 confirmed)  # fmt: skip
