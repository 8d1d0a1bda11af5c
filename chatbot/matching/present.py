"""Matches shown to people: reasons in the user's language, JSON for the CLI, counts.

This is where strangers' text reaches another user (names from forged archives, handles and
accounts from remote servers), so every parameter goes through `chatbot.safetext` here, once:
a screen name is shown as ``@name`` only when it follows X's rule, other text is cleaned,
clipped and isolated when right-to-left. A reason with a ``count`` takes the plural form
that fits it. The JSON stays raw (the data as it is), only the texts in it are cleaned.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chatbot.i18n import Translator
from chatbot.matching.model import Match, Reason
from chatbot.safetext import display, x_screen_name

HANDLE_LIMIT = 100  # a handle or acct shown in a line (real ones are far shorter)
_NAME_PARAMS = frozenset({"name"})  # X screen names, shown as @name


def _param(name: str, value: str | int) -> str | int:
    if isinstance(value, int):
        return value
    if name in _NAME_PARAMS:
        return x_screen_name(value) or "?"
    return display(value, HANDLE_LIMIT)


def reason_text(t: Translator, reason: Reason) -> str:
    params = {name: _param(name, value) for name, value in reason.params}
    count = params.pop("count", None)
    if isinstance(count, int):
        return t.plural(reason.key, count, **params)
    return t(reason.key, **params)


def x_account(t: Translator, match: Match) -> str:
    """``@name`` when the name follows X's rule, otherwise the account's number."""
    name = x_screen_name(match.x_username)
    return f"@{name}" if name else t("match.cli.unknown_name", x_id=str(match.x_id))


def match_json(t: Translator, match: Match) -> dict[str, object]:
    """``{x_id, x_username, network, handle, did, tier, reasons}`` (reasons: code + text)."""
    return {
        "x_id": str(match.x_id),
        "x_username": match.x_username,
        "network": match.network,
        "handle": match.handle,
        "did": match.did,
        "tier": match.tier,
        "reasons": [{"code": r.code, "text": reason_text(t, r)} for r in match.reasons],
        "direction": match.direction,
        "eligible_for_auto_follow": match.eligible_for_auto_follow,
    }


def headline(t: Translator, match: Match) -> str:
    """One line that names the match: tier, network, X account, account found, direction."""
    head = t(
        "match.cli.line",
        tier=t(f"match.tier.{match.tier}"),
        network=t(f"match.network.{match.network}"),
        x_account=x_account(t, match),
        handle=display(match.handle or match.did or "?", HANDLE_LIMIT),
        direction=t(f"match.direction.{match.direction}"),
    )
    if match.eligible_for_auto_follow:
        head += f" ✓ {t('match.cli.auto')}"
    return head


def match_lines(t: Translator, match: Match) -> list[str]:
    """One headline and one indented line per reason."""
    return [headline(t, match), *(f"    · {reason_text(t, r)}" for r in match.reasons)]


def counts(matches: Iterable[Match]) -> Counter[tuple[str, str]]:
    """(network, tier) -> number of matches."""
    return Counter((m.network, m.tier) for m in matches)
