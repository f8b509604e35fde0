"""The reference's streaming bookkeeping: its exceptions, progress and metadata
records, their formatting, and resource cleanup. Part of ``dpa_rs.dpa``."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any

from ._core import AugmentationConfig


class StreamingError(Exception):
    """Base exception for streaming operations."""


class PartialWriteError(StreamingError):
    """Raised when streaming write operation is incomplete."""

    def __init__(self, message: str, samples_written: int) -> None:
        super().__init__(message)
        self.samples_written = samples_written

    def __reduce__(self):
        # Pickles (into another process) with both of its arguments.
        return (type(self), (str(self), self.samples_written))


class StreamingIOError(StreamingError):
    """Raised for I/O errors during streaming operations."""


class GeneratorExhaustionError(StreamingError):
    """Raised when a generator is unexpectedly exhausted."""


class ResourceCleanupError(StreamingError):
    """Raised when resource cleanup fails during streaming operations."""


@dataclass
class StreamingMetadata:
    """Metadata for streaming operations."""

    total_samples: int | None = None  # None for unknown/infinite streams
    config: AugmentationConfig | None = None
    start_id: int = 0
    chunk_size: int | None = None
    buffer_size: int = 1000


@dataclass
class StreamingProgress:
    """Progress information for streaming operations."""

    samples_processed: int = 0
    current_sample_id: int = 0
    estimated_total: int | None = None
    start_time: float = 0.0

    def progress_percentage(self) -> float | None:
        """Calculate progress percentage if total is known."""
        if self.estimated_total is None:
            return None
        return (self.samples_processed / self.estimated_total) * 100

    def elapsed_time(self) -> float:
        """Calculate elapsed time since start."""
        return time.time() - self.start_time

    def estimated_time_remaining(self) -> float | None:
        """Estimate remaining time based on current progress."""
        if self.estimated_total is None or self.samples_processed == 0:
            return None
        elapsed = self.elapsed_time()
        if elapsed <= 0:
            return None
        rate = self.samples_processed / elapsed
        remaining = self.estimated_total - self.samples_processed
        return remaining / rate if rate > 0 else None


def create_streaming_metadata(
    total_samples: int | None = None,
    config: AugmentationConfig | None = None,
    start_id: int = 0,
    chunk_size: int | None = None,
    buffer_size: int = 1000,
) -> StreamingMetadata:
    """Create streaming metadata configuration (validated)."""
    if start_id < 0:
        raise ValueError("start_id must be non-negative")
    if total_samples is not None and total_samples < 0:
        raise ValueError("total_samples must be non-negative")
    if chunk_size is not None and chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    if buffer_size <= 0:
        raise ValueError("buffer_size must be positive")
    return StreamingMetadata(
        total_samples=total_samples,
        config=config,
        start_id=start_id,
        chunk_size=chunk_size,
        buffer_size=buffer_size,
    )


def create_streaming_progress(
    estimated_total: int | None = None,
    start_id: int = 0,
) -> StreamingProgress:
    """Create a streaming progress tracker started now."""
    if estimated_total is not None and estimated_total < 0:
        raise ValueError("estimated_total must be non-negative")
    if start_id < 0:
        raise ValueError("start_id must be non-negative")
    return StreamingProgress(
        samples_processed=0,
        current_sample_id=start_id,
        estimated_total=estimated_total,
        start_time=time.time(),
    )


def update_streaming_progress(
    progress: StreamingProgress,
    samples_processed: int,
    current_sample_id: int,
) -> None:
    """Update streaming progress tracker."""
    if samples_processed < 0:
        raise ValueError("samples_processed must be non-negative")
    if current_sample_id < 0:
        raise ValueError("current_sample_id must be non-negative")
    progress.samples_processed = samples_processed
    progress.current_sample_id = current_sample_id


def format_memory_size(bytes_size: int) -> str:
    """Format memory size in human-readable format (e.g. "1.5 MB")."""
    if bytes_size < 1024:
        return f"{bytes_size} B"
    for unit, power in (("KB", 1), ("MB", 2)):
        if bytes_size < 1024 ** (power + 1):
            return f"{bytes_size / (1024**power):.1f} {unit}"
    return f"{bytes_size / (1024**3):.1f} GB"


def format_progress_info(progress: StreamingProgress) -> str:
    """Format progress information as human-readable string."""
    if progress.estimated_total is not None:
        parts = [f"{progress.samples_processed}/{progress.estimated_total}"]
    else:
        parts = [f"{progress.samples_processed}"]
    percentage = progress.progress_percentage()
    if percentage is not None:
        parts.append(f"({percentage:.1f}%)")
    parts.append(f"elapsed: {progress.elapsed_time():.1f}s")
    eta = progress.estimated_time_remaining()
    if eta is not None:
        parts.append(f"ETA: {eta:.1f}s")
    return " ".join(parts)


def create_simple_progress_callback(
    verbose: bool = True,
) -> Callable[[StreamingProgress, StreamingMetadata], None]:
    """Create a simple progress callback function for streaming operations."""

    def progress_callback(progress: StreamingProgress, metadata: StreamingMetadata) -> None:
        """Simple progress callback that prints progress information."""
        if verbose:
            info = format_progress_info(progress)
            operation = "streaming"
            if metadata.total_samples is not None:
                operation = f"processing {metadata.total_samples} samples"
            sys.stdout.write(f"[{operation}] {info}\n")

    return progress_callback


def safe_close_file(file_handle: Any, filepath: str = "") -> None:
    """Safely close a file handle; ``ResourceCleanupError`` if closing fails."""
    if file_handle is None:
        return
    try:
        if hasattr(file_handle, "close"):
            file_handle.close()
    except Exception as e:
        where = f" for {filepath}" if filepath else ""
        raise ResourceCleanupError(f"Failed to close file handle{where}: {e}") from e


def safe_cleanup_generator(generator: Generator[Any, None, None]) -> None:
    """Safely close a generator; ``ResourceCleanupError`` if closing fails."""
    if generator is None:
        return
    try:
        if hasattr(generator, "close"):
            generator.close()
    except Exception as e:
        raise ResourceCleanupError(f"Failed to cleanup generator: {e}") from e


class StreamingContext:
    """Context manager for safe streaming operations with automatic resource cleanup:
    registered generators and file handles are closed on exit."""

    def __init__(self, verbose: bool = False) -> None:
        self.verbose = verbose
        self.generators: list[Generator[Any, None, None]] = []
        self.file_handles: list[tuple[Any, str]] = []  # (handle, filepath) pairs
        self.cleanup_errors: list[Exception] = []

    def register_generator(self, generator: Generator[Any, None, None]) -> None:
        """Register a generator for cleanup."""
        if generator is not None:
            self.generators.append(generator)

    def register_file_handle(self, file_handle: Any, filepath: str = "") -> None:
        """Register a file handle for cleanup."""
        if file_handle is not None:
            self.file_handles.append((file_handle, filepath))

    def __enter__(self) -> StreamingContext:
        return self

    def _cleaned(self, action: Callable[[], None], done: str | None) -> None:
        try:
            action()
            if self.verbose and done:
                sys.stdout.write(done)
        except ResourceCleanupError as e:
            self.cleanup_errors.append(e)
            if self.verbose:
                sys.stdout.write(f"Warning: {e}\n")

    def __exit__(self, exc_type: Any, exc_val: Any, exc_tb: Any) -> None:
        for generator in self.generators:
            self._cleaned(lambda g=generator: safe_cleanup_generator(g), "Cleaned up generator\n")
        for handle, path in self.file_handles:
            done = f"Closed file handle for {path}\n" if path else None
            self._cleaned(lambda h=handle, p=path: safe_close_file(h, p), done)
        if self.cleanup_errors and exc_type is None:
            raise ResourceCleanupError(
                f"Resource cleanup failed with {len(self.cleanup_errors)} errors: "
                f"{'; '.join(str(e) for e in self.cleanup_errors)}"
            )


def with_streaming_context(
    operation: Callable[..., Any], *args: Any, verbose: bool = False, **kwargs: Any
) -> Any:
    """Execute a streaming operation within a ``StreamingContext``; the operation gets
    it as ``streaming_context`` when it names that parameter."""
    with StreamingContext(verbose=verbose) as context:
        if "streaming_context" in operation.__code__.co_varnames:
            kwargs["streaming_context"] = context
        return operation(*args, **kwargs)
