"""Matches shown to people: reasons in the user's language, JSON for the CLI, counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from chatbot.i18n import Translator
from chatbot.matching.model import Match, Reason

# params whose value is itself a message key suffix
_KEYED_PARAMS = {"source": "match.source."}


def reason_text(t: Translator, reason: Reason) -> str:
    params: dict[str, object] = {}
    for name, value in reason.params:
        prefix = _KEYED_PARAMS.get(name)
        params[name] = t(f"{prefix}{value}") if prefix else value
    return t(reason.key, **params)


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


def match_lines(t: Translator, match: Match) -> list[str]:
    """One headline and one indented line per reason."""
    name = match.x_username or t("match.cli.unknown_name", x_id=str(match.x_id))
    head = t(
        "match.cli.line",
        tier=t(f"match.tier.{match.tier}"),
        network=t(f"match.network.{match.network}"),
        x_username=name,
        handle=match.handle or match.did or "?",
        direction=t(f"match.direction.{match.direction}"),
    )
    if match.eligible_for_auto_follow:
        head += f" ✓ {t('match.cli.auto')}"
    return [head, *(f"    · {reason_text(t, r)}" for r in match.reasons)]


def counts(matches: Iterable[Match]) -> Counter[tuple[str, str]]:
    """(network, tier) -> number of matches."""
    return Counter((m.network, m.tier) for m in matches)
