"""The X archive reader: summary, follow lists, handle hints, lazy tweets for import.

Public API: `read_archive`, `merge_archives`, `open_archive` / `ArchiveSource`, the
`ParsedArchive` model and `ArchiveError` (its ``code`` names the locale key
``archive.error.<code>``).
"""

from chatbot.archive.merge import merge_archives
from chatbot.archive.model import ArchiveError, Counts, Owner, ParsedArchive, Profile
from chatbot.archive.reader import read_archive
from chatbot.archive.source import ArchiveSource, open_archive
from chatbot.archive.tweets import Tweet, TweetMedia

__all__ = [
    "ArchiveError",
    "ArchiveSource",
    "Counts",
    "Owner",
    "ParsedArchive",
    "Profile",
    "Tweet",
    "TweetMedia",
    "merge_archives",
    "open_archive",
    "read_archive",
]
