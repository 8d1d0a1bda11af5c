"""The matching engine: finding X contacts on Bluesky and Mastodon, with evidence.

`match_archive` is the entry point; `model` holds the data, `contacts` an archive's ids
packed for bulk lookups, `scoring` the tier rules, `spoofing` the anti-spoofing rules for
directory links, `proofs` the checks made when a user links an account, `candidates`
the network lookups, `present` the rendering.
"""

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
