"""Beyond the reference: exact statistics in parts. Compute a part per range — on
other threads, processes, Dask workers or Ray tasks — and merge them: the result is
bit for bit ``statistics_array`` (and ``compute_statistics``) of the union, in any
order. A part holds dpa's exact sums, not rounded means, so nothing is lost between.
"""

from __future__ import annotations

from typing import Any, Iterable

from . import _native
from ._arrays import _check_id, _config, _seeding, _threads
from ._core import PARAM_KEYS


class StatisticsPart:
    """The exact statistics state of some records (``statistics_part``). Parts merge
    with ``+`` or ``merge_statistics``; ``finish()`` gives ``compute_statistics``'
    dict. Pickles as its bytes (``bytes(part)``; ``StatisticsPart(data)`` reads them
    back, checked)."""

    __slots__ = ("_state",)

    def __init__(self, state: bytes) -> None:
        state = bytes(state)
        _native.state_summaries(state)  # refuses bytes that are not a part's state
        self._state = state

    def __bytes__(self) -> bytes:
        return self._state

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        return (StatisticsPart, (self._state,))

    def __add__(self, other: StatisticsPart) -> StatisticsPart:
        if not isinstance(other, StatisticsPart):
            return NotImplemented
        return StatisticsPart(_native.merge_states([self._state, other._state]))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StatisticsPart) and self._state == other._state

    def __hash__(self) -> int:
        return hash(self._state)

    @property
    def count(self) -> int:
        """The records counted."""
        return int(_native.state_summaries(self._state)[0][4])

    def finish(self) -> dict[str, dict[str, float]]:
        """The statistics: ``compute_statistics``' shape and bits."""
        return _summaries(_native.state_summaries(self._state))

    def __repr__(self) -> str:
        return f"<dpa_rs.StatisticsPart of {self.count} records>"


def _summaries(rows: list[tuple[float, float, float, float, int]]) -> dict[str, dict[str, float]]:
    return {
        key: {"mean": m, "stdev": s, "min": lo, "max": hi, "count": c}
        for key, (m, s, lo, hi, c) in zip(PARAM_KEYS, rows)
    }


def statistics_part(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> StatisticsPart:
    """The exact statistics state of ``start_id .. start_id + n`` (``params_array``'s
    arguments), without keeping the records."""
    start_id, n = _check_id("start_id", start_id), _check_id("n", n)
    seeding = _seeding(seed, epoch, rank, base_seed)
    state = _native.statistics_state((start_id, n), _config(config), seeding, threads=_threads(threads))
    return StatisticsPart(state)


def merge_statistics(parts: Iterable[StatisticsPart]) -> dict[str, dict[str, float]]:
    """The statistics of the union of ``parts``' records, bit for bit one pass over
    them (``statistics_array`` of the whole range), whatever the order or the split."""
    states = []
    for i, p in enumerate(parts):
        if not isinstance(p, StatisticsPart):
            raise TypeError(f"parts[{i}] must be a StatisticsPart, got {type(p).__name__}")
        states.append(p._state)
    return _summaries(_native.state_summaries(_native.merge_states(states)))
