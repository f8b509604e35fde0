"""The reference's memory estimates and performance recommendations, and its functions
built on ``src/batch.py`` and ``src/benchmark.py``. Part of ``dpa_rs.dpa``.

Those two modules are not part of dpa_rs (dpa's batching strategies and benchmarks are
the Rust library's and ``dpa bench``'s), so the functions that need them behave as the
reference's do when they are missing: they raise its ``ImportError``, generators at
their first ``next()``.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

try:
    import psutil

    _PSUTIL_AVAILABLE = True
except ImportError:
    _PSUTIL_AVAILABLE = False

_NO_BATCH = (
    "Batch processing module not available. "
    "Please ensure the batch module is properly installed."
)
_NO_BENCHMARK = (
    "Benchmark module not available. Please ensure the benchmark module is properly installed."
)


def estimate_memory_usage(
    num_samples: int,
    include_statistics: bool = True,
    bytes_per_param: int = 200,
) -> dict[str, int]:
    """Estimate memory usage for augmentation operations, in bytes."""
    if num_samples < 0:
        raise ValueError("num_samples must be non-negative")
    params_memory = num_samples * bytes_per_param
    stats_memory = 1024 if include_statistics else 0
    json_memory = int(params_memory * 1.2)
    return {
        "parameters": params_memory,
        "statistics": stats_memory,
        "json_serialization": json_memory,
        "total": params_memory + stats_memory + json_memory,
    }


def get_current_memory_usage() -> dict[str, int]:
    """Current process memory usage in bytes (``rss``, ``vms``, ``percent``); empty
    without psutil."""
    if not _PSUTIL_AVAILABLE:
        return {}
    try:
        process = psutil.Process()
        info = process.memory_info()
        return {"rss": info.rss, "vms": info.vms, "percent": int(process.memory_percent())}
    except (AttributeError, OSError):
        return {}


def estimate_optimal_batch_size(
    sample_size_bytes: int = 200, max_memory_mb: int = 1000, safety_margin: float = 0.1
) -> int:
    """How many samples of ``sample_size_bytes`` fit in ``max_memory_mb`` less the
    margin (at least 1)."""
    if sample_size_bytes <= 0:
        raise ValueError("sample_size_bytes must be positive")
    if max_memory_mb <= 0:
        raise ValueError("max_memory_mb must be positive")
    if safety_margin < 0 or safety_margin >= 1:
        raise ValueError("safety_margin must be between 0 and 1")
    available = max_memory_mb * 1024 * 1024 * (1 - safety_margin)
    return max(1, int(available / sample_size_bytes))


def get_memory_usage_estimate(
    num_samples: int,
    include_statistics: bool = True,
    bytes_per_param: int = 200,
) -> dict[str, str]:
    """``estimate_memory_usage`` formatted, with MB values and a recommendation."""
    from ._progress import format_memory_size

    raw = estimate_memory_usage(num_samples, include_statistics, bytes_per_param)
    formatted: dict[str, Any] = {}
    for key, size in raw.items():
        formatted[key] = format_memory_size(size)
        formatted[f"{key}_mb"] = size / (1024 * 1024)
    total_mb = raw["total"] / (1024 * 1024)
    if total_mb > 1000:
        formatted["recommendation"] = "Use streaming with memory-optimized batching"
        formatted["suggested_batch_size"] = estimate_optimal_batch_size(bytes_per_param, 500)
    elif total_mb > 100:
        formatted["recommendation"] = "Consider using chunked streaming"
        formatted["suggested_chunk_size"] = min(1000, num_samples // 10)
    else:
        formatted["recommendation"] = "Standard processing should work fine"
    return formatted


def _throughput_advice(results: dict[str, Any], target: float, throughput: float) -> list[str]:
    advice = [
        f"Current throughput ({throughput:.1f} samples/sec) is below target "
        f"({target:.1f} samples/sec) by {target - throughput:.1f} samples/sec"
    ]
    if "batch_processing" in results:
        best = results["batch_processing"]["best_throughput"]
        if best > throughput:
            gain = ((best - throughput) / throughput) * 100
            advice.append(
                f"Use {results['batch_processing']['best_strategy']} batch processing "
                f"for {gain:.1f}% performance improvement"
            )
    advice.append("Consider using streaming with chunking for large datasets")
    advice.append("Profile individual augmentation operations to identify bottlenecks")
    return advice


def _memory_advice(results: dict[str, Any], limit_mb: int) -> list[str]:
    used = results.get("system_info", {}).get("memory_usage_mb", 0)
    if not used > limit_mb:
        return []
    return [
        f"Current memory usage ({used:.1f}MB) exceeds limit ({limit_mb}MB)",
        "Use stream_augmentation_chain_with_memory_limit() for memory-constrained processing",
        "Consider memory-optimized batch processing strategy",
    ]


def get_performance_recommendations(
    benchmark_results: dict[str, Any],
    target_throughput: float | None = None,
    memory_limit_mb: int | None = None,
) -> list[str]:
    """Recommendations from ``benchmark_augmentation_performance()``-shaped results."""
    if "generation" not in benchmark_results:
        return ["Run benchmark_augmentation_performance() to get baseline metrics"]
    throughput = benchmark_results["generation"]["throughput_samples_per_second"]
    advice: list[str] = []
    if target_throughput and throughput < target_throughput:
        advice += _throughput_advice(benchmark_results, target_throughput, throughput)
    if memory_limit_mb:
        advice += _memory_advice(benchmark_results, memory_limit_mb)
    if "streaming" in benchmark_results:
        overhead = benchmark_results["streaming"].get("overhead_vs_generation_percent", 0)
        if overhead > 10:
            advice.append(
                f"Streaming has {overhead:.1f}% overhead - consider batch processing for better performance"
            )
        elif overhead < 5:
            advice.append("Streaming has low overhead - good for memory-efficient processing")
    config = benchmark_results.get("system_info", {}).get("config", {})
    if config.get("augmentation_depth", 10) > 15:
        advice.append("Consider reducing augmentation_depth for faster parameter generation")
    return advice or ["Performance looks good! No specific optimizations needed."]


# -- Built on the reference's batch module (not part of dpa_rs) -------------------


def stream_augmentation_chain_batched(
    num_samples: int,
    batch_config: Any = None,
    config: Any = None,
    start_id: int = 0,
    verbose: bool = False,
    progress_callback: Callable[..., None] | None = None,
) -> Generator[list[dict[str, Any]], None, None]:
    """Needs the reference's batch module: raises its ``ImportError``."""
    raise ImportError(_NO_BATCH)
    yield  # a generator, as the reference's: it raises at the first next()


def stream_augmentation_range_batched(
    start_id: int,
    end_id: int,
    batch_config: Any = None,
    config: Any = None,
) -> Generator[list[dict[str, Any]], None, None]:
    """Needs the reference's batch module: checks the range, then raises its
    ``ImportError``."""
    if start_id < 0:
        raise ValueError("start_id must be non-negative")
    if end_id < start_id:
        raise ValueError("end_id must be >= start_id")
    yield from stream_augmentation_chain_batched(
        num_samples=end_id - start_id,
        batch_config=batch_config,
        config=config,
        start_id=start_id,
        verbose=False,
    )


def process_augmentation_batches(
    param_generator: Any,
    batch_config: Any = None,
    processor_func: Callable[..., Any] | None = None,
    verbose: bool = False,
) -> Generator[Any, None, None]:
    """Needs the reference's batch module: raises its ``ImportError``."""
    raise ImportError(_NO_BATCH)
    yield  # a generator, as the reference's


def get_batch_metrics(param_generator: Any, batch_config: Any = None) -> Any:
    """Needs the reference's batch module: raises its ``ImportError``."""
    raise ImportError(_NO_BATCH)


def stream_augmentation_chain_with_memory_limit(
    num_samples: int,
    max_memory_mb: int = 1000,
    config: Any = None,
    start_id: int = 0,
    verbose: bool = False,
    progress_callback: Callable[..., None] | None = None,
) -> Generator[list[dict[str, Any]], None, None]:
    """The reference's memory-limited stream, built on its memory-optimized batching:
    raises the reference's ``ImportError`` for the missing batch module."""
    raise ImportError(_NO_BATCH)
    yield  # a generator, as the reference's


def convert_stream_to_batches(
    param_generator: Any,
    batch_strategy: str = "sequential",
    batch_size: int = 32,
    max_memory_mb: int = 1000,
) -> Generator[list[dict[str, Any]], None, None]:
    """Needs the reference's batch module: raises its ``ImportError``."""
    raise ImportError(_NO_BATCH)
    yield  # a generator, as the reference's


def get_batch_processing_metrics(
    num_samples: int,
    config: Any = None,
    batch_strategies: list[str] | None = None,
    verbose: bool = False,
) -> dict[str, Any]:
    """Needs the reference's batch module: raises its ``ImportError``."""
    raise ImportError(_NO_BATCH)


# -- Built on the reference's benchmark module (not part of dpa_rs) ---------------


def profile_augmentation_generation(
    func: Callable[..., Any] | None = None,
    *,
    enable_memory_tracking: bool = True,
    operation_name: str | None = None,
) -> Callable[..., Any]:
    """Needs the reference's benchmark module: raises its ``ImportError``."""
    raise ImportError(_NO_BENCHMARK)


def benchmark_augmentation_performance(
    num_samples: int,
    config: Any = None,
    iterations: int = 10,
    warmup_iterations: int = 2,
    include_streaming: bool = True,
    include_batch_processing: bool = True,
    verbose: bool = False,
) -> dict[str, Any]:
    """Needs the reference's benchmark module: raises its ``ImportError``."""
    raise ImportError(_NO_BENCHMARK)


def create_performance_profiler(
    enable_memory_tracking: bool = True, auto_report: bool = False
) -> Any:
    """Needs the reference's benchmark module: raises its ``ImportError``."""
    raise ImportError(_NO_BENCHMARK)
