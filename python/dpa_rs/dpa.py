"""DPA 0.2.1's ``src/dpa.py``, computed by dpa.

Every public name of the reference's module, with its signature, return shapes,
exceptions (types and messages), laziness, printed lines and file bytes. Values come
from dpa (``dpa_rs._native``) and are the reference's bit for bit.

Two things differ, on purpose (docs/PYTHON.md):

- Python's global ``random`` module is left untouched (the reference reseeds it on
  every call): a library should not change the state other code draws from.
- The reference's ``src/batch.py`` and ``src/benchmark.py`` are not part of dpa_rs
  (dpa's batching and benchmarks live in the Rust library and ``dpa bench``). The
  functions built on them raise the reference's own ``ImportError`` for a missing batch
  or benchmark module, and their names (``BatchConfig``, ``PerformanceProfiler``, ...)
  are ``None`` here, as in the reference without those modules.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from . import _core, _native
from ._core import PARAM_KEYS, AugmentationConfig, fib
from .distributed import (
    DistributedRangeSplitter,
    _check_rank_and_world,
    RankAwareSeedGenerator,
    gen_distributed_augmentation_params,
    stream_distributed_augmentation_chain,
)

from ._planning import (  # noqa: F401  (the reference's names)
    _NO_BATCH,
    _PSUTIL_AVAILABLE,
    benchmark_augmentation_performance,
    convert_stream_to_batches,
    create_performance_profiler,
    estimate_memory_usage,
    estimate_optimal_batch_size,
    get_batch_metrics,
    get_batch_processing_metrics,
    get_current_memory_usage,
    get_memory_usage_estimate,
    get_performance_recommendations,
    process_augmentation_batches,
    profile_augmentation_generation,
    stream_augmentation_chain_batched,
    stream_augmentation_chain_with_memory_limit,
    stream_augmentation_range_batched,
)
from ._progress import (  # noqa: F401  (the reference's names)
    GeneratorExhaustionError,
    PartialWriteError,
    ResourceCleanupError,
    StreamingContext,
    StreamingError,
    StreamingIOError,
    StreamingMetadata,
    StreamingProgress,
    create_simple_progress_callback,
    create_streaming_metadata,
    create_streaming_progress,
    format_memory_size,
    format_progress_info,
    safe_cleanup_generator,
    safe_close_file,
    update_streaming_progress,
    with_streaming_context,
)

__version__ = "0.2.1"

# Every public name of the reference's module, in its order.
__all__ = [
    "BatchProcessor",
    "BatchStrategy",
    "BatchConfig",
    "BatchMetrics",
    "RankAwareSeedGenerator",
    "DistributedRangeSplitter",
    "gen_distributed_augmentation_params",
    "stream_distributed_augmentation_chain",
    "PerformanceProfiler",
    "BenchmarkRunner",
    "measure_time",
    "measure_memory",
    "benchmark_function",
    "StreamingError",
    "PartialWriteError",
    "StreamingIOError",
    "GeneratorExhaustionError",
    "ResourceCleanupError",
    "AugmentationConfig",
    "StreamingMetadata",
    "StreamingProgress",
    "PRESETS",
    "fib",
    "gen_augmentation_seed",
    "gen_augmentation_params",
    "compute_statistics",
    "save_augmentation_chain",
    "load_augmentation_chain",
    "get_preset",
    "stream_augmentation_chain",
    "stream_augmentation_range",
    "compute_streaming_statistics",
    "save_augmentation_stream",
    "load_augmentation_stream",
    "generator_to_list",
    "list_to_generator",
    "create_streaming_metadata",
    "create_streaming_progress",
    "update_streaming_progress",
    "estimate_memory_usage",
    "get_current_memory_usage",
    "format_memory_size",
    "format_progress_info",
    "create_simple_progress_callback",
    "safe_close_file",
    "safe_cleanup_generator",
    "recover_partial_write",
    "resume_streaming_save",
    "StreamingContext",
    "with_streaming_context",
    "stream_augmentation_chain_batched",
    "stream_augmentation_range_batched",
    "process_augmentation_batches",
    "get_batch_metrics",
    "stream_augmentation_chain_with_memory_limit",
    "estimate_optimal_batch_size",
    "get_memory_usage_estimate",
    "generate_augmentation_chain",
    "convert_stream_to_batches",
    "get_batch_processing_metrics",
    "profile_augmentation_generation",
    "benchmark_augmentation_performance",
    "create_performance_profiler",
    "get_performance_recommendations",
]


# The reference's module-level names of its optional parts: distributed is part of
# dpa_rs; batch and benchmark are not (see the module's docstring).
_DISTRIBUTED_AVAILABLE = True
_BATCH_AVAILABLE = False
BatchProcessor = BatchStrategy = BatchConfig = BatchMetrics = None
_BENCHMARK_AVAILABLE = False
PerformanceProfiler = BenchmarkRunner = None
measure_time = measure_memory = benchmark_function = None

PRESETS = {
    name: AugmentationConfig(*ranges, augmentation_depth=depth)
    for name, (ranges, depth) in _core.PRESET_VALUES.items()
}


def gen_augmentation_seed(seed_id: int, augmentation_depth: int = 10) -> str:
    """Generate deterministic hash seed using Fibonacci chain: the SHA-256 hex digest
    after ``augmentation_depth`` steps, starting from ``str(seed_id)``."""
    if seed_id < 0:
        raise ValueError("seed_id must be non-negative")
    if augmentation_depth < 1:
        raise ValueError("augmentation_depth must be >= 1")
    return _core.chain_hex(str(seed_id).encode(), augmentation_depth, wrap_steps=True)


def gen_augmentation_params(
    seed_id: int, config: AugmentationConfig | None = None, rank: int | None = None
) -> dict[str, Any]:
    """Generate deterministic augmentation parameters: ``rotation``, ``brightness``,
    ``noise``, ``scale``, ``contrast`` and ``hash``. With ``rank``, the distributed
    record (``gen_distributed_augmentation_params(seed_id, rank, config)``)."""
    if rank is None:
        fast = _native.fast_params(seed_id, config)
        if fast is not None:
            return fast
    if seed_id < 0:
        raise ValueError("seed_id must be non-negative")
    if config is None:
        config = AugmentationConfig()
    if rank is not None:
        return gen_distributed_augmentation_params(seed_id, rank, config)
    return _core.record(gen_augmentation_seed(seed_id, config.augmentation_depth), config)


def _summary(values: list) -> dict:
    """``compute_statistics``' entry of one parameter. dpa sums finite floats exactly
    (the bits of ``statistics.mean``/``stdev``); anything else goes to ``statistics``."""
    floats = bool(values) and set(map(type, values)) == {float}
    # The float sum is finite exactly when every value is (inf or nan carries through).
    exact = floats and math.isfinite(sum(values))
    if exact:
        mean, stdev, low, high, count = _native.column_statistics(values)
        return {
            "mean": mean,
            "stdev": stdev if count > 1 else 0.0,
            "min": low,
            "max": high,
            "count": count,
        }
    return {
        "mean": statistics.mean(values),
        "stdev": statistics.stdev(values) if len(values) > 1 else 0.0,
        "min": min(values),
        "max": max(values),
        "count": len(values),
    }


def compute_statistics(
    params_list: list[dict[str, Any]],
) -> dict[str, dict[str, float]]:
    """Compute statistics (mean, std, min, max) for augmentation parameters."""
    return {key: _summary([p[key] for p in params_list]) for key in PARAM_KEYS}


def _write_line(text: str) -> None:
    sys.stdout.write(text)


def save_augmentation_chain(
    params_list: list[dict[str, Any]],
    filepath: str,
    config: AugmentationConfig | None = None,
    include_stats: bool = True,
) -> None:
    """Save augmentation chain to JSON file with optional statistics."""
    try:
        output = {
            "metadata": {
                "num_samples": len(params_list),
                "config": asdict(config) if config else None,
            },
            "augmentations": params_list,
        }
        if include_stats:
            output["statistics"] = compute_statistics(params_list)
        Path(filepath).parent.mkdir(parents=True, exist_ok=True)
        with open(filepath, "w") as f:
            json.dump(output, f, indent=2)
        _write_line(f"Saved {len(params_list)} augmentations to {filepath}\n")
    except OSError as e:
        raise OSError(f"Failed to save augmentation chain: {e}") from e


def load_augmentation_chain(filepath: str) -> list[dict[str, Any]]:
    """Load augmentation chain from JSON file."""
    try:
        with open(filepath) as f:
            data = json.load(f)
        _write_line(f"Loaded {data['metadata']['num_samples']} augmentations from {filepath}\n")
        return data["augmentations"]
    except FileNotFoundError:
        raise FileNotFoundError(f"Augmentation file not found: {filepath}") from None
    except json.JSONDecodeError as e:
        raise json.JSONDecodeError(f"Invalid JSON in {filepath}: {e}", "", 0) from e


def get_preset(preset_name: str) -> AugmentationConfig:
    """Get a preset configuration (the object in ``PRESETS``)."""
    if preset_name not in PRESETS:
        raise ValueError(f"Unknown preset '{preset_name}'. Available: {list(PRESETS.keys())}")
    return PRESETS[preset_name]


def _sample_line(sample_id, params: dict) -> str:
    """The line ``verbose`` prints for one sample."""
    return (
        f"Sample({sample_id}) -> rotation={params['rotation']:.2f}\u00b0 "
        f"brightness={params['brightness']:.2f} "
        f"noise={params['noise']:.3f} "
        f"scale={params['scale']:.2f} "
        f"contrast={params['contrast']:.2f}\n"
    )


def _check_distributed(rank, world_size) -> None:
    if rank is None or world_size is None:
        raise ValueError("Both rank and world_size must be specified together")
    _check_rank_and_world(rank, world_size)


def stream_augmentation_chain(
    num_samples: int,
    config: AugmentationConfig | None = None,
    start_id: int = 0,
    chunk_size: int | None = None,
    batch_config: Any = None,
    rank: int | None = None,
    world_size: int | None = None,
    verbose: bool = False,
    progress_callback: Callable[[StreamingProgress, StreamingMetadata], None] | None = None,
) -> Generator[dict[str, Any], None, None]:
    """Generate augmentation parameters as a stream: one dict per sample, or lists of
    ``chunk_size`` dicts. With ``rank`` and ``world_size``, rank ``rank``'s share of
    ``0 .. num_samples`` with rank-aware seeding and ``start_id`` as the base seed.
    Lazy: nothing is checked or computed before the first ``next()``."""
    if num_samples < 0:
        raise ValueError("num_samples must be non-negative")
    if start_id < 0:
        raise ValueError("start_id must be non-negative")
    distributed = rank is not None or world_size is not None
    if distributed:
        _check_distributed(rank, world_size)
    if chunk_size is not None and batch_config is not None:
        raise ValueError("chunk_size and batch_config are mutually exclusive")
    if distributed:
        if batch_config is not None:
            raise ValueError("batch_config is not yet supported with distributed streaming")
        if progress_callback is not None:
            raise ValueError("progress_callback is not yet supported with distributed streaming")
        yield from stream_distributed_augmentation_chain(
            num_samples=num_samples,
            rank=rank,
            world_size=world_size,
            config=config,
            base_seed=start_id,
            chunk_size=chunk_size,
            verbose=verbose,
        )
        return
    if batch_config is not None:
        raise ImportError(_NO_BATCH)
    if config is None:
        config = AugmentationConfig()
    progress = create_streaming_progress(estimated_total=num_samples, start_id=start_id)
    metadata = create_streaming_metadata(
        total_samples=num_samples, config=config, start_id=start_id, chunk_size=chunk_size
    )
    if verbose and num_samples > 0:
        _write_line(f"Starting stream generation: {num_samples} samples from ID {start_id}\n")
    if chunk_size is None:
        yield from _stream_single(num_samples, config, start_id, verbose, progress_callback, progress, metadata)
    else:
        yield from _stream_chunks(num_samples, config, start_id, chunk_size, verbose, progress_callback, progress, metadata)
    if verbose and num_samples > 0:
        _write_line(f"Stream generation completed: {format_progress_info(progress)}\n")


def _progress_due(verbose, num_samples, done) -> bool:
    """Every 5% of a stream of more than 100 samples, a ``Progress:`` line."""
    return verbose and num_samples > 100 and done % max(1, num_samples // 20) == 0


def _stream_single(num_samples, config, start_id, verbose, callback, progress, metadata):
    for i, sample_id in enumerate(range(start_id, start_id + num_samples)):
        params = gen_augmentation_params(sample_id, config, None)
        update_streaming_progress(progress, i + 1, sample_id)
        if verbose:
            if _progress_due(verbose, num_samples, i + 1):
                _write_line(f"Progress: {format_progress_info(progress)}\n")
            elif num_samples <= 100:
                _write_line(_sample_line(sample_id, params))
        if callback:
            callback(progress, metadata)
        yield params


def _stream_chunks(num_samples, config, start_id, chunk_size, verbose, callback, progress, metadata):
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    chunk = []
    for i, sample_id in enumerate(range(start_id, start_id + num_samples)):
        params = gen_augmentation_params(sample_id, config, None)
        chunk.append(params)
        if verbose and num_samples <= 100:
            _write_line(_sample_line(sample_id, params))
        if len(chunk) == chunk_size:
            update_streaming_progress(progress, i + 1, sample_id)
            if _progress_due(verbose, num_samples, i + 1):
                _write_line(f"Progress: {format_progress_info(progress)}\n")
            if callback:
                callback(progress, metadata)
            yield chunk
            chunk = []
    if chunk:
        update_streaming_progress(progress, num_samples, start_id + num_samples - 1)
        if callback:
            callback(progress, metadata)
        yield chunk


def stream_augmentation_range(
    start_id: int,
    end_id: int,
    config: AugmentationConfig | None = None,
    chunk_size: int | None = None,
    batch_config: Any = None,
    rank: int | None = None,
    world_size: int | None = None,
) -> Generator[dict[str, Any], None, None]:
    """Stream parameters for the sample ids ``start_id .. end_id`` (end exclusive)."""
    if start_id < 0:
        raise ValueError("start_id must be non-negative")
    if end_id < start_id:
        raise ValueError("end_id must be >= start_id")
    yield from stream_augmentation_chain(
        num_samples=end_id - start_id,
        config=config,
        start_id=start_id,
        chunk_size=chunk_size,
        batch_config=batch_config,
        rank=rank,
        world_size=world_size,
        verbose=False,
    )


class _Welford:
    """One parameter's running statistics, as the reference's streaming functions
    update them (Welford's method, in floats)."""

    def __init__(self) -> None:
        self.count = 0
        self.mean = 0.0
        self.m2 = 0.0
        self.low = float("inf")
        self.high = float("-inf")

    def push(self, value) -> None:
        self.count += 1
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        delta = value - self.mean
        self.mean += delta / self.count
        self.m2 += delta * (value - self.mean)

    def summary(self) -> dict:
        if self.count == 0:
            return {"mean": 0.0, "stdev": 0.0, "min": 0.0, "max": 0.0, "count": 0}
        variance = self.m2 / (self.count - 1) if self.count > 1 else 0.0
        return {
            "mean": self.mean,
            "stdev": variance**0.5,
            "min": self.low,
            "max": self.high,
            "count": self.count,
        }


def _welford(param_generator, keep: list | None) -> dict[str, dict[str, float]]:
    running = {key: _Welford() for key in PARAM_KEYS}
    for params in param_generator:
        if keep is not None:
            keep.append(params)
        for key in PARAM_KEYS:
            running[key].push(params[key])
    return {key: running[key].summary() for key in PARAM_KEYS}


def compute_streaming_statistics(
    param_generator: Generator[dict[str, Any], None, None],
) -> dict[str, dict[str, float]]:
    """Statistics of a stream by Welford's online method (mean, stdev, min, max, count),
    in the reference's float arithmetic: these are not ``compute_statistics``' exact
    values, as in the reference."""
    return _welford(param_generator, None)


def _compute_streaming_statistics(
    param_generator: Generator[dict[str, Any], None, None],
) -> tuple[dict[str, dict[str, float]], list[dict[str, Any]]]:
    """``compute_streaming_statistics`` and the list of every record it read."""
    kept: list[dict[str, Any]] = []
    return _welford(param_generator, kept), kept


def _saved_line(samples_written, filepath, progress, verbose) -> str:
    if verbose:
        info = format_progress_info(progress)
        return f"Saved {samples_written} augmentations to {filepath} ({info})\n"
    return f"Saved {samples_written} augmentations to {filepath}\n"


def _save_with_stats(param_generator, filepath, config, verbose, callback, progress, metadata) -> None:
    """The whole stream read first (statistics need it), then one ``json.dump``."""
    try:
        if verbose:
            _write_line("Computing statistics from stream...\n")
        stats, all_params = _compute_streaming_statistics(param_generator)
        total = len(all_params)
        progress.estimated_total = total
        update_streaming_progress(progress, total, total - 1)
        output = {
            "metadata": {
                "num_samples": total,
                "config": asdict(config) if config else None,
                "streaming": True,
            },
            "augmentations": all_params,
            "statistics": stats,
        }
        handle = open(filepath, "w")
        try:
            json.dump(output, handle, indent=2)
        finally:
            safe_close_file(handle, filepath)
        _write_line(_saved_line(total, filepath, progress, verbose))
        if callback:
            callback(progress, metadata)
    except GeneratorExhaustionError:
        raise PartialWriteError(
            "Generator exhausted unexpectedly during statistics computation", 0
        ) from None
    except Exception as e:
        raise PartialWriteError(f"Failed to compute statistics and save: {e}", 0) from e


class _IncrementalWriter:
    """The reference's no-statistics layout, written as records arrive: a header, one
    record per line (``json.dump``'s one-line form), then the closing brackets."""

    def __init__(self, handle, config) -> None:
        self.handle = handle
        self.written = 0
        handle.write("{\n")
        handle.write('  "metadata": {\n')
        handle.write('    "num_samples": null,\n')
        handle.write('    "config": ')
        json.dump(asdict(config) if config else None, handle)
        handle.write(",\n")
        handle.write('    "streaming": true\n')
        handle.write("  },\n")
        handle.write('  "augmentations": [\n')

    def write_all(self, records: list) -> None:
        for params in records:
            if self.written:
                self.handle.write(",\n")
            self.handle.write("    ")
            json.dump(params, self.handle)
            self.written += 1

    def close_document(self) -> None:
        self.handle.write("\n  ]\n")
        self.handle.write("}\n")


def _stream_records(writer, param_generator, buffer_size, verbose, callback, progress, metadata):
    buffer = []
    for params in param_generator:
        buffer.append(params)
        if len(buffer) >= buffer_size:
            writer.write_all(buffer)
            done = writer.written
            update_streaming_progress(progress, done, done - 1)
            if verbose and done % (buffer_size * 10) == 0:
                _write_line(f"Streaming progress: {format_progress_info(progress)}\n")
            if callback:
                callback(progress, metadata)
            buffer = []
            writer.handle.flush()
    writer.write_all(buffer)
    update_streaming_progress(progress, writer.written, writer.written - 1)
    writer.close_document()


def _save_incrementally(param_generator, filepath, config, buffer_size, verbose, callback, progress, metadata, state) -> None:
    try:
        state["handle"] = open(filepath, "w")
        writer = _IncrementalWriter(state["handle"], config)
        try:
            _stream_records(writer, param_generator, buffer_size, verbose, callback, progress, metadata)
        except StopIteration:
            pass
        except GeneratorExit:
            if verbose:
                _write_line("Generator was closed during streaming\n")
        except Exception as e:
            raise PartialWriteError(f"Failed during streaming write: {e}", writer.written) from e
        finally:
            try:
                safe_cleanup_generator(param_generator)
            except ResourceCleanupError as cleanup_error:
                if verbose:
                    _write_line(f"Warning: {cleanup_error}\n")
        _write_line(_saved_line(writer.written, filepath, progress, verbose))
        if callback:
            callback(progress, metadata)
    finally:
        if state["handle"] is not None:
            safe_close_file(state["handle"], filepath)


def save_augmentation_stream(
    param_generator: Generator[dict[str, Any], None, None],
    filepath: str,
    config: AugmentationConfig | None = None,
    include_stats: bool = True,
    buffer_size: int = 1000,
    verbose: bool = False,
    progress_callback: Callable[[StreamingProgress, StreamingMetadata], None] | None = None,
) -> None:
    """Save streamed parameters to a JSON file: with statistics, the whole stream is
    read first; without, records are written as they come, ``buffer_size`` at a time."""
    state = {"handle": None}
    try:
        Path(filepath).parent.mkdir(parents=True, exist_ok=True)
        progress = create_streaming_progress(estimated_total=None, start_id=0)
        metadata = create_streaming_metadata(total_samples=None, config=config, buffer_size=buffer_size)
        if verbose:
            _write_line(f"Starting streaming save to {filepath}\n")
        args = (param_generator, filepath, config)
        if include_stats:
            _save_with_stats(*args, verbose, progress_callback, progress, metadata)
        else:
            _save_incrementally(*args, buffer_size, verbose, progress_callback, progress, metadata, state)
    except OSError as e:
        raise StreamingIOError(f"I/O error during streaming save: {e}") from e
    except Exception as e:
        if state["handle"] is not None:
            try:
                safe_close_file(state["handle"], filepath)
            except ResourceCleanupError as cleanup_error:
                if verbose:
                    _write_line(f"Warning during cleanup: {cleanup_error}\n")
        if isinstance(e, StreamingError):
            raise
        raise StreamingIOError(f"Unexpected error during streaming save: {e}") from e


def _read_augmentations(filepath) -> list:
    """The ``augmentations`` list of a saved file, or the reference's errors."""
    handle = open(filepath)
    try:
        data = json.load(handle)
    except json.JSONDecodeError as e:
        raise StreamingIOError(f"Invalid JSON in {filepath}: {e}") from e
    finally:
        safe_close_file(handle, filepath)
    if "augmentations" not in data:
        raise StreamingIOError("Invalid augmentation file format: missing 'augmentations' key")
    augmentations = data["augmentations"]
    len(augmentations)  # the reference counts before it checks the type
    if not isinstance(augmentations, list):
        raise StreamingIOError("Invalid augmentation file format: 'augmentations' must be a list")
    return augmentations


def _checked(i: int, params):
    if not isinstance(params, dict):
        raise StreamingIOError(
            f"Invalid parameter format at index {i}: expected dict, got {type(params)}"
        )
    return params


def _load_single(augmentations, verbose, callback, progress, metadata):
    total = len(augmentations)
    for i, params in enumerate(augmentations):
        _checked(i, params)
        update_streaming_progress(progress, i + 1, i)
        if verbose and total > 100 and (i + 1) % max(1, total // 20) == 0:
            _write_line(f"Loading progress: {format_progress_info(progress)}\n")
        if callback:
            callback(progress, metadata)
        yield params


def _load_chunks(augmentations, chunk_size, verbose, callback, progress, metadata):
    total = len(augmentations)
    chunk, yielded = [], 0
    for i, params in enumerate(augmentations):
        chunk.append(_checked(i, params))
        if len(chunk) >= chunk_size:
            yielded += len(chunk)
            update_streaming_progress(progress, yielded, i)
            if verbose and total > 100 and yielded % (chunk_size * 10) == 0:
                _write_line(f"Loading progress: {format_progress_info(progress)}\n")
            if callback:
                callback(progress, metadata)
            yield chunk
            chunk = []
    if chunk:
        yielded += len(chunk)
        update_streaming_progress(progress, yielded, total - 1)
        if callback:
            callback(progress, metadata)
        yield chunk


def _load_records(augmentations, filepath, chunk_size, verbose, callback):
    total = len(augmentations)
    progress = create_streaming_progress(estimated_total=total, start_id=0)
    metadata = create_streaming_metadata(total_samples=total, chunk_size=chunk_size)
    _write_line(f"Loading {total} augmentations from {filepath}\n")
    try:
        if chunk_size <= 1:
            yield from _load_single(augmentations, verbose, callback, progress, metadata)
        else:
            yield from _load_chunks(augmentations, chunk_size, verbose, callback, progress, metadata)
        if verbose:
            _write_line(f"Loading completed: {format_progress_info(progress)}\n")
    except GeneratorExit:
        if verbose:
            _write_line("Loading generator was closed\n")
    except Exception as e:
        raise StreamingIOError(f"Error during streaming load: {e}") from e


def load_augmentation_stream(
    filepath: str,
    chunk_size: int = 1000,
    verbose: bool = False,
    progress_callback: Callable[[StreamingProgress, StreamingMetadata], None] | None = None,
) -> Generator[dict[str, Any], None, None]:
    """Stream the records of a saved JSON file: single dicts when ``chunk_size <= 1``,
    else lists of ``chunk_size``. Lazy: the file is read at the first ``next()``."""
    try:
        if not Path(filepath).exists():
            raise FileNotFoundError(f"Augmentation file not found: {filepath}")
        augmentations = _read_augmentations(filepath)
        yield from _load_records(augmentations, filepath, chunk_size, verbose, progress_callback)
    except FileNotFoundError:
        raise
    except OSError as e:
        raise StreamingIOError(f"I/O error during streaming load: {e}") from e
    except Exception as e:
        if isinstance(e, StreamingIOError):
            raise
        raise StreamingIOError(f"Unexpected error during streaming load: {e}") from e


def generator_to_list(
    param_generator: Generator[dict[str, Any], None, None],
    max_items: int | None = None,
) -> list[dict[str, Any]]:
    """The items of a generator as a list, at most ``max_items`` of them."""
    if max_items is not None and max_items < 0:
        raise ValueError("max_items must be non-negative")
    result = []
    for i, params in enumerate(param_generator):
        if max_items is not None and i >= max_items:
            break
        result.append(params)
    return result


def list_to_generator(
    params_list: list[dict[str, Any]],
) -> Generator[dict[str, Any], None, None]:
    """The items of a list, as a generator."""
    for params in params_list:
        yield params


def _count_records(content: str) -> int:
    """Complete one-line records (``{"rotation" ... }``) after the ``augmentations``
    key of a torn file, up to the first that does not parse."""
    found = 0
    pos = content.find('"augmentations": [')
    while True:
        start = content.find('{"rotation"', pos)
        if start == -1:
            return found
        end = content.find("}", start)
        if end == -1:
            return found
        try:
            json.loads(content[start : end + 1])
        except json.JSONDecodeError:
            return found
        found += 1
        pos = end + 1


def _recover_torn(content: str, info: dict, verbose: bool) -> None:
    if verbose:
        _write_line("File appears to be incomplete, attempting partial recovery\n")
    at = content.find('"metadata"')
    if at != -1:
        try:
            start = content.find("{", at)
            end = content.find("},", start)
            if end != -1:
                info["metadata"] = json.loads(content[start : end + 1])
                if verbose:
                    _write_line("Successfully recovered metadata\n")
        except json.JSONDecodeError:
            if verbose:
                _write_line("Could not recover metadata\n")
    if content.find('"augmentations": [') != -1:
        found = _count_records(content)
        info["samples_found"] = found
        info["recoverable"] = found > 0
        if verbose:
            _write_line(f"Recovered {found} complete samples\n")
    if not info["recoverable"]:
        info["error"] = "No recoverable data found in file"


def recover_partial_write(
    filepath: str, expected_samples: int | None = None, verbose: bool = False
) -> dict[str, Any]:
    """What can be read from a possibly torn streaming file: ``recoverable``,
    ``samples_found``, ``metadata`` and ``error``."""
    info: dict[str, Any] = {"recoverable": False, "samples_found": 0, "metadata": None, "error": None}
    try:
        if not Path(filepath).exists():
            info["error"] = "File does not exist"
            return info
        if verbose:
            _write_line(f"Attempting to recover partial write from {filepath}\n")
        with open(filepath) as f:
            content = f.read()
        try:
            data = json.loads(content)
        except json.JSONDecodeError:
            _recover_torn(content, info, verbose)
            return info
        info["recoverable"] = True
        info["metadata"] = data.get("metadata", {})
        if "augmentations" in data:
            info["samples_found"] = len(data["augmentations"])
        if verbose:
            _write_line(f"File is complete with {info['samples_found']} samples\n")
        return info
    except OSError as e:
        info["error"] = f"I/O error during recovery: {e}"
        raise StreamingIOError(f"Cannot access file for recovery: {e}") from e


def resume_streaming_save(
    param_generator: Generator[dict[str, Any], None, None],
    filepath: str,
    resume_from_sample: int = 0,
    config: AugmentationConfig | None = None,
    include_stats: bool = True,
    buffer_size: int = 1000,
    verbose: bool = False,
) -> None:
    """``save_augmentation_stream`` of the generator's items after the first
    ``resume_from_sample``."""
    if resume_from_sample < 0:
        raise ValueError("resume_from_sample must be non-negative")
    if verbose:
        _write_line(f"Resuming streaming save from sample {resume_from_sample}\n")
    skipped = 0
    resumed = param_generator
    if resume_from_sample > 0:

        def skipping():
            nonlocal skipped
            for params in param_generator:
                if skipped < resume_from_sample:
                    skipped += 1
                    continue
                yield params

        resumed = skipping()
        if verbose:
            _write_line(f"Skipping first {resume_from_sample} samples\n")
    try:
        save_augmentation_stream(
            resumed,
            filepath,
            config=config,
            include_stats=include_stats,
            buffer_size=buffer_size,
            verbose=verbose,
        )
    except Exception as e:
        raise PartialWriteError(
            f"Failed to resume streaming save from sample {resume_from_sample}: {e}", skipped
        ) from e


def generate_augmentation_chain(
    num_samples: int,
    config: AugmentationConfig | None = None,
    verbose: bool = False,
    save_path: str | None = None,
) -> list[dict[str, Any]]:
    """The parameters of samples ``0 .. num_samples``, printed with ``verbose`` and
    saved (``save_augmentation_chain``, with statistics) to ``save_path`` if given."""
    if num_samples < 0:
        raise ValueError("num_samples must be non-negative")
    if config is None:
        config = AugmentationConfig()
    ids = range(num_samples)
    results = None
    if ids.stop < 2**64:
        results = _native.fast_chain(ids.stop, config)
    if results is None:
        results = [gen_augmentation_params(sample_id, config) for sample_id in ids]
    if verbose:
        _write_line("".join(_sample_line(i, p) for i, p in enumerate(results)))
    if save_path:
        save_augmentation_chain(results, save_path, config, include_stats=True)
    return results
