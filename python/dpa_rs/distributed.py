"""DPA 0.2.1's ``src/distributed.py``, computed by dpa: rank-aware seeding, range
splitting, and the distributed streams, with the reference's names, checks, messages
and printed lines. Python's global ``random`` module is left untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any

from . import _core, _native
from ._core import AugmentationConfig


# Every public name of the reference's module, in its order.
__all__ = [
    "AugmentationConfig",
    "DistributedError",
    "InvalidRankError",
    "RangeSplittingError",
    "SeedGenerationError",
    "RankRange",
    "RankAwareSeedGenerator",
    "DistributedRangeSplitter",
    "stream_distributed_augmentation_chain",
    "stream_distributed_augmentation_range",
    "gen_distributed_augmentation_params",
]


class DistributedError(Exception):
    """Base exception for distributed training operations."""


class InvalidRankError(DistributedError):
    """Raised when rank is invalid for the given world size."""


class RangeSplittingError(DistributedError):
    """Raised when range splitting operations fail."""


class SeedGenerationError(DistributedError):
    """Raised when distributed seed generation fails."""


@dataclass
class RankRange:
    """Represents a sample range assigned to a specific rank."""

    start_id: int
    end_id: int
    rank: int
    total_samples: int


def _check_rank(rank, world_size) -> None:
    if rank < 0:
        raise ValueError("rank must be non-negative")
    if rank >= world_size:
        raise ValueError(f"rank ({rank}) must be < world_size ({world_size})")


class RankAwareSeedGenerator:
    """Deterministic seeds that incorporate the process rank: the hash chain starts
    from ``"{base_seed}:{rank}:{sample_id}"``."""

    def __init__(self, base_seed: int = 0, world_size: int = 1) -> None:
        if base_seed < 0:
            raise ValueError("base_seed must be non-negative")
        if world_size < 1:
            raise ValueError("world_size must be >= 1")
        self.base_seed = base_seed
        self.world_size = world_size

    def generate_seed(self, sample_id: int, rank: int, augmentation_depth: int = 10) -> str:
        """The SHA-256 hex digest of the rank-aware hash chain of ``sample_id``."""
        if sample_id < 0:
            raise ValueError("sample_id must be non-negative")
        _check_rank(rank, self.world_size)
        if augmentation_depth < 1:
            raise ValueError("augmentation_depth must be >= 1")
        try:
            text = f"{self.base_seed}:{rank}:{sample_id}".encode()
            return _core.chain_hex(text, augmentation_depth, wrap_steps=False)
        except Exception as e:
            raise SeedGenerationError(f"Failed to generate rank-aware seed: {e}") from e


class DistributedRangeSplitter:
    """Splits ``total_samples`` ids over ``world_size`` ranks: contiguous ranges, the
    first ``total_samples % world_size`` ranks one id more, ranks past the last id an
    empty ``(0, 0)``."""

    def __init__(self, total_samples: int, world_size: int) -> None:
        if total_samples < 0:
            raise ValueError("total_samples must be non-negative")
        if world_size < 1:
            raise ValueError("world_size must be >= 1")
        self.total_samples = total_samples
        self.world_size = world_size
        self._ranges_cache = None

    def _range(self, rank: int) -> tuple[int, int]:
        total = self.total_samples
        if total == 0 or rank >= total:
            return (0, 0)
        base, extra = total // self.world_size, total % self.world_size
        if rank < extra:
            start = rank * (base + 1)
            end = start + base + 1
        else:
            start = extra * (base + 1) + (rank - extra) * base
            end = start + base
        return (start, min(end, total))

    def get_rank_range(self, rank: int) -> tuple[int, int]:
        """``(start_id, end_id)`` of ``rank``, end exclusive."""
        _check_rank(rank, self.world_size)
        try:
            return self._range(rank)
        except Exception as e:
            raise RangeSplittingError(f"Failed to calculate range for rank {rank}: {e}") from e

    def get_all_ranges(self) -> list[tuple[int, int]]:
        """Every rank's ``(start_id, end_id)``, computed once."""
        if self._ranges_cache is None:
            try:
                self._ranges_cache = []
                for rank in range(self.world_size):
                    self._ranges_cache.append(self.get_rank_range(rank))
            except Exception as e:
                raise RangeSplittingError(f"Failed to calculate all ranges: {e}") from e
        return self._ranges_cache.copy()

    def get_all_rank_ranges(self) -> list[RankRange]:
        """Every rank's ``RankRange``."""
        try:
            out = []
            for rank in range(self.world_size):
                start_id, end_id = self.get_rank_range(rank)
                out.append(RankRange(start_id, end_id, rank, self.total_samples))
            return out
        except Exception as e:
            raise RangeSplittingError(f"Failed to create RankRange objects: {e}") from e

    def _gaps(self, ranges: list[tuple[int, int]]) -> bool:
        ranges.sort(key=lambda r: r[0])
        expected, covered = 0, 0
        for i, (start_id, end_id) in enumerate(ranges):
            if start_id == end_id:
                continue
            if start_id != expected:
                logging.error(
                    f"Range validation failed: Gap detected at range {i}. "
                    f"Expected start_id {expected}, but got {start_id}. "
                    f"Ranges: {ranges}"
                )
                return False
            if start_id >= end_id:
                logging.error(
                    f"Range validation failed: Invalid range at index {i}. "
                    f"start_id ({start_id}) >= end_id ({end_id}). "
                    f"Ranges: {ranges}"
                )
                return False
            covered += end_id - start_id
            expected = end_id
        valid = covered == self.total_samples and expected == self.total_samples
        if not valid:
            logging.error(
                f"Range validation failed: Coverage mismatch. "
                f"Total covered: {covered}, Expected: {self.total_samples}, "
                f"Final end position: {expected}. "
                f"Ranges: {ranges}"
            )
        return valid

    def validate_ranges(self) -> bool:
        """Whether the ranges cover every sample once, without gaps (failures are
        logged with ``logging.error``)."""
        try:
            ranges = self.get_all_ranges()
            if self.total_samples == 0:
                valid = all(start == 0 and end == 0 for start, end in ranges)
                if not valid:
                    logging.error(
                        f"Range validation failed: Expected all ranges to be (0,0) for zero samples, "
                        f"but got ranges: {ranges}"
                    )
                return valid
            return self._gaps(ranges)
        except Exception as e:
            logging.error(
                f"Range validation failed with exception: {e}. "
                f"total_samples: {self.total_samples}, world_size: {self.world_size}"
            )
            return False

    def get_rank_for_sample(self, sample_id: int) -> int:
        """The rank whose range holds ``sample_id``."""
        if sample_id < 0:
            raise ValueError("sample_id must be non-negative")
        if sample_id >= self.total_samples:
            raise ValueError(
                f"sample_id ({sample_id}) must be < total_samples ({self.total_samples})"
            )
        try:
            for rank in range(self.world_size):
                start_id, end_id = self.get_rank_range(rank)
                if start_id <= sample_id < end_id:
                    return rank
            raise RangeSplittingError(f"No rank found for sample_id {sample_id}")
        except Exception as e:
            if isinstance(e, RangeSplittingError):
                raise
            raise RangeSplittingError(f"Failed to find rank for sample_id {sample_id}: {e}") from e


def _rank_line(rank, sample_id, params) -> str:
    return (
        f"Rank {rank} Sample({sample_id}) -> "
        f"rotation={params['rotation']:.2f}\u00b0 "
        f"brightness={params['brightness']:.2f} "
        f"hash={params['hash'][:8]}..."
    )


def _rank_records(ids, count, rank, world_size, config, base_seed, chunk_size, verbose):
    """The records of ``ids`` as ``rank`` seeds them, single or in chunks; printed when
    there are at most 10."""
    chunk = []
    for sample_id in ids:
        try:
            params = gen_distributed_augmentation_params(
                sample_id=sample_id,
                rank=rank,
                config=config,
                base_seed=base_seed,
                world_size=world_size,
            )
            if chunk_size is not None:
                chunk.append(params)
            if verbose and count <= 10:
                print(_rank_line(rank, sample_id, params))
            if chunk_size is None:
                yield params
            elif len(chunk) == chunk_size:
                yield chunk
                chunk = []
        except Exception as e:
            raise SeedGenerationError(
                f"Failed to generate parameters for rank {rank}, sample {sample_id}: {e}"
            ) from e
    if chunk:
        yield chunk


def _check_rank_and_world(rank, world_size) -> None:
    """The reference's checks of a rank and a world size, in its order and words."""
    if rank < 0:
        raise ValueError("rank must be non-negative")
    if world_size < 1:
        raise ValueError("world_size must be >= 1")
    if rank >= world_size:
        raise ValueError(f"rank ({rank}) must be < world_size ({world_size})")


def _check_stream(rank, world_size, chunk_size) -> None:
    _check_rank_and_world(rank, world_size)
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("chunk_size must be positive")


def stream_distributed_augmentation_chain(
    num_samples: int,
    rank: int,
    world_size: int,
    config: AugmentationConfig | None = None,
    base_seed: int = 0,
    chunk_size: int | None = None,
    verbose: bool = False,
    inclusive_range: bool = True,
) -> Generator[dict[str, Any], None, None]:
    """Stream rank ``rank``'s share of ``0 .. num_samples`` (``DistributedRangeSplitter``)
    with rank-aware seeding: single dicts, or lists of ``chunk_size``. Lazy."""
    if num_samples < 0:
        raise ValueError("num_samples must be non-negative")
    _check_stream(rank, world_size, chunk_size)
    if config is None:
        config = AugmentationConfig()
    try:
        start_id, end_id = DistributedRangeSplitter(num_samples, world_size).get_rank_range(rank)
        count = end_id - start_id
        if verbose:
            print(
                f"Rank {rank}/{world_size}: processing samples {start_id}-{end_id - 1} ({count} samples)"
            )
        if count == 0:
            if verbose:
                print(f"Rank {rank}: no samples to process (empty range)")
            return
        ids = range(start_id, end_id)
        yield from _rank_records(ids, count, rank, world_size, config, base_seed, chunk_size, verbose)
        if verbose:
            print(f"Rank {rank}: completed processing {count} samples")
    except Exception as e:
        if isinstance(e, (ValueError, RangeSplittingError, SeedGenerationError)):
            raise
        raise RangeSplittingError(
            f"Failed to stream distributed augmentation chain for rank {rank}: {e}"
        ) from e


def stream_distributed_augmentation_range(
    start_id: int,
    end_id: int,
    rank: int,
    world_size: int,
    config: AugmentationConfig | None = None,
    base_seed: int = 0,
    chunk_size: int | None = None,
    verbose: bool = False,
) -> Generator[dict[str, Any], None, None]:
    """Stream the ids ``start_id .. end_id`` (end exclusive) as rank ``rank`` seeds
    them: single dicts, or lists of ``chunk_size``. Lazy."""
    if start_id < 0:
        raise ValueError("start_id must be non-negative")
    if end_id < start_id:
        raise ValueError("end_id must be >= start_id")
    _check_stream(rank, world_size, chunk_size)
    if config is None:
        config = AugmentationConfig()
    count = end_id - start_id
    if verbose:
        print(
            f"Rank {rank}/{world_size}: processing range {start_id}-{end_id - 1} ({count} samples)"
        )
    try:
        ids = range(start_id, end_id)
        yield from _rank_records(ids, count, rank, world_size, config, base_seed, chunk_size, verbose)
        if verbose:
            print(f"Rank {rank}: completed processing range {start_id}-{end_id - 1}")
    except Exception as e:
        if isinstance(e, (ValueError, SeedGenerationError)):
            raise
        raise SeedGenerationError(f"Failed to stream distributed range for rank {rank}: {e}") from e


def gen_distributed_augmentation_params(
    sample_id: int,
    rank: int,
    config: AugmentationConfig | None = None,
    base_seed: int = 0,
    world_size: int = 1,
) -> dict[str, Any]:
    """Rank-aware parameters: the record of ``gen_augmentation_params`` seeded from
    ``"{base_seed}:{rank}:{sample_id}"``, with ``rank`` after ``hash``."""
    fast = _native.fast_distributed(sample_id, rank, config, base_seed, world_size)
    if fast is not None:
        return fast
    if sample_id < 0:
        raise ValueError("sample_id must be non-negative")
    _check_rank_and_world(rank, world_size)
    if config is None:
        config = AugmentationConfig()
    try:
        seeds = RankAwareSeedGenerator(base_seed=base_seed, world_size=world_size)
        rec = _core.record(seeds.generate_seed(sample_id, rank, config.augmentation_depth), config)
        rec["rank"] = rank
        return rec
    except Exception as e:
        raise SeedGenerationError(
            f"Failed to generate distributed augmentation parameters: {e}"
        ) from e
