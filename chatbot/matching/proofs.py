"""Proving the two sides of a directory link when a user links an account through the bot.

* `make_code`: a short code the bot gives the user, to put in a bio or to post on X.
* `code_in_profile`: the new account side (the code in its bio or display name).
* `check_x_post`: the X side, through X's public oEmbed endpoint: the post exists, its
  text contains the code, and its author's screen name is one that users' archives
  associate with the claimed X id.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Literal

from chatbot.matching.model import Observations
from chatbot.matching.spoofing import MIN_OBSERVERS, archive_agreement
from chatbot.networks.types import BlueskyProfile, MastodonAccount, XOembed

_AUTHOR = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/([A-Za-z0-9_]{1,15})/?$", re.IGNORECASE
)
_STATUS = re.compile(
    r"^https?://(?:www\.|mobile\.)?(?:twitter|x)\.com/[A-Za-z0-9_]{1,15}/status(?:es)?/\d+",
    re.IGNORECASE,
)

XPostOutcome = Literal[
    "ok", "bad_url", "not_found", "code_missing", "name_not_observed", "name_contradicted"
]


def make_code() -> str:
    """A code hard to guess and easy to type: ``xb-`` and 10 base32 characters."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"
    return "xb-" + "".join(secrets.choice(alphabet) for _ in range(10))


def _contains_code(text: str | None, code: str) -> bool:
    return bool(text) and code.lower() in (text or "").lower()


def code_in_profile(profile: BlueskyProfile | MastodonAccount, code: str) -> bool:
    """The new-account proof: the code appears in the bio or the display name."""
    if isinstance(profile, BlueskyProfile):
        texts = (profile.description, profile.display_name)
    else:
        texts = (profile.note, profile.display_name)
    return any(_contains_code(text, code) for text in texts)


def screen_name_of(author_url: str) -> str | None:
    match = _AUTHOR.match(author_url.strip())
    return match.group(1) if match else None


@dataclass(frozen=True)
class XPostCheck:
    outcome: XPostOutcome
    screen_name: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


async def check_x_post(
    oembed: XOembed,
    url: str,
    *,
    code: str,
    x_id: int,
    observations: Observations,
    min_observers: int = MIN_OBSERVERS,
) -> XPostCheck:
    """Check the X side of a link: `url` must be a post by X account `x_id` containing `code`."""
    if not _STATUS.match(url.strip()):
        return XPostCheck("bad_url")
    post = await oembed.post(url.strip())
    if post is None:
        return XPostCheck("not_found")
    name = screen_name_of(post.author_url)
    if name is None:
        return XPostCheck("not_found")
    if not _contains_code(post.text, code):
        return XPostCheck("code_missing", name)
    agreement = archive_agreement(x_id, name, observations, min_observers=min_observers)
    if agreement == "contradicted":
        return XPostCheck("name_contradicted", name)
    if agreement != "corroborated":
        return XPostCheck("name_not_observed", name)
    return XPostCheck("ok", name)
