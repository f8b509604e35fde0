"""dpa_rs: DPA 0.2.1's augmentation parameters, computed by dpa (Rust).

The reference's core functions keep their names, arguments, return values and errors,
and every float is the reference's bit for bit. Beyond the reference, ``params_array``,
``params_for_ids`` and ``statistics_array`` compute whole ranges as NumPy structured
arrays (the rows of dpa's ``.npy`` files) on several threads, outside the GIL.

This module only converts: every value comes from the ``dpa`` crate through
``dpa_rs._native``. See docs/PYTHON.md for the function map and the differences.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics as _statistics
import tempfile
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from . import _native

__all__ = [
    "AugmentationConfig",
    "PRESETS",
    "get_preset",
    "fib",
    "gen_augmentation_seed",
    "gen_augmentation_params",
    "compute_statistics",
    "save_augmentation_chain",
    "load_augmentation_chain",
    "stream_augmentation_chain",
    "stream_augmentation_range",
    "generate_augmentation_chain",
    "gen_distributed_augmentation_params",
    "RankAwareSeedGenerator",
    "RankRange",
    "DistributedRangeSplitter",
    "stream_distributed_augmentation_chain",
    "stream_distributed_augmentation_range",
    "params_array",
    "params_for_ids",
    "statistics_array",
    "row_dtype",
]

PARAMS = ("rotation", "brightness", "noise", "scale", "contrast")
_RANGES = tuple(p + "_range" for p in PARAMS)
_MAX_ID = 2**64 - 1


def _number(x: float) -> Any:
    """A bound as the reference writes it: an int when it is integral (-30, 0)."""
    return int(x) if float(x).is_integer() else x


# dpa's presets, with bounds held as the reference holds them.
_PRESETS = {
    name: ({n: tuple(_number(x) for x in r) for n, r in zip(_RANGES, ranges)}, depth)
    for name, ranges, depth in _native.presets()
}
# Records computed per step of a stream: a stream stays lazy, and each step is one
# call into dpa.
_STREAM_BLOCK = 1024
_PLAIN = _native.Seeding.plain()


@dataclass
class AugmentationConfig:
    """The reference's config: five ``(low, high)`` ranges and the hash-chain depth.

    Defaults are the reference's (the ``moderate`` preset). Construction checks what the
    reference checks, with its messages, then what dpa adds (finite bounds, a depth of
    at most ``dpa_rs._native.MAX_DEPTH``).
    """

    rotation_range: Tuple[float, float] = _PRESETS["moderate"][0]["rotation_range"]
    brightness_range: Tuple[float, float] = _PRESETS["moderate"][0]["brightness_range"]
    noise_range: Tuple[float, float] = _PRESETS["moderate"][0]["noise_range"]
    scale_range: Tuple[float, float] = _PRESETS["moderate"][0]["scale_range"]
    contrast_range: Tuple[float, float] = _PRESETS["moderate"][0]["contrast_range"]
    augmentation_depth: int = _PRESETS["moderate"][1]

    def __post_init__(self) -> None:
        for name in _RANGES:
            lo, hi = getattr(self, name)
            if not lo < hi:
                raise ValueError(f"{name}: lower bound must be < upper bound")
        if self.augmentation_depth < 1:
            raise ValueError("augmentation_depth must be >= 1")
        object.__setattr__(self, "_native", _native_config(self))

    def __setattr__(self, name: str, value: Any) -> None:
        # A changed field is checked again on next use.
        object.__setattr__(self, name, value)
        object.__setattr__(self, "_native", None)


# dpa's checked configs, by value: (five (lo, hi) float pairs, depth) -> _native.Config.
_CONFIGS: Dict[Any, Any] = {}


def _key(config: Any) -> Tuple[Tuple[Tuple[float, float], ...], int]:
    """The value of any config: a dpa_rs or reference AugmentationConfig, any object
    with the reference's attribute names, or a dict with its keys."""
    if isinstance(config, dict):
        get = config.__getitem__
    else:
        def get(name: str) -> Any:
            return getattr(config, name)
    try:
        ranges = tuple((float(get(n)[0]), float(get(n)[1])) for n in _RANGES)
        depth = get("augmentation_depth")
    except (KeyError, AttributeError, TypeError, IndexError) as e:
        raise TypeError(
            "config must be an AugmentationConfig, an object with its attributes, or a dict "
            f"with its keys ({', '.join(_RANGES)}, augmentation_depth): {e!r}"
        ) from None
    if isinstance(depth, bool) or not isinstance(depth, int):
        raise TypeError(f"augmentation_depth must be an int, got {type(depth).__name__}")
    return ranges, depth


def _native_config(config: Any) -> Any:
    if config is None:
        config = _DEFAULT
    elif type(config) is AugmentationConfig:
        native = config.__dict__.get("_native")
        if native is not None:
            return native
    key = _key(config)
    native = _CONFIGS.get(key)
    if native is None:
        ranges, depth = key
        if not 1 <= depth <= _native.MAX_DEPTH:
            raise ValueError(f"augmentation_depth must be between 1 and {_native.MAX_DEPTH}, got {depth}")
        native = _native.Config(list(ranges), depth)
        if len(_CONFIGS) >= 64:
            _CONFIGS.clear()
        _CONFIGS[key] = native
    return native


_DEFAULT = {**_PRESETS["moderate"][0], "augmentation_depth": _PRESETS["moderate"][1]}
_DEFAULT_NATIVE = _native_config(_DEFAULT)


PRESETS: Dict[str, AugmentationConfig] = {
    name: AugmentationConfig(**ranges, augmentation_depth=depth)
    for name, (ranges, depth) in _PRESETS.items()
}


def get_preset(name: str) -> AugmentationConfig:
    """A copy of the preset ``name``; ``ValueError`` naming the presets otherwise."""
    if name not in PRESETS:
        raise ValueError(f"Unknown preset: {name}. Available: {list(PRESETS.keys())}")
    return dataclasses.replace(PRESETS[name])


def _check_id(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    value = int(value)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    if value > _MAX_ID:
        raise ValueError(f"{name} must be at most 2**64 - 1, got {value}")
    return value


def _check_rank(rank: Any, world_size: Any) -> Tuple[int, int]:
    rank = _check_id("rank", rank)
    world_size = _check_id("world_size", world_size)
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    if rank >= world_size:
        raise ValueError(f"rank must be in [0, {world_size}), got {rank}")
    return rank, world_size


def fib(n: int) -> int:
    """The n-th Fibonacci number (fib(0) = 0, fib(1) = 1), exact."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {type(n).__name__}")
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    return int(_native.fib(n))


def gen_augmentation_seed(seed_id: int, augmentation_depth: int = 10) -> str:
    """The hash chain's final SHA-256 digest (64 lowercase hex digits) for ``seed_id``:
    the record's ``hash``, whose last 32 bits seed the Mersenne Twister."""
    seed_id = _check_id("seed_id", seed_id)
    config = {**_DEFAULT, "augmentation_depth": augmentation_depth}
    return _native_config(config).digest(seed_id, _PLAIN)


def gen_augmentation_params(seed_id: int, config: Any = None, rank: Optional[int] = None) -> dict:
    """The reference's record for ``seed_id``: ``rotation``, ``brightness``, ``noise``,
    ``scale``, ``contrast`` (floats), ``hash`` (str), and ``rank`` when one is given (it
    labels the record; it does not change the values: see
    ``gen_distributed_augmentation_params``)."""
    if type(seed_id) is not int or not 0 <= seed_id <= _MAX_ID:
        seed_id = _check_id("seed_id", seed_id)
    if config is None:
        native = _DEFAULT_NATIVE
    elif type(config) is AugmentationConfig and config._native is not None:
        native = config._native
    else:
        native = _native_config(config)
    record = native.plain(seed_id)
    if rank is not None:
        record["rank"] = rank
    return record


def compute_statistics(params_list: Sequence[dict]) -> Dict[str, Dict[str, float]]:
    """Per parameter ``mean``, ``stdev``, ``min``, ``max``, ``count``, exactly as the
    reference's ``statistics.mean`` and ``statistics.stdev`` round them. An empty list
    raises ``statistics.StatisticsError``, as the reference does."""
    if len(params_list) == 0:
        raise _statistics.StatisticsError("mean requires at least one data point")
    columns = [[float(p[name]) for p in params_list] for name in PARAMS]
    return _stats_dict(_native.column_statistics(columns))


def _stats_dict(rows: Sequence[Tuple[float, float, float, float, int]]) -> Dict[str, Dict[str, float]]:
    return {
        name: {"mean": m, "stdev": s, "min": lo, "max": hi, "count": n}
        for name, (m, s, lo, hi, n) in zip(PARAMS, rows)
    }


def _config_dict(config: Any) -> dict:
    if config is None:
        config = AugmentationConfig()
    if dataclasses.is_dataclass(config):
        return dataclasses.asdict(config)
    if isinstance(config, dict):
        return dict(config)
    return {n: getattr(config, n) for n in (*_RANGES, "augmentation_depth")}


def save_augmentation_chain(
    params_list: Sequence[dict], filepath: str, config: Any = None, include_stats: bool = True
) -> None:
    """Writes the reference's JSON file (``json.dump(..., indent=2)``): ``metadata``
    (``num_samples``, ``config``), ``augmentations`` and, with ``include_stats``,
    ``statistics``. The file appears complete or not at all (temporary file, fsync,
    rename)."""
    data = {
        "metadata": {"num_samples": len(params_list), "config": _config_dict(config)},
        "augmentations": list(params_list),
    }
    if include_stats:
        data["statistics"] = compute_statistics(params_list)
    folder = os.path.dirname(os.path.abspath(filepath))
    fd, tmp = tempfile.mkstemp(prefix=".dpa-", suffix=".partial", dir=folder)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f, indent=2)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, filepath)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_augmentation_chain(filepath: str) -> List[dict]:
    """The records of a file written by ``save_augmentation_chain`` (or the reference's
    own), in file order."""
    with open(filepath) as f:
        data = json.load(f)
    return data["augmentations"]


def _stream(
    config: Any,
    first: int,
    count: int,
    progress_callback: Optional[Callable[[int, int], Any]] = None,
    seeding: Any = None,
) -> Iterator[dict]:
    native = _native_config(config)
    seeding = _PLAIN if seeding is None else seeding
    done = 0
    while done < count:
        n = min(_STREAM_BLOCK, count - done)
        block = native.block(first + done, n, seeding)
        done += n
        if progress_callback is not None:
            progress_callback(done, count)
        yield from block


def stream_augmentation_chain(
    num_samples: int,
    config: Any = None,
    start_id: int = 0,
    chunk_size: Optional[int] = None,
    batch_config: Any = None,
    progress_callback: Optional[Callable[[int, int], Any]] = None,
    rank: Optional[int] = None,
    world_size: Optional[int] = None,
) -> Iterator[dict]:
    """Lazily yields the records of ``start_id .. start_id + num_samples``.

    With ``rank`` and ``world_size``, the reference's quirk: it yields rank ``rank``'s
    share of ``0 .. num_samples`` with rank-aware seeding and ``start_id`` as the base
    seed. ``chunk_size`` and ``batch_config`` tune the reference's internals and change
    no value; ``progress_callback(done, total)`` is called each time a block of records
    (1,024) has been computed, before they are yielded.
    """
    num_samples = _check_id("num_samples", num_samples)
    start_id = _check_id("start_id", start_id)
    if rank is not None or world_size is not None:
        rank, world_size = _check_rank(rank or 0, 1 if world_size is None else world_size)
        lo, hi = _native.split_range(num_samples, world_size, rank)
        seeding = _native.Seeding.rank_aware(rank, start_id)
        return _stream(config, lo, hi - lo, progress_callback, seeding)
    _check_id("start_id + num_samples - 1", start_id + max(num_samples, 1) - 1)
    return _stream(config, start_id, num_samples, progress_callback)


def stream_augmentation_range(
    start_id: int,
    end_id: int,
    config: Any = None,
    chunk_size: Optional[int] = None,
    batch_config: Any = None,
    progress_callback: Optional[Callable[[int, int], Any]] = None,
) -> Iterator[dict]:
    """Lazily yields the records of ``start_id .. end_id`` (end excluded)."""
    start_id, end_id = _check_id("start_id", start_id), _check_id("end_id", end_id)
    if end_id < start_id:
        raise ValueError(f"end_id ({end_id}) must be >= start_id ({start_id})")
    return _stream(config, start_id, end_id - start_id, progress_callback)


def generate_augmentation_chain(
    num_samples: int, config: Any = None, verbose: bool = False, save_path: Optional[str] = None
) -> List[dict]:
    """The records of ids ``0 .. num_samples`` as a list, saved to ``save_path`` in the
    reference's layout if given. ``verbose`` prints nothing here and changes no value."""
    num_samples = _check_id("num_samples", num_samples)
    chain = _native_config(config).block(0, num_samples, _PLAIN) if num_samples else []
    if save_path is not None:
        save_augmentation_chain(chain, save_path, config if config is not None else AugmentationConfig())
    return chain


def gen_distributed_augmentation_params(
    sample_id: int, rank: int, config: Any = None, base_seed: int = 0, world_size: int = 1
) -> dict:
    """The reference's rank-aware record: seed string ``"{base_seed}:{rank}:{sample_id}"``;
    the record carries ``rank`` after ``hash``. ``world_size`` is checked
    (``rank < world_size``) and is not part of the seed."""
    sample_id = _check_id("sample_id", sample_id)
    rank, _ = _check_rank(rank, world_size)
    base_seed = _check_id("base_seed", base_seed)
    return _native_config(config).params(sample_id, _native.Seeding.rank_aware(rank, base_seed))


class RankAwareSeedGenerator:
    """The reference's seed generator of distributed runs."""

    def __init__(self, base_seed: int = 0, world_size: int = 1) -> None:
        self.base_seed = _check_id("base_seed", base_seed)
        self.world_size = _check_rank(0, world_size)[1]

    def generate_seed(self, sample_id: int, rank: int, augmentation_depth: int = 10) -> str:
        """The hash chain's final digest for ``"{base_seed}:{rank}:{sample_id}"``."""
        sample_id = _check_id("sample_id", sample_id)
        rank, _ = _check_rank(rank, self.world_size)
        config = {**_DEFAULT, "augmentation_depth": augmentation_depth}
        seeding = _native.Seeding.rank_aware(rank, self.base_seed)
        return _native_config(config).digest(sample_id, seeding)


@dataclass(frozen=True)
class RankRange:
    """The ids ``start_id .. end_id`` (end excluded) of one rank."""

    rank: int
    start_id: int
    end_id: int

    @property
    def num_samples(self) -> int:
        return self.end_id - self.start_id


class DistributedRangeSplitter:
    """The reference's range splitting: ``total_samples`` ids over ``world_size`` ranks,
    the first ``total_samples % world_size`` ranks one more; ranks past the end get
    ``(0, 0)``."""

    def __init__(self, total_samples: int, world_size: int) -> None:
        self.total_samples = _check_id("total_samples", total_samples)
        self.world_size = _check_rank(0, world_size)[1]

    def get_rank_range(self, rank: int) -> Tuple[int, int]:
        rank, _ = _check_rank(rank, self.world_size)
        return _native.split_range(self.total_samples, self.world_size, rank)

    def get_all_ranges(self) -> List[Tuple[int, int]]:
        return [self.get_rank_range(r) for r in range(self.world_size)]

    def get_all_rank_ranges(self) -> List[RankRange]:
        return [RankRange(r, *self.get_rank_range(r)) for r in range(self.world_size)]

    def get_rank_for_sample(self, sample_id: int) -> int:
        sample_id = _check_id("sample_id", sample_id)
        rank = _native.rank_for_sample(self.total_samples, self.world_size, sample_id)
        if rank is None:
            raise ValueError(f"sample_id {sample_id} is outside [0, {self.total_samples})")
        return rank

    def validate_ranges(self) -> bool:
        """True when the ranges cover ``0 .. total_samples`` once, in rank order."""
        covered = 0
        for lo, hi in self.get_all_ranges():
            if hi == lo:
                continue
            if lo != covered:
                return False
            covered = hi
        return covered == self.total_samples


def stream_distributed_augmentation_chain(
    num_samples: int,
    rank: int,
    world_size: int,
    config: Any = None,
    base_seed: int = 0,
    chunk_size: Optional[int] = None,
    batch_config: Any = None,
    progress_callback: Optional[Callable[[int, int], Any]] = None,
) -> Iterator[dict]:
    """Lazily yields rank ``rank``'s share of ``0 .. num_samples``, rank-aware."""
    num_samples = _check_id("num_samples", num_samples)
    rank, world_size = _check_rank(rank, world_size)
    base_seed = _check_id("base_seed", base_seed)
    lo, hi = _native.split_range(num_samples, world_size, rank)
    seeding = _native.Seeding.rank_aware(rank, base_seed)
    return _stream(config, lo, hi - lo, progress_callback, seeding)


def stream_distributed_augmentation_range(
    start_id: int,
    end_id: int,
    rank: int,
    world_size: int,
    config: Any = None,
    base_seed: int = 0,
    chunk_size: Optional[int] = None,
    batch_config: Any = None,
    progress_callback: Optional[Callable[[int, int], Any]] = None,
) -> Iterator[dict]:
    """Lazily yields the records of ``start_id .. end_id`` as rank ``rank`` seeds them."""
    start_id, end_id = _check_id("start_id", start_id), _check_id("end_id", end_id)
    if end_id < start_id:
        raise ValueError(f"end_id ({end_id}) must be >= start_id ({start_id})")
    rank, _ = _check_rank(rank, world_size)
    base_seed = _check_id("base_seed", base_seed)
    seeding = _native.Seeding.rank_aware(rank, base_seed)
    return _stream(config, start_id, end_id - start_id, progress_callback, seeding)


def row_dtype(rank: bool = False) -> np.dtype:
    """The dtype of a row of ``params_array`` (and of dpa's ``.npy`` files): ``sample_id``
    (``<u8``), ``rank`` (``<u8``, rank-aware only), the five parameters (``<f8``),
    ``hash`` (``S64``)."""
    return np.dtype([(name, ty) for name, ty in _native.row_fields(rank)])


def _seeding(seed: Optional[int], epoch: Optional[int], rank: Optional[int], base_seed: int) -> Any:
    """The seeding the keyword arguments of the array functions name."""
    if seed is not None and rank is not None:
        raise ValueError("seed/epoch and rank exclude each other: pass one")
    if epoch is not None and seed is None:
        raise ValueError("epoch needs seed")
    if seed is not None:
        epoch = 0 if epoch is None else epoch
        return _native.Seeding.keyed(_check_id("seed", seed), _check_id("epoch", epoch))
    if rank is not None:
        return _native.Seeding.rank_aware(_check_id("rank", rank), _check_id("base_seed", base_seed))
    return _PLAIN


def _threads(threads: Optional[int]) -> Optional[int]:
    if threads is None:
        return None
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= 1024:
        raise ValueError(f"threads must be an int between 1 and 1024, got {threads!r}")
    return threads


def params_array(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: Optional[int] = None,
    epoch: Optional[int] = None,
    rank: Optional[int] = None,
    base_seed: int = 0,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The records of ``start_id .. start_id + n`` as a NumPy structured array
    (``row_dtype``), computed by dpa's SIMD kernel on ``threads`` threads (default: every
    core) with the GIL released. Seeding: plain (default), ``seed``/``epoch``, or
    rank-aware (``rank``, ``base_seed``). The array is read-only and views dpa's own
    buffer (no copy; nothing else of its size is allocated); ``.copy()`` gives a
    writable one."""
    start_id, n = _check_id("start_id", start_id), _check_id("n", n)
    seeding = _seeding(seed, epoch, rank, base_seed)
    rows = _native_config(config).rows(start_id, n, seeding, threads=_threads(threads))
    return np.asarray(rows)


def params_for_ids(
    ids: Any,
    config: Any = None,
    *,
    seed: Optional[int] = None,
    epoch: Optional[int] = None,
    rank: Optional[int] = None,
    base_seed: int = 0,
    threads: Optional[int] = None,
) -> np.ndarray:
    """The records of ``ids`` (any integer array or sequence), in that order, as
    ``params_array`` returns them."""
    if isinstance(ids, np.ndarray):
        arr = ids
        if arr.ndim != 1:
            raise ValueError(f"ids must be one-dimensional, got shape {arr.shape}")
        if arr.dtype.kind not in "iu":
            raise TypeError(f"ids must be integers, got dtype {arr.dtype}")
        if arr.dtype.kind == "i" and arr.size and arr.min() < 0:
            raise ValueError(f"ids must be non-negative, got {int(arr.min())}")
    else:
        arr = np.array([_check_id("ids[i]", i) for i in ids], dtype=np.uint64)
    raw = np.ascontiguousarray(arr, dtype="<u8").tobytes()
    seeding = _seeding(seed, epoch, rank, base_seed)
    rows = _native_config(config).rows_for_ids(raw, seeding, threads=_threads(threads))
    return np.asarray(rows)


def statistics_array(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: Optional[int] = None,
    epoch: Optional[int] = None,
    rank: Optional[int] = None,
    base_seed: int = 0,
    threads: Optional[int] = None,
) -> Dict[str, Dict[str, float]]:
    """The exact statistics of ``start_id .. start_id + n`` (``compute_statistics``'s
    shape and bits), without keeping the records."""
    start_id, n = _check_id("start_id", start_id), _check_id("n", n)
    seeding = _seeding(seed, epoch, rank, base_seed)
    rows = _native_config(config).statistics(start_id, n, seeding, threads=_threads(threads))
    return _stats_dict(rows)
