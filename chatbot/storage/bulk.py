"""Millions of ids joined in the database: one parameter per chunk, never one per id.

`id_table` is a table-valued function a query joins on its ``value`` column, fed a chunk
of a packed id array by `id_param`: ``json_each(?)`` over a JSON array on SQLite,
``unnest(CAST(? AS BIGINT[]))`` over an array literal on PostgreSQL. Either is one
parameter however many ids it holds, read by the database's own C code; the planner
then probes the table's index for each id (2,200,000 ids against 1,000,000 rows in
about a second on either database, see bench/README.md, "Scale").
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import orjson
from sqlalchemy import ARRAY, BigInteger, TableValuedAlias, Text, bindparam, cast, func

if TYPE_CHECKING:
    from chatbot.archive.idlist import Ids

CHUNK_IDS = 50_000  # ids per statement (a ~1 MB parameter; `chunks.chunks` cuts them)


def id_table(dialect: str) -> TableValuedAlias:
    """A table with one column, ``value``: the ids given as the parameter ``ids``
    (`id_param`). The statement holds no ids, so the compiled-statement cache keeps none."""
    ids = bindparam("ids", type_=Text)
    if dialect == "postgresql":
        array = cast(ids, ARRAY(BigInteger))
        return func.unnest(array).table_valued("value", name="wanted").render_derived()
    return func.json_each(ids).table_valued("value", name="wanted")


def id_param(dialect: str, ids: Ids) -> dict[str, str]:
    """The parameters of `id_table` for these ids (an int64 array, any length)."""
    listed = orjson.dumps(np.ascontiguousarray(ids, dtype=np.int64),
                          option=orjson.OPT_SERIALIZE_NUMPY).decode()  # fmt: skip
    return {"ids": "{" + listed[1:-1] + "}" if dialect == "postgresql" else listed}
