"""Handles guessed from X names, never checked: what `chatbot match --offline` lists apart.

Without a network nothing says that ``<name>.bsky.social`` belongs to the person who was
``@name`` on X (nine in ten such guesses were wrong in an evaluation on real accounts), so
they are never matches: no tier, no follow, no export. The command line shows them in a
section of their own, plainly as unchecked, for the user to look up by hand.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chatbot.archive.model import ParsedArchive
from chatbot.matching.contacts import Contacts
from chatbot.matching.model import Direction, Match
from chatbot.matching.text import bsky_social_handles

MAX_GUESSES = 10_000  # listed at most (the rest is counted)


@dataclass(frozen=True)
class Guess:
    """An unchecked handle: a name from the user's own archive, as a Bluesky handle."""

    x_id: int
    x_username: str
    handle: str
    direction: Direction


def unchecked_guesses(
    parsed: ParsedArchive, matches: Iterable[Match], contacts: Contacts | None = None
) -> list[Guess]:
    """One guessed handle for each contact named in the archive and not matched on Bluesky.

    Blocked and muted accounts and the owner are never listed (they are not contacts)."""
    contacts = contacts or Contacts.of(parsed)
    matched = {m.x_id for m in matches if m.network == "bluesky"}
    ids = [x_id for x_id in contacts.among(parsed.handles) if x_id not in matched]
    directions = contacts.directions(ids[:MAX_GUESSES])
    out: list[Guess] = []
    for x_id in ids[:MAX_GUESSES]:
        name = parsed.handles[x_id].most_common(1)[0][0]
        handles = bsky_social_handles(name)
        if handles:
            out.append(Guess(x_id, name, handles[0], directions[x_id]))
    return out
