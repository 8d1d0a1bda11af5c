"""Storage: SQLite by default, PostgreSQL through DATABASE_URL; one schema, Alembic migrations.

Only parsed facts are stored (ids, hints, counts), never a raw archive.
"""

from chatbot.storage.db import Database

__all__ = ["Database"]
