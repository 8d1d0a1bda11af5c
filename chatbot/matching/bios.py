"""What a Bluesky or Mastodon bio says about an X account, as people write it. Pure.

A bio *claims* an X account when it links it (``x.com/name``, ``twitter.com/name``,
``mobile.twitter.com/#!/name``, Nitter and other X front-ends) or names it as its own
("formerly @name on X", "ex-@name", "@name (Twitter)", "X/Twitter → @name",
"anciennement @name sur Twitter", "ex-Twitter : name", "Twitter: @name").

It *disclaims* it when the same words come with a negation: fan, parody, unofficial,
mirror, not affiliated, tribute, "compte fan", "parodie", "non officiel", "miroir",
"pas affilié", a bot or an archive relaying someone's posts. A disclaimed name is
evidence AGAINST the account being that person (the matching never proposes it).

Some markers describe the whole account ("Parody account", "compte fan", "unofficial")
and disclaim every name in the bio; others ("fan of", "bot", "archive", "not affiliated")
only the names of their own sentence, so that "Football fan. Formerly @bob on X." still
claims @bob. The text is untrusted: it is clipped, stripped of invisible characters and
NFKC-normalised (``𝕏`` is ``X``, full-width letters are letters) before it is read, so
that a zero-width space cannot hide "parody" from the rules.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import regex  # type: ignore[import-untyped]

BIO_LIMIT = 3000  # characters read from one bio (Bluesky allows 256 graphemes, Mastodon 500)

_INVISIBLE = regex.compile(r"[\p{Cc}\p{Cf}\p{Cs}\u115f\u1160\u3164\uffa0]")
_NAME = r"([A-Za-z0-9_]{1,15})"
_NAME_END = r"(?![A-Za-z0-9_@]|\.[A-Za-z0-9])"  # not a longer name, an e-mail or a domain
_NAME_AT = rf"@{_NAME}{_NAME_END}"
_X = r"(?:twitter|x|birdsite|la\s+plateforme\s+x)"
_XS = rf"(?:{_X}(?:\s*/\s*{_X})?|{_X}\s*\(\s*(?:ex-?\s*)?{_X}\s*\))"  # X/Twitter, X (ex-Twitter)
_ARROW = r"(?:[:：=|»>→➡⇒-]|->|=>)"
_X_RESERVED = frozenset(
    {"i", "intent", "home", "share", "search", "hashtag", "explore", "settings", "messages",
     "login", "signup", "tos", "privacy", "notifications", "compose"}
)  # fmt: skip

_LINK = re.compile(
    r"(?<![\w.-])(?:https?://)?(?:www\.|mobile\.|m\.)?"
    r"(?:twitter\.com|x\.com|nitter\.[a-z0-9.-]+|xcancel\.com|fxtwitter\.com|vxtwitter\.com"
    r"|fixupx\.com|fixvx\.com|twstalker\.com)"
    rf"/(?:#!/)?@?{_NAME}(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
_INTENT = re.compile(
    rf"(?:twitter|x)\.com/intent/(?:user|follow)\?screen_name={_NAME}(?![A-Za-z0-9_])",
    re.IGNORECASE,
)
_PATTERNS = tuple(
    re.compile(p, re.IGNORECASE)
    for p in (
        # "Twitter: @name", "X/Twitter → @name", "X @name", "ex-Twitter : name",
        # "X (ex-Twitter) : name"
        rf"(?<![\w@]){_XS}\s*{_ARROW}?\s*@{_NAME}{_NAME_END}",
        rf"(?<![\w@])(?:(?:ex|anciennement|formerly|former|previously|old)[\s-]*)?{_XS}\s*"
        rf"{_ARROW}+\s*@?{_NAME}{_NAME_END}",
        # "@name on X/Twitter", "@name sur Twitter", "@name chez X", "@name @ twitter"
        rf"@{_NAME}\s+(?:on|sur|chez|at|@|via)\s+(?:the\s+bird\s*site|{_XS}){_NAME_END}",
        # "@name (Twitter)", "@name [X]", "@name (ex-Twitter)", "@name (on X)"
        rf"@{_NAME}\s*[(\[]\s*(?:on\s+|sur\s+|ex-?\s*)?{_XS}\s*[)\]]",
        # "formerly @name", "ex-@name", "anciennement @name", "previously @name", "aka @name"
        rf"(?<!\w)(?:formerly|previously|ex|anciennement|auparavant|ancien)"
        rf"\s*[-:]?\s*@{_NAME}{_NAME_END}",
    )
)
# markers that describe the whole account: every name in the bio is disclaimed
_ACCOUNT_NEGATION = re.compile(
    r"\b(?:parod(?:y|ie|ique)s?|fan\s*(?:account|page|club|site|acc)|fanpage|fanclub"
    r"|compte\s+(?:de\s+)?fans?|compte\s+parodique|unofficial|non[\s-]?officiel(?:le)?"
    r"|pas\s+officiel(?:le)?|not\s+official|inofficiel(?:le)?|mirror\s+account"
    r"|compte\s+miroir|satir(?:e|ique|ical)|impersonation\s+account|role\s*play|rp"
    r"|not\s+the\s+real|pas\s+le\s+vrai|pas\s+la\s+vraie|fake\s+account|faux\s+compte"
    r"|unaffiliated|non\s+affili[ée]e?s?)\b",
    re.IGNORECASE,
)
# markers that disclaim the names of their own sentence only
_SENTENCE_NEGATION = re.compile(
    r"\b(?:fans?|not\s+affiliated|not\s+associated|pas\s+affili[ée]e?|sans\s+lien"
    r"|no\s+affiliation|not\s+(?:run|operated|managed)\s+by|bots?|automated|automatique"
    r"|archives?|reposts?|reposting|relais|relaie|relaying|crossposts?|cross-?posting"
    r"|mirror(?:s|ed|ing)?|miroir|tribute|hommage|reupload\w*|updates?\s+(?:about|from|on)"
    r"|news\s+about|actus?\s+(?:de|sur)|not\s+@|pas\s+@|isn'?t\s+@|n'?est\s+pas)(?!\w)",
    re.IGNORECASE,
)
_MENTION = re.compile(rf"(?<![\w@]){_NAME_AT}")
_SENTENCES = re.compile(r"[.!?…](?=\s|$)|[;|•·]|\s[-–—]\s")
_BLANKS = re.compile(r"\s+")
_REPEATS = re.compile(r"([^\w\s])\1{2,}")
_LINE_BREAKS = re.compile(r"[\r\n\v\f\u0085\u2028\u2029]+")


@dataclass(frozen=True)
class BioEvidence:
    """Lower-cased X names a bio claims as its own, and those it disclaims."""

    claims: frozenset[str] = frozenset()
    disclaims: frozenset[str] = frozenset()

    def __or__(self, other: BioEvidence) -> BioEvidence:
        return BioEvidence(self.claims | other.claims, self.disclaims | other.disclaims)


NOTHING = BioEvidence()


def normalise(text: str) -> str:
    """The bio as the rules read it: clipped, without invisible characters, NFKC."""
    text = unicodedata.normalize("NFKC", text[:BIO_LIMIT])
    text = _LINE_BREAKS.sub(" | ", text)  # a line ends a sentence
    text = str(_INVISIBLE.sub("", text))
    # runs of blanks or of one punctuation sign collapsed: the rules' optional separators
    # then never backtrack over long runs (a hostile bio of 3,000 spaces is read at once)
    return _REPEATS.sub(r"\1\1", _BLANKS.sub(" ", text))


def names_in(text: str) -> set[str]:
    """Every lower-cased X name the text links or names as an X account."""
    found = {m.lower() for m in _LINK.findall(text)} | {m.lower() for m in _INTENT.findall(text)}
    for pattern in _PATTERNS:
        found.update(m.lower() for m in pattern.findall(text))
    return found - _X_RESERVED


def _disclaimed_in(text: str) -> set[str]:
    """In a negated scope, a bare ``@name`` counts too ("compte fan de @name")."""
    return names_in(text) | ({m.lower() for m in _MENTION.findall(text)} - _X_RESERVED)


@lru_cache(maxsize=4096)  # one profile is scored against each X id it was found for
def read_bio(text: str | None) -> BioEvidence:
    """The X names `text` claims and disclaims (a name both claimed and disclaimed is only
    disclaimed: "parody of @alice, the real one is @alice on X")."""
    if not text:
        return NOTHING
    clean = normalise(text)
    if _ACCOUNT_NEGATION.search(clean):
        return BioEvidence(disclaims=frozenset(_disclaimed_in(clean)))
    disclaimed: set[str] = set()
    for sentence in _SENTENCES.split(clean):
        if _SENTENCE_NEGATION.search(sentence):
            disclaimed |= _disclaimed_in(sentence)
    claimed = names_in(clean) - disclaimed
    if not claimed and not disclaimed:
        return NOTHING
    return BioEvidence(frozenset(claimed), frozenset(disclaimed))
