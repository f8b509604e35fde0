"""Beyond the reference: whole ranges (or lists of ids) as Apache Arrow tables, lent
through the Arrow PyCapsule interface (``__arrow_c_stream__``, ``__arrow_c_array__``,
``__arrow_c_schema__``). ``pa.table(t)``, ``pl.DataFrame(t)``, ``duckdb.sql("FROM t")``
and any other Arrow consumer import dpa's columns without a copy. pyarrow is not
needed to build one.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from ._arrays import _check_id, _config, _id_bytes, _seeding, _threads


class ParamsTable:
    """Records as Arrow columns: ``sample_id`` (uint64), ``rank`` (uint64, rank-aware
    only), ``rotation`` .. ``contrast`` (float64), ``hash`` (fixed_size_binary(32), the
    digest's bytes: ``.hex()`` gives the 64-character text). Read it with any Arrow
    consumer: ``pa.table(t)``, ``pl.DataFrame(t)``, ``duckdb.sql("SELECT * FROM t")``.
    Pickles (by recomputing it from its arguments)."""

    __slots__ = ("_table", "_call")

    def __init__(self, table: Any, call: tuple) -> None:
        self._table = table
        self._call = call

    def __len__(self) -> int:
        return len(self._table)

    @property
    def num_rows(self) -> int:
        """The rows held."""
        return len(self._table)

    @property
    def column_names(self) -> list[str]:
        """The column names, in order."""
        return self._table.column_names

    def __arrow_c_schema__(self) -> Any:
        return self._table.__arrow_c_schema__()

    def __arrow_c_array__(self, requested_schema: Any = None) -> tuple[Any, Any]:
        return self._table.__arrow_c_array__(requested_schema)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        return self._table.__arrow_c_stream__(requested_schema)

    def buffer_address(self, column: str) -> int:
        """The address of ``column``'s values, the buffer every consumer shares."""
        return self._table.buffer_address(column)

    def __reduce__(self) -> tuple:
        return (_rebuild, self._call)

    def __repr__(self) -> str:
        return f"<dpa_rs.ParamsTable: {len(self)} rows, columns {', '.join(self.column_names)}>"


def _rebuild(kind: str, what: Any, config: Any, keywords: dict) -> ParamsTable:
    if kind == "range":
        return params_table(what[0], what[1], config, **keywords)
    return table_for_ids(what, config, **keywords)


def params_table(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> ParamsTable:
    """The records of ``start_id .. start_id + n`` as an Arrow table (``ParamsTable``),
    computed on ``threads`` threads (default every core) outside the GIL; the same
    seeding and config arguments as ``params_array``, the same bits."""
    start_id, n = _check_id("start_id", start_id), _check_id("n", n)
    seeding = _seeding(seed, epoch, rank, base_seed)
    keywords = dict(seed=seed, epoch=epoch, rank=rank, base_seed=base_seed, threads=threads)
    table = _native.table_rows(start_id, n, _config(config), seeding, threads=_threads(threads))
    return ParamsTable(table, ("range", (start_id, n), config, keywords))


def table_for_ids(
    ids: Any,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> ParamsTable:
    """The records of ``ids`` (any integer array, buffer or sequence), in that order, as
    ``params_table`` returns them."""
    raw = _id_bytes(ids)
    seeding = _seeding(seed, epoch, rank, base_seed)
    keywords = dict(seed=seed, epoch=epoch, rank=rank, base_seed=base_seed, threads=threads)
    table = _native.table_for_ids(raw, _config(config), seeding, threads=_threads(threads))
    return ParamsTable(table, ("ids", np.frombuffer(raw, dtype="<u8").copy(), config, keywords))
