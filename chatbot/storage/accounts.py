"""Connected accounts and Mastodon apps. Secrets go in and out encrypted by the `SecretBox`:
the database never holds a session, a token or a client secret in clear.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, insert, select, update

from chatbot.secrets import SecretBox
from chatbot.storage.db import Database
from chatbot.storage.schema import connected_accounts, mastodon_apps

NETWORKS = ("bluesky", "mastodon")


@dataclass(frozen=True)
class ConnectedAccount:
    user_id: int
    network: str  # bluesky | mastodon
    handle: str  # Bluesky handle, or Mastodon acct (user@instance)
    did: str | None
    service_url: str  # the PDS, or the instance
    secret: str  # decrypted: the atproto session string, or the Mastodon access token
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True)
class MastodonApp:
    instance_url: str
    client_id: str
    client_secret: str
    pkce: bool
    scopes: str = ""  # registered with, space-separated; "" when not recorded (before 0012)


class AccountStore:
    def __init__(self, db: Database, box: SecretBox) -> None:
        self.db = db
        self.box = box

    async def save(
        self,
        user_id: int,
        network: str,
        *,
        handle: str,
        service_url: str,
        secret: str,
        did: str | None = None,
    ) -> None:
        """Connect (or reconnect) the user's account on `network`, replacing the old one."""
        if network not in NETWORKS:
            raise ValueError(network)
        now = dt.datetime.now(dt.UTC)
        t = connected_accounts.c
        values = {
            "handle": handle,
            "did": did,
            "service_url": service_url,
            "secret": self.box.encrypt(secret.encode()),
            "updated_at": now,
        }
        async with self.db.begin() as conn:
            key = (t.user_id == user_id, t.network == network)
            done = await conn.execute(update(connected_accounts).where(*key).values(**values))
            if done.rowcount == 0:
                await conn.execute(
                    insert(connected_accounts).values(
                        user_id=user_id, network=network, created_at=now, **values
                    )
                )

    async def update_secret(self, user_id: int, network: str, secret: str) -> bool:
        """Replace the stored secret (a refreshed session); False if no longer connected."""
        t = connected_accounts.c
        query = (
            update(connected_accounts)
            .where(t.user_id == user_id, t.network == network)
            .values(secret=self.box.encrypt(secret.encode()), updated_at=dt.datetime.now(dt.UTC))
        )
        async with self.db.begin() as conn:
            return bool((await conn.execute(query)).rowcount)

    async def get(self, user_id: int, network: str) -> ConnectedAccount | None:
        """The connected account, decrypted (raises `SecretDecryptionError` on a wrong key)."""
        t = connected_accounts.c
        query = select(connected_accounts).where(t.user_id == user_id, t.network == network)
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        return ConnectedAccount(
            user_id=row.user_id,
            network=row.network,
            handle=row.handle,
            did=row.did,
            service_url=row.service_url,
            secret=self.box.decrypt(row.secret).decode(),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )

    async def of_user(self, user_id: int) -> dict[str, tuple[str, str]]:
        """network -> (handle, service URL) of the user's connected accounts (no secrets)."""
        t = connected_accounts.c
        query = select(t.network, t.handle, t.service_url).where(t.user_id == user_id)
        async with self.db.begin() as conn:
            rows = list(await conn.execute(query))
        return {row.network: (row.handle, row.service_url) for row in rows}

    async def remove(self, user_id: int, network: str) -> bool:
        t = connected_accounts.c
        query = delete(connected_accounts).where(t.user_id == user_id, t.network == network)
        async with self.db.begin() as conn:
            return bool((await conn.execute(query)).rowcount)

    # -- Mastodon apps, one per instance ----------------------------------------------------

    async def mastodon_app(self, instance_url: str) -> MastodonApp | None:
        query = select(mastodon_apps).where(mastodon_apps.c.instance_url == instance_url)
        async with self.db.begin() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None
        secret = self.box.decrypt(row.client_secret).decode()
        return MastodonApp(
            row.instance_url, row.client_id, secret, bool(row.pkce), row.scopes or ""
        )

    async def save_mastodon_app(self, app: MastodonApp) -> None:
        async with self.db.begin() as conn:
            await conn.execute(
                delete(mastodon_apps).where(mastodon_apps.c.instance_url == app.instance_url)
            )
            await conn.execute(
                insert(mastodon_apps).values(
                    instance_url=app.instance_url,
                    client_id=app.client_id,
                    client_secret=self.box.encrypt(app.client_secret.encode()),
                    pkce=app.pkce,
                    scopes=app.scopes or None,
                    created_at=dt.datetime.now(dt.UTC),
                )
            )

    async def forget_mastodon_app(self, instance_url: str) -> None:
        """Drop a cached app the instance no longer knows (it is registered again)."""
        async with self.db.begin() as conn:
            await conn.execute(
                delete(mastodon_apps).where(mastodon_apps.c.instance_url == instance_url)
            )
