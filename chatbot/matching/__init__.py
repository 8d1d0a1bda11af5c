"""The matching engine: finding X contacts on Bluesky and Mastodon, with evidence.

`match_archive` is the entry point; `model` holds the data, `contacts` an archive's ids
packed for bulk lookups, `scoring` the tier rules, `spoofing` the anti-spoofing rules for
directory links, `proofs` the checks made when a user links an account, `candidates`
the network lookups, `present` the rendering.

The names below load on first use (PEP 562): a module that only needs the data model
(the bot's services, the stores) does not bring the engine and numpy with it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chatbot.lazy import exports

if TYPE_CHECKING:
    from chatbot.matching.directory import DirectoryReader, MemoryDirectory, parse_directory_csv
    from chatbot.matching.engine import match_archive
    from chatbot.matching.model import DirectoryEntry, Match, Observations, Reason

__all__ = [
    "DirectoryEntry",
    "DirectoryReader",
    "Match",
    "MemoryDirectory",
    "Observations",
    "Reason",
    "match_archive",
    "parse_directory_csv",
]

__getattr__ = exports(
    __name__,
    {
        "DirectoryEntry": "model",
        "DirectoryReader": "directory",
        "Match": "model",
        "MemoryDirectory": "directory",
        "Observations": "model",
        "Reason": "model",
        "match_archive": "engine",
        "parse_directory_csv": "directory",
    },
)
