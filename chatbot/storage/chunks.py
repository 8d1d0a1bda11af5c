"""Long lists in chunks: bound parameters (SQLite allows 32,766 per statement), or
packed id arrays joined in bulk (`chatbot.storage.bulk`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol, TypeVar

CHUNK = 5000  # bound parameters per IN (...) query


class Sliceable(Protocol):
    def __len__(self) -> int: ...
    def __getitem__(self, index: slice, /) -> Any: ...


S = TypeVar("S", bound=Sliceable)


def chunks(values: S, size: int = CHUNK) -> Iterator[S]:
    """`values` cut in slices of `size` (a list, a sequence or a numpy array)."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
