"""Alembic environment: runs on the connection handed over by `Database.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from chatbot.storage.schema import metadata

connection = context.config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:  # the alembic command line: a synchronous URL from alembic.ini or -x url=...
    url = context.get_x_argument(as_dictionary=True).get("url") or context.config.get_main_option(
        "sqlalchemy.url"
    )
    engine = create_engine(str(url))
    with engine.begin() as conn:
        _run(conn)
