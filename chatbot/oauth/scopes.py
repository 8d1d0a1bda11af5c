"""What the bot asks for: the least the features need, and how to say it to the user.

The features write follows, lists, list items, starter packs, the profile and posts, and
upload pictures and videos. Where the authorization server advertises granular scopes,
the bot asks exactly for those collections and blobs; otherwise for
``transition:generic`` (what an app password allows: everything but direct messages and
account settings). The client metadata declares both, so either may be requested.
"""

from __future__ import annotations

from collections.abc import Iterable

COLLECTIONS = (
    "app.bsky.graph.follow",
    "app.bsky.graph.list",
    "app.bsky.graph.listitem",
    "app.bsky.graph.starterpack",
    "app.bsky.actor.profile",
    "app.bsky.feed.post",
)
GRANULAR = " ".join(
    ["atproto", *(f"repo:{c}" for c in COLLECTIONS), "blob:image/*", "blob:video/*"]
)
TRANSITION = "atproto transition:generic"
DECLARED = " ".join(dict.fromkeys([*TRANSITION.split(), *GRANULAR.split()]))


def choose(scopes_supported: Iterable[object]) -> str:
    """Granular scopes when the server lists them, else ``transition:generic``."""
    listed = {str(s) for s in scopes_supported}
    if any(s.startswith(("repo:", "blob:", "include:")) for s in listed):
        return GRANULAR
    return TRANSITION


def granted(scope: str) -> bool:
    """True when a granted scope lets the bot do its work (the user may not narrow it)."""
    given = set(scope.split())
    if "atproto" not in given:
        return False
    return "transition:generic" in given or set(GRANULAR.split()) <= given


def ability_keys(scope: str) -> list[str]:
    """Locale keys of what the scope lets the bot do, for the link message."""
    if "transition:generic" in scope.split():
        return ["connect.oauth.can.generic"]
    return ["connect.oauth.can.granular"]
