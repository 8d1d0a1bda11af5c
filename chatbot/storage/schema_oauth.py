"""Tables of Bluesky OAuth (issue 16): the bot's client keys, the approvals in progress and
the approvals waiting for their code in the chat.

The OAuth sessions themselves live in `connected_accounts` (their secret is the encrypted
token set, see `chatbot.oauth.tokens`). Every secret here is encrypted by the `SecretBox`.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    UniqueConstraint,
)

from chatbot.storage.schema_base import UTCDateTime, metadata

# The bot's ES256 keys for private_key_jwt: the newest unretired one signs new sessions;
# retired ones stay published (and usable) while a stored session is bound to them.
oauth_client_keys = Table(
    "oauth_client_keys",
    metadata,
    Column("kid", String(64), primary_key=True),
    Column("private_jwk", LargeBinary, nullable=False),  # encrypted JSON Web Key
    Column("created_at", UTCDateTime(), nullable=False),
    Column("retired_at", UTCDateTime()),
)

# One row per approval link: single use (deleted when the callback takes it), short-lived.
# The key is a hash of the `state` parameter; the payload (PKCE verifier, DPoP key, the
# authorization server, the account asked for) is encrypted.
oauth_states = Table(
    "oauth_states",
    metadata,
    Column("state_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    Index("ix_oauth_states_user_id", "user_id"),
    Index("ix_oauth_states_expires_at", "expires_at"),
)

# An approved login waiting for its one-time code in the chat that asked (one per user):
# the tokens are not a connected account until the code comes back from that chat. `id`
# is random (a replaced row never gets the old one back); the payload (the code, the
# token set, the handle) is encrypted; `attempts` counts the codes tried.
oauth_confirmations = Table(
    "oauth_confirmations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("chat_id", String(255), nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("expires_at", UTCDateTime(), nullable=False),
    UniqueConstraint("user_id"),
    Index("ix_oauth_confirmations_expires_at", "expires_at"),
)
