"""Organisations (issue 6): a group chat where an organisation's people migrate together.

The group sees aggregates only (members joined, members moved, follows re-created, the
share of the organisation's X audience found); each member's data stays in their private
chat. `store` keeps the organisations, members, roster and daily snapshots; `publish`
feeds the roster to the matching directory; `progress` counts; `chart` draws; `roster_csv`
reads an admin's CSV; `artefacts` builds the shared outputs; `loop` posts the weekly digest
and purges removed organisations.
"""

from chatbot.orgs.store import Member, Organisation, OrgStore, RosterRow, Snapshot

__all__ = ["Member", "OrgStore", "Organisation", "RosterRow", "Snapshot"]
