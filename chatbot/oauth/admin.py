"""`chatbot oauth-keys list|rotate|prune`: the operator's view of the bot's client keys.

``rotate`` makes a new signing key for new sessions; existing sessions stay bound to the
key they started with (authorization servers require it), so the old key stays published
until ``prune`` finds no stored session bound to it and deletes it. Run ``prune`` from
time to time after a rotation (sessions move off old keys as users reconnect or expire).
"""

from __future__ import annotations

from typing import TextIO

from chatbot.config import Settings
from chatbot.oauth.keys import ClientKeyStore
from chatbot.oauth.tokens import keys_in_use


async def run_keys(settings: Settings, action: str, out: TextIO) -> int:
    from chatbot.services import Services

    services = await Services.start(settings, processes=False)
    try:
        store = ClientKeyStore(services.db, services.secrets)
        if action == "rotate":
            key = await store.rotate()
            out.write(f"new signing key {key.kid}; older keys stay published while in use\n")
        elif action == "prune":
            gone = await store.prune(await keys_in_use(services))
            out.write(f"deleted {len(gone)} retired key(s) no session uses: {' '.join(gone)}\n")
        in_use = await keys_in_use(services)
        for key in await store.all():
            state = "retired" if key.retired_at else "active"
            used = "in use" if key.kid in in_use else "unused"
            out.write(f"{key.kid}  {state:7}  {used:6}  created {key.created_at:%Y-%m-%d}\n")
    finally:
        await services.close()
    return 0
