"""Putting a profile back as it was before `/profile` copied over it: pure builders."""

from __future__ import annotations

from typing import Any

from chatbot.undo.store import Backup

BLUESKY_KEYS = {"name": "displayName", "bio": "description", "avatar": "avatar",
                "banner": "banner"}  # fmt: skip


def restorable(backup: Backup) -> list[str]:
    """The fields the copy changed that can be put back."""
    lost = set(backup.fields.get("unrestorable") or ())
    return [f for f in backup.fields.get("changed") or () if f in BLUESKY_KEYS and f not in lost]


def bluesky_record(
    current: dict[str, Any], backup: Backup, blobs: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    """The profile record with the changed fields put back (`blobs`: the pictures
    uploaded again); a field the profile did not have before is removed."""
    record = dict(current)
    for name in restorable(backup):
        key = BLUESKY_KEYS[name]
        value: Any = blobs.get(name) if name in ("avatar", "banner") else backup.fields.get(name)
        if value is None:
            record.pop(key, None)
        else:
            record[key] = value
    return record


def picture(backup: Backup, name: str) -> tuple[bytes, str] | None:
    """The kept bytes of a picture and their MIME type."""
    data = backup.avatar if name == "avatar" else backup.banner
    if not data:
        return None
    return data, str(backup.fields.get(f"{name}_mime") or "image/jpeg")


def mastodon_changes(backup: Backup) -> tuple[dict[str, Any], list[str]]:
    """update_credentials arguments, and the pictures to reset to the server's default."""
    changes: dict[str, Any] = {}
    cleared: list[str] = []
    for name in restorable(backup):
        if name == "name":
            changes["display_name"] = backup.fields.get("name") or ""
        elif name == "bio":
            changes["note"] = backup.fields.get("bio") or ""
        else:
            param = "avatar" if name == "avatar" else "header"
            kept = picture(backup, name)
            if kept is not None:
                changes[param], changes[f"{param}_mime_type"] = kept
            elif backup.fields.get(f"{name}_default"):
                cleared.append(param)
    return changes, cleared
