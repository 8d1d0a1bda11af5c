"""What an /undo would take back on one network: gathered from the logs, by kind.

Kinds a user names: follows, posts, lists (lists and starter packs), blocks (blocks and
mutes), profile. Only what was made from the account connected now can be taken back
through it: what another account made (the user connected a different one since) is
counted apart and left alone. Mastodon has follows and the profile: blocks and mutes
went there as import files the user uploaded, which the bot cannot see.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chatbot.migration.store import BLOCKS, MUTES
from chatbot.undo.store import UNCOUNTED, Backup, Made, UndoStore, repo_of

KINDS = ("follows", "posts", "lists", "blocks", "profile")
NETWORKS = ("bluesky", "mastodon")
BY_NETWORK = {"bluesky": KINDS, "mastodon": ("follows", "profile")}


@dataclass
class UndoPlan:
    network: str
    account: str | None  # the DID (Bluesky) or acct (Mastodon); None: any (a count only)
    items: dict[str, list[Made]] = field(default_factory=dict)  # kind -> what to take back
    backup: Backup | None = None  # the profile to put back
    elsewhere: int = 0  # made from another account: cannot be taken back through this one
    handle: str = ""  # how the account is shown (its handle or acct)

    @property
    def total(self) -> int:
        """Steps of the job: one per follow, post, list or pack, block or mute; one for the
        profile (a pack's own list and a list's items go with it)."""
        return sum(self.count(kind) for kind in KINDS)

    def count(self, kind: str) -> int:
        if kind == "profile":
            return int(self.backup is not None)
        return sum(1 for m in self.items.get(kind, ()) if m.kind not in UNCOUNTED)

    def shown(self, kind: str) -> list[Made]:
        """What a preview may name (not a pack's own list)."""
        return [m for m in self.items.get(kind, ()) if m.kind not in UNCOUNTED]


def _mine(made: Made, network: str, account: str | None) -> bool:
    if account is None:
        return True
    if network == "bluesky":
        if made.kind == "mute":  # a mute is no record: the log keeps the muting account
            return made.uri == account
        return bool(made.uri) and repo_of(made.uri or "") == account
    logged = made.ref[3] if made.ref and len(made.ref) > 3 else None
    return logged is None or logged.lower() == account.lower()  # older jobs: one account


async def gather(
    store: UndoStore, user_id: int, network: str, kinds: tuple[str, ...], account: str | None
) -> UndoPlan:
    """The plan of an undo of `kinds` on `network` through `account` (None: what any
    account made, to tell a user who is not connected that something is left)."""
    plan = UndoPlan(network, account)
    wanted = [kind for kind in kinds if kind in BY_NETWORK[network]]
    for kind in wanted:
        if kind == "profile":
            backup = await store.backup(user_id, network)
            if backup is not None and _backup_mine(backup, account):
                plan.backup = backup
            elif backup is not None:
                plan.elsewhere += 1
            continue
        found = await _made(store, user_id, network, kind)
        plan.items[kind] = [m for m in found if _mine(m, network, account)]
        plan.elsewhere += len(found) - len(plan.items[kind])
    return plan


def _backup_mine(backup: Backup, account: str | None) -> bool:
    kept = str(backup.fields.get("account") or "")
    return account is None or not kept or kept.lower() == account.lower()


async def _made(store: UndoStore, user_id: int, network: str, kind: str) -> list[Made]:
    if kind == "follows":
        return await store.graph(user_id, network, "follow")
    if kind == "posts":
        return await store.posts(user_id)
    if kind == "lists":
        return await store.artefacts(user_id, network)
    return await store.graph(user_id, BLOCKS, "block") + await store.graph(user_id, MUTES, "mute")
