"""What a user types to name their Bluesky account, made into one identifier. Pure.

Accepted (field-2026 §3), after normalising: NFKC (full-width ``＠`` and letters become
ASCII), every invisible format character dropped (zero-width spaces and joiners, bidi
marks, soft hyphens: Unicode category Cf), spaces around it stripped, lower case, and a
trailing dot removed.

==================================  ===========================================
``name``                            ``name.<default suffix>`` (``completed``)
``@name``, ``name.bsky.social``,    a handle (one leading ``@`` or more dropped)
``@name.bsky.social``, a domain
``https://bsky.app/profile/X``      X, a handle or a DID (``bsky.app`` with or
                                    without scheme, ``www.`` or ``staging.``)
``at://X``                          X, a handle or a DID
``did:plc:…``, ``did:web:…``        a DID (well-formed only)
``me@example.org``                  an e-mail address: a login identifier, which
                                    cannot tell where the account lives
==================================  ===========================================

Anything else raises `BadIdentifier` with a reason the chat explains: ``bad`` (with
examples), ``fediverse`` (``@user@server``: a Mastodon address), ``bridged`` (a Bridgy
Fed handle, ``*.ap.brid.gy``: a fediverse account seen from Bluesky, not a login),
``url`` (a web address that is not a Bluesky profile).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from chatbot.networks.atproto_identity import HANDLE, valid_did

Kind = Literal["handle", "did", "email"]

MAX_INPUT = 1024  # characters looked at: a handle is at most 253, an e-mail 254
LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")
EMAIL = re.compile(r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@(?P<domain>[a-z0-9.-]{1,253})$")
PROFILE_URL = re.compile(
    r"^(?:https?://)?(?:www\.|staging\.)?bsky\.app/profile/(?P<actor>[^/?#]{1,2048})(?:[/?#].*)?$"
)
BRIDGED_SUFFIX = ".ap.brid.gy"


class BadIdentifier(Exception):
    """The text is no Bluesky identifier; `reason` names the explanation to give."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Identifier:
    kind: Kind
    value: str  # a handle, a DID or an e-mail address, normalised
    completed: bool = False  # a bare name that got the default suffix (say so)
    typed: str = ""  # the bare name, when `completed`

    @property
    def is_email(self) -> bool:
        return self.kind == "email"


def clean(text: str) -> str:
    """NFKC, no invisible format or control characters, stripped, lower case, no final dot."""
    folded = unicodedata.normalize("NFKC", text[:MAX_INPUT])
    visible = "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Cc"))
    return visible.strip().lower().rstrip(".")


def parse_identifier(text: str, *, default_suffix: str) -> Identifier:
    """The identifier `text` names; raises `BadIdentifier` (see the module doc)."""
    value = clean(text)
    if value.startswith("at://"):
        value = value.removeprefix("at://").split("/", 1)[0]
    elif (url := PROFILE_URL.match(value)) is not None:
        value = clean(unquote(url.group("actor")))
    elif "://" in value or "/" in value:
        raise BadIdentifier("url")
    elif _is_email(value):
        return Identifier("email", value)
    return _actor(value.lstrip("@"), default_suffix)


def _is_email(value: str) -> bool:
    found = EMAIL.match(value)
    return found is not None and HANDLE.match(found.group("domain")) is not None


def _actor(value: str, default_suffix: str) -> Identifier:
    """A handle, a bare name or a DID (what a profile URL may also hold)."""
    if value.startswith("did:"):
        if not valid_did(value):
            raise BadIdentifier("bad")
        return Identifier("did", value)
    if "@" in value:
        raise BadIdentifier("fediverse")  # user@server after the leading @ went
    if LABEL.match(value):
        return Identifier("handle", f"{value}.{default_suffix}", completed=True, typed=value)
    if len(value) > 253 or not HANDLE.match(value):
        raise BadIdentifier("bad")
    if value.endswith(BRIDGED_SUFFIX):
        raise BadIdentifier("bridged")
    return Identifier("handle", value)


def looks_like_identifier(text: str) -> bool:
    """Whether `text` parses as an identifier (the suffix does not matter here)."""
    try:
        parse_identifier(text, default_suffix="bsky.social")
    except BadIdentifier:
        return False
    return True
