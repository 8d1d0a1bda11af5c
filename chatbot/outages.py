"""Errors of the infrastructure (the database, Redis), as opposed to errors of a request.

They mean "try again soon": a job is not marked failed for them, and a user gets a short
"I'm having trouble, nothing was lost" instead of an error reference.
"""

from __future__ import annotations

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from sqlalchemy.exc import DBAPIError, OperationalError

OUTAGES: tuple[type[BaseException], ...] = (
    OperationalError,
    DBAPIError,
    RedisConnectionError,
    RedisTimeoutError,
    ConnectionError,
)
