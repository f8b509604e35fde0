"""Beyond the reference: whole ranges as NumPy structured arrays (the rows of dpa's
``.npy`` files) and their exact statistics, computed by dpa's SIMD kernel on a thread
pool with the GIL released. The pools are rebuilt in a process forked after using them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _native
from ._core import PARAM_KEYS, AugmentationConfig

_MAX_ID = 2**64 - 1


def _check_id(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if not 0 <= value <= _MAX_ID:
        raise ValueError(f"{name} must be between 0 and 2**64 - 1, got {value}")
    return value


def _id_bytes(ids: Any) -> bytes:
    """``ids`` as little-endian ``u64`` bytes: any one-dimensional integer array (NumPy,
    anything exposing ``__dlpack__`` on the CPU, or anything ``np.asarray`` reads
    without Python objects: a torch tensor, an Arrow array, a buffer) is converted
    whole, without a per-element Python loop; any other sequence is read element by
    element and each element must be an int."""
    arr = None
    if not isinstance(ids, (list, tuple, range, np.ndarray)) and hasattr(ids, "__dlpack__"):
        try:
            arr = np.from_dlpack(ids)  # a tensor of any library, on the CPU: no copy
        except (TypeError, ValueError, RuntimeError, BufferError):
            arr = None
    if arr is None and not isinstance(ids, (list, tuple, range)):
        arr = np.asarray(ids)
    if arr is not None and arr.dtype == object:
        arr = None  # not a typed buffer: read element by element
    if arr is not None and arr.dtype.kind not in "iu":
        raise TypeError(f"ids must be integers, got dtype {arr.dtype}")
    if arr is None:
        arr = np.array([_check_id("ids[i]", i) for i in ids], dtype=np.uint64)
    if arr.ndim != 1:
        raise ValueError(f"ids must be one-dimensional, got shape {arr.shape}")
    if arr.dtype.kind == "i" and arr.size and arr.min() < 0:
        raise ValueError(f"ids must be non-negative, got {int(arr.min())}")
    return np.ascontiguousarray(arr, dtype="<u8").tobytes()


def _seeding(seed: int | None, epoch: int | None, rank: int | None, base_seed: int) -> Any:
    """The seeding the keyword arguments name: plain, seed/epoch, or rank-aware."""
    if seed is not None and rank is not None:
        raise ValueError("seed/epoch and rank exclude each other: pass one")
    if epoch is not None and seed is None:
        raise ValueError("epoch needs seed")
    if seed is not None:
        epoch = 0 if epoch is None else epoch
        return _native.Seeding.keyed(_check_id("seed", seed), _check_id("epoch", epoch))
    if rank is not None:
        return _native.Seeding.rank_aware(_check_id("rank", rank), _check_id("base_seed", base_seed))
    return _native.Seeding.plain()


def _threads(threads: int | None) -> int | None:
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 1024:
        raise ValueError(f"threads must be an int between 1 and 1024, got {threads!r}")
    return threads


def _config(config: Any) -> Any:
    """A config object; a dict with its fields is taken as ``AugmentationConfig(**d)``."""
    return AugmentationConfig(**config) if isinstance(config, dict) else config


def row_dtype(rank: bool = False) -> np.dtype:
    """The dtype of a row of ``params_array`` (and of dpa's ``.npy`` files): ``sample_id``
    (``<u8``), ``rank`` (``<u8``, rank-aware only), the five parameters (``<f8``),
    ``hash`` (``S64``)."""
    return np.dtype([(name, ty) for name, ty in _native.row_fields(rank)])


def params_array(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> np.ndarray:
    """The records of ``start_id .. start_id + n`` as a read-only NumPy structured array
    (``row_dtype``) that views dpa's own buffer (no copy). Seeding: plain (default),
    ``seed``/``epoch``, or rank-aware (``rank``, ``base_seed``). ``threads``: default
    every core. ``config``: an ``AugmentationConfig``, any object with its attributes,
    or a dict of its fields; bounds are floats or ints of magnitude at most 2**53."""
    start_id, n = _check_id("start_id", start_id), _check_id("n", n)
    seeding = _seeding(seed, epoch, rank, base_seed)
    return np.asarray(_native.rows(start_id, n, _config(config), seeding, threads=_threads(threads)))


def params_for_ids(
    ids: Any,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> np.ndarray:
    """The records of ``ids`` (any integer array or sequence), in that order, as
    ``params_array`` returns them."""
    raw = _id_bytes(ids)
    seeding = _seeding(seed, epoch, rank, base_seed)
    return np.asarray(_native.rows_for_ids(raw, _config(config), seeding, threads=_threads(threads)))


def statistics_array(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> dict[str, dict[str, float]]:
    """The exact statistics of ``start_id .. start_id + n`` (``compute_statistics``'
    shape and bits), without keeping the records."""
    start_id, n = _check_id("start_id", start_id), _check_id("n", n)
    seeding = _seeding(seed, epoch, rank, base_seed)
    rows = _native.statistics((start_id, n), _config(config), seeding, threads=_threads(threads))
    return {
        key: {"mean": m, "stdev": s, "min": lo, "max": hi, "count": c}
        for key, (m, s, lo, hi, c) in zip(PARAM_KEYS, rows)
    }
