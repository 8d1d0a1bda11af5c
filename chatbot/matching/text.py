"""Pure text helpers: handle variants, X names in bios (read by `bios`), Mastodon accts,
Bridgy Fed names."""

from __future__ import annotations

import re

from chatbot.matching.bios import read_bio

BSKY_SUFFIX = ".bsky.social"
BRIDGY_AP_SUFFIX = ".ap.brid.gy"  # fediverse accounts bridged into Bluesky
BRIDGY_BSKY_DOMAIN = "bsky.brid.gy"  # Bluesky accounts bridged into the fediverse

_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_ACCT = re.compile(
    r"(?<![\w.@/-])@?([A-Za-z0-9_]{1,30})@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?![\w@-])"
)
_ACCT_URL = re.compile(
    r"(?<![\w.-])(?:https?://)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)/(?:web/)?@([A-Za-z0-9_]{1,30})"
    r"(?![\w@])"
)
_BSKY_MENTION = re.compile(
    r"(?<![\w@.-])@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)(?![\w@-])"
    r"|bsky\.app/profile/([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)",
    re.IGNORECASE,
)
_NOT_FEDIVERSE = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "live.com",
        "yahoo.com",
        "icloud.com",
        "proton.me",
        "protonmail.com",
        "twitter.com",
        "x.com",
        "bsky.app",
        "bsky.social",
        # Threads is a network of its own (chatbot.matching.threads), not a Mastodon server
        "threads.net",
        "threads.com",
        "www.threads.net",
        "www.threads.com",
    }
)
_NOT_DOMAIN_TLDS = frozenset({"png", "jpg", "gif", "js", "html", "txt", "pdf"})


def handle_variants(screen_name: str) -> list[str]:
    """Bluesky labels an X screen name may have become: as is, ``_`` -> ``-``, ``_`` dropped."""
    name = screen_name.lower()
    out: list[str] = []
    for variant in (name, name.replace("_", "-"), name.replace("_", "")):
        if _LABEL.match(variant) and variant not in out:
            out.append(variant)
    return out


def bsky_social_handles(screen_name: str) -> list[str]:
    """``<variant>.bsky.social`` for each variant (handles need at least 3 characters)."""
    return [f"{v}{BSKY_SUFFIX}" for v in handle_variants(screen_name) if len(v) >= 3]


def handle_prefix(handle: str) -> str:
    """The first label of a handle (``alice`` for ``alice.bsky.social`` or ``alice.com``)."""
    return handle.lower().split(".", 1)[0]


def is_bsky_social(handle: str) -> bool:
    return handle.lower().endswith(BSKY_SUFFIX)


def is_bridged(handle: str) -> bool:
    return handle.lower().endswith(BRIDGY_AP_SUFFIX)


def is_custom_domain(handle: str) -> bool:
    return not is_bsky_social(handle) and not is_bridged(handle) and "." in handle


def x_names_linked(text: str | None) -> set[str]:
    """Lower-cased X screen names a bio claims as its own X account (links, "formerly @name
    on X", "ex-@name"...), without those it disclaims (fan, parody, mirror: `bios`)."""
    return set(read_bio(text).claims)


def x_names_disclaimed(text: str | None) -> set[str]:
    """Lower-cased X screen names a bio names in a negation (fan, parody, unofficial...)."""
    return set(read_bio(text).disclaims)


def mastodon_accts(text: str | None) -> list[str]:
    """``user@domain`` strings in a bio or name (``@u@host`` or ``https://host/@u``), in order."""
    if not text:
        return []
    found: list[str] = []
    for user, host in _ACCT.findall(text):
        _add_acct(found, user, host)
    for host, user in _ACCT_URL.findall(text):
        _add_acct(found, user, host)
    return found


def _add_acct(found: list[str], user: str, host: str) -> None:
    host = host.lower()
    tld = host.rsplit(".", 1)[-1]
    if host in _NOT_FEDIVERSE or tld in _NOT_DOMAIN_TLDS or tld.isdigit():
        return
    acct = f"{user}@{host}"
    if acct.lower() not in (a.lower() for a in found):
        found.append(acct)


def bluesky_handles_mentioned(text: str | None) -> list[str]:
    """Handles (custom domains included) a bio mentions as ``@handle`` or a bsky.app link."""
    if not text:
        return []
    found: list[str] = []
    for mention, link in _BSKY_MENTION.findall(text):
        handle = (mention or link).lower().rstrip(".")
        tld = handle.rsplit(".", 1)[-1]
        if tld in _NOT_DOMAIN_TLDS or tld.isdigit() or handle in _NOT_FEDIVERSE:
            continue
        if handle not in found:
            found.append(handle)
    return found


def bridgy_bluesky_handle(acct: str) -> str | None:
    """The Bluesky handle Bridgy Fed gives a fediverse account, or None when it cannot bridge."""
    user, _, host = acct.lstrip("@").partition("@")
    if not user or not host or user[0] in "_-~" or user[-1] in "_-~":
        return None
    label = user.replace("_", "-").replace("~", "-").lower()
    if not _LABEL.match(label):
        return None
    return f"{label}.{host.lower()}{BRIDGY_AP_SUFFIX}"


def bridgy_mastodon_acct(handle: str) -> str:
    """The fediverse acct Bridgy Fed gives a Bluesky handle."""
    return f"{handle.lower()}@{BRIDGY_BSKY_DOMAIN}"


def bridged_acct_of(handle: str) -> str | None:
    """For ``user.instance.ap.brid.gy``, the original acct when unambiguous (``user@instance``)."""
    if not is_bridged(handle):
        return None
    rest = handle.lower()[: -len(BRIDGY_AP_SUFFIX)]
    user, _, host = rest.partition(".")
    return f"{user}@{host}" if user and "." in host else None


def same_acct(a: str, b: str) -> bool:
    return a.lstrip("@").lower() == b.lstrip("@").lower()
