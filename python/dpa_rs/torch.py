"""dpa_rs for PyTorch: a map-style ``Dataset`` that attaches each sample's augmentation
parameters, by index.

    from dpa_rs.torch import AugmentedDataset
    ds = AugmentedDataset(my_dataset, seed=1234)       # per-epoch values
    loader = DataLoader(ds, batch_size=64, num_workers=4, shuffle=True)
    for epoch in range(10):
        ds.set_epoch(epoch)                            # workers see it, persistent too
        for images, params in loader:
            params["rotation"]                         # float64 tensor of the batch
            params["hash"]                             # list of 64-character digests

Item ``i`` is ``(dataset[i], params)``, ``params`` a dict of the five parameters (Python
floats, which ``default_collate`` makes float64 tensors) and ``hash`` (the hex digest).
The values depend only on the index (plus the seeding), never on workers, start method,
shuffling or sampler: the same bits in one process or across ``DistributedSampler``
ranks. A batch (``__getitems__``, which DataLoader calls with a batch sampler) is
computed in one native call. Importing this module imports torch; ``dpa_rs`` alone
never does.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import multiprocessing.context
from typing import Any, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from ._arrays import _check_id, _seeding, params_array, params_for_ids
from ._core import PARAM_KEYS

__all__ = ["AugmentedDataset", "params_tensors"]


class _SharedEpoch:
    """An epoch number in shared memory: set in the main process, read by DataLoader
    workers (forked, spawned, persistent). Pickled outside of starting a process, it
    travels as a plain number."""

    __slots__ = ("_raw",)

    def __init__(self, value: int, raw: Any = None) -> None:
        self._raw = raw if raw is not None else multiprocessing.RawValue(ctypes.c_uint64, value)

    @property
    def value(self) -> int:
        return int(self._raw.value)

    @value.setter
    def value(self, v: int) -> None:
        self._raw.value = v

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        if multiprocessing.context.get_spawning_popen() is not None:
            return (_SharedEpoch, (0, self._raw))  # a worker being started: share it
        return (_SharedEpoch, (self.value,))


def _params(row: Any) -> dict[str, Any]:
    out: dict[str, Any] = {key: float(row[key]) for key in PARAM_KEYS}
    out["hash"] = row["hash"].decode()
    return out


class AugmentedDataset(Dataset):  # type: ignore[type-arg]
    """``dataset`` with each item's augmentation parameters: item ``i`` is
    ``(dataset[i], params)`` for sample id ``start_id + i``.

    Seeding: plain (the reference's ``gen_augmentation_params``) by default;
    ``seed``/``epoch`` for per-epoch values (change the epoch with ``set_epoch``);
    ``rank``/``base_seed`` for the reference's rank-aware values. ``config``: an
    ``AugmentationConfig`` or a dict of its fields (default: moderate).
    """

    def __init__(
        self,
        dataset: Any,
        config: Any = None,
        *,
        seed: int | None = None,
        epoch: int | None = None,
        rank: int | None = None,
        base_seed: int = 0,
        start_id: int = 0,
    ) -> None:
        _seeding(seed, epoch, rank, base_seed)  # refuses a bad combination now
        self.dataset = dataset
        self.config = config
        self.seed = seed
        self.rank = rank
        self.base_seed = base_seed
        self.start_id = _check_id("start_id", start_id)
        self._epoch = _SharedEpoch(0 if epoch is None else _check_id("epoch", epoch))

    @property
    def epoch(self) -> int | None:
        """The epoch the values are seeded with (``None`` without ``seed``)."""
        return self._epoch.value if self.seed is not None else None

    def set_epoch(self, epoch: int) -> None:
        """Seeds the following items with ``epoch`` (workers started already, persistent
        ones included, see it). Needs ``seed``."""
        if self.seed is None:
            raise ValueError("set_epoch needs seed=: per-epoch values are seeded with seed and epoch")
        self._epoch.value = _check_id("epoch", epoch)

    def __len__(self) -> int:
        return len(self.dataset)

    def _index(self, i: int) -> int:
        n = len(self)
        i = int(i)
        if not -n <= i < n:
            raise IndexError(f"index {i} out of range for a dataset of {n}")
        return i + n if i < 0 else i

    def _rows(self, indices: Sequence[int]) -> np.ndarray:
        ids = np.fromiter((self.start_id + self._index(i) for i in indices), dtype=np.uint64, count=len(indices))
        keyed = {"seed": self.seed, "epoch": self._epoch.value} if self.seed is not None else {}
        ranked = {"rank": self.rank, "base_seed": self.base_seed} if self.rank is not None else {}
        return params_for_ids(ids, self.config, threads=1, **keyed, **ranked)

    def __getitem__(self, i: int) -> tuple[Any, dict[str, Any]]:
        row = self._rows([i])[0]
        return self.dataset[self._index(i)], _params(row)

    def __getitems__(self, indices: Sequence[int]) -> list[tuple[Any, dict[str, Any]]]:
        """A whole batch: its parameters in one native call."""
        rows = self._rows(indices)
        wanted = [self._index(i) for i in indices]
        many = getattr(self.dataset, "__getitems__", None)
        items = many(wanted) if many is not None else [self.dataset[i] for i in wanted]
        return [(item, _params(row)) for item, row in zip(items, rows)]


def params_tensors(
    start_id: int,
    n: int,
    config: Any = None,
    *,
    seed: int | None = None,
    epoch: int | None = None,
    rank: int | None = None,
    base_seed: int = 0,
    threads: int | None = None,
) -> dict[str, torch.Tensor]:
    """The records of ``start_id .. start_id + n`` as torch tensors: the five parameters
    (float64) and ``sample_id`` (int64 when every id fits, else uint64). Each column is
    copied once out of dpa's read-only buffer into a tensor torch owns (writable, no
    warning); for views without a copy, use ``params_table`` and
    ``torch.from_dlpack``."""
    arr = params_array(start_id, n, config, seed=seed, epoch=epoch, rank=rank, base_seed=base_seed, threads=threads)
    out = {key: torch.from_numpy(np.array(arr[key], dtype=np.float64)) for key in PARAM_KEYS}
    ids = np.array(arr["sample_id"])
    fits = ids.size == 0 or int(ids.max()) < 2**63
    out["sample_id"] = torch.from_numpy(ids.astype(np.int64) if fits else ids)
    return out
