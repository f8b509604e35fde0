"""The algorithm's core, shared by ``dpa_rs.dpa`` and ``dpa_rs.distributed``: the
config, Fibonacci numbers, the hash chain and the five draws.

dpa (``dpa_rs._native``) computes them whenever its arithmetic is Python's to the bit
(ids that are ``int`` below 2**64, bounds that are ``float`` or ``int`` up to 2**53,
chains it precomputes). Any other input takes the same steps here, in Python, with the
reference's own arithmetic (``str`` of the id, ``hashlib``, ``random.Random``), so that
every input gives the reference's result or the reference's exception.
"""

from __future__ import annotations

import hashlib
import random
import sys
from dataclasses import dataclass

from . import _native

PARAM_KEYS = ("rotation", "brightness", "noise", "scale", "contrast")


def _bound(x: float):
    """A preset bound as the reference writes it: an int when it is integral."""
    return int(x) if float(x).is_integer() else x


# dpa's presets, with the bounds held as the reference holds them ((-30, 30), (0, 0.1)).
PRESET_VALUES = {
    name: ([tuple(_bound(x) for x in r) for r in ranges], depth)
    for name, ranges, depth in _native.presets()
}
_DEFAULT_RANGES, _DEFAULT_DEPTH = PRESET_VALUES["moderate"]


@dataclass
class AugmentationConfig:
    """Configuration for augmentation parameters."""

    rotation_range: tuple[float, float] = _DEFAULT_RANGES[0]
    brightness_range: tuple[float, float] = _DEFAULT_RANGES[1]
    noise_range: tuple[float, float] = _DEFAULT_RANGES[2]
    scale_range: tuple[float, float] = _DEFAULT_RANGES[3]
    contrast_range: tuple[float, float] = _DEFAULT_RANGES[4]
    augmentation_depth: int = _DEFAULT_DEPTH

    def __post_init__(self) -> None:
        """Validate ranges after initialization."""
        ranges = (
            self.rotation_range,
            self.brightness_range,
            self.noise_range,
            self.scale_range,
            self.contrast_range,
        )
        for name, (low, high) in zip(PARAM_KEYS, ranges):
            if low >= high:
                raise ValueError(f"{name}_range: lower bound must be < upper bound")
        if self.augmentation_depth < 1:
            raise ValueError("augmentation_depth must be >= 1")


def _fib_pair(k: int) -> tuple[int, int]:
    """``(fib(k), fib(k + 1))`` by doubling: fib(2m) = fib(m)(2 fib(m+1) - fib(m)),
    fib(2m+1) = fib(m)^2 + fib(m+1)^2."""
    a, b = 0, 1
    for bit in bin(k)[2:]:
        c, d = a * (2 * b - a), a * a + b * b
        a, b = (d, c + d) if bit == "1" else (c, d)
    return a, b


def fib(n: int) -> int:
    """Compute nth Fibonacci number with memoization."""
    if n < 0:
        raise ValueError("n must be non-negative")
    if n == 0:
        return 0
    if n == 1:
        return 1
    # The reference loops over range(2, n + 1): a non-integer n raises its TypeError.
    return _fib_pair(range(2, n + 1).stop - 1)[0]


def _native_depth_ok(depth: int) -> bool:
    """Whether dpa's chain gives this depth's result: within its limit, and no step's
    ``str(fib(i))`` would pass Python's int-to-str digit limit (fib(9999) has 2,090
    digits; depths up to FAST_MAX_DEPTH stay under the lowest limit Python allows)."""
    if depth > _native.MAX_DEPTH:
        return False
    if depth <= _native.FAST_MAX_DEPTH:
        return True
    get_limit = getattr(sys, "get_int_max_str_digits", None)
    limit = get_limit() if get_limit is not None else 0
    return limit == 0 or limit >= 2090


def chain_hex(text: bytes, augmentation_depth, wrap_steps: bool) -> str:
    """The hash chain of ``text`` over ``augmentation_depth`` steps, as a hex digest.

    ``wrap_steps``: a failing step raises ``RuntimeError("Error computing Fibonacci
    seed at depth i: ...")`` as ``gen_augmentation_seed`` does; otherwise the step's
    own exception, as ``RankAwareSeedGenerator.generate_seed`` lets it through.
    """
    depth = range(augmentation_depth).stop
    if depth >= 1 and _native_depth_ok(depth):
        return _native.chain_hex(text, depth)
    prev = hashlib.sha256(text).hexdigest()
    a, b = 0, 1
    for i in range(depth):
        try:
            prev = hashlib.sha256((prev + str(a)).encode()).hexdigest()
        except Exception as e:
            if not wrap_steps:
                raise
            raise RuntimeError(f"Error computing Fibonacci seed at depth {i}: {e}") from e
        a, b = b, a + b
    return prev


def values(hash_seed: str, config) -> list:
    """The five values drawn after ``random.seed(int(hash_seed, 16) % 2**32)``, each
    ``uniform(*range)`` of the config's five ranges in order. Python's global ``random``
    state is left alone: a private generator draws them when dpa does not."""
    seed = int(hash_seed, 16) % (2**32)
    drawn = _native.fast_values(seed, config)
    if drawn is not None:
        return drawn
    rng = random.Random(seed)
    return [
        rng.uniform(*config.rotation_range),
        rng.uniform(*config.brightness_range),
        rng.uniform(*config.noise_range),
        rng.uniform(*config.scale_range),
        rng.uniform(*config.contrast_range),
    ]


def record(hash_seed: str, config) -> dict:
    """The reference's record: the five values, then ``hash``."""
    rec = dict(zip(PARAM_KEYS, values(hash_seed, config)))
    rec["hash"] = hash_seed
    return rec
