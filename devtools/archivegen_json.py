"""X's JSON layouts (§3.4 of the spec) and fast templates for millions of records.

`dump2022` / `dump2019` reproduce X's pretty printers byte for byte. For speed, a record
shape is rendered once with sentinel values into a ``%``-template; each record is then
a single ``template % values`` (values already JSON-escaped).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any

_SENTINEL = re.compile(r"@@([a-z0-9_]+)@@")


def js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def esc(text: str) -> str:
    """A string's JSON escaping without the quotes."""
    return json.dumps(text, ensure_ascii=False)[1:-1]


def dump2022(o: Any, ind: int = 0) -> str:
    """Layout 2022 (data files, archives 2022-04 .. 2026)."""
    sp = " " * ind
    if isinstance(o, dict):
        if not o:
            return "{ }"
        body = ",\n".join(f"{sp}  {js(k)} : {dump2022(v, ind + 2)}" for k, v in o.items())
        return "{\n" + body + "\n" + sp + "}"
    if isinstance(o, list):
        if not o:
            return "[ ]"
        return "[\n" + ",\n".join(f"{sp}  {dump2022(v, ind + 2)}" for v in o) + "\n" + sp + "]"
    return js(o)


def dump2019(o: Any, ind: int = 0) -> str:
    """Layout 2019 (data files 2019 .. 2021-03, and manifest.js in every era)."""
    sp = " " * ind
    if isinstance(o, dict):
        if not o:
            return "{ }"
        body = ",\n".join(f"{sp}  {js(k)} : {dump2019(v, ind + 2)}" for k, v in o.items())
        return "{\n" + body + "\n" + sp + "}"
    if isinstance(o, list):
        if not o:
            return "[ ]"
        return "[ " + ", ".join(dump2019(v, ind) for v in o) + " ]"
    return js(o)


class Layout:
    """How records are joined into a file of one layout."""

    def __init__(self, style: str) -> None:
        self.style = style
        self.dump: Callable[[Any, int], str] = dump2022 if style == "2022" else dump2019
        self.indent = 2 if style == "2022" else 0
        self.open = "[\n  " if style == "2022" else "[ "
        self.sep = ",\n  " if style == "2022" else ", "
        self.close = "\n]" if style == "2022" else " ]"

    def record(self, record: Any) -> str:
        return self.dump(record, self.indent)

    def file(self, prefix: str, records: Sequence[Any]) -> str:
        if not records:
            return prefix + "[ ]"
        return prefix + self.open + self.sep.join(self.record(r) for r in records) + self.close


class Sentinels(dict[str, str]):
    """A mapping that answers ``@@key@@`` for any key (to render templates)."""

    def __missing__(self, key: str) -> str:
        return f"@@{key}@@"


def make_template(rendered: str) -> str:
    """Turn a record rendered with `Sentinels` into a ``%(key)s`` template."""
    return _SENTINEL.sub(r"%(\1)s", rendered.replace("%", "%%"))


class TemplateCache:
    """Templates by shape: ``build(shape, values)`` returns the record dict."""

    def __init__(self, layout: Layout, build: Callable[[Any, dict[str, str]], Any]) -> None:
        self.layout = layout
        self.build = build
        self._cache: dict[Any, str] = {}

    def render(self, shape: Any, values: dict[str, str]) -> str:
        template = self._cache.get(shape)
        if template is None:
            template = make_template(self.layout.record(self.build(shape, Sentinels())))
            self._cache[shape] = template
        return template % values
