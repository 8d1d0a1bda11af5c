"""Long lists in chunks of bound parameters (SQLite allows 32,766 per statement)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

CHUNK = 5000  # bound parameters per IN (...) query


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
