"""Every public name of dpa_rs, used as a client would: checked by `mypy --strict`
(python/tests/test_types.py), and run, so that the types state what the code does."""
from __future__ import annotations

import tempfile

from typing import Any

import numpy as np
import numpy.typing as npt

import dpa_rs
from dpa_rs import AugmentationConfig, ParamsTable, StatisticsPart
from dpa_rs.torch import AugmentedDataset, params_tensors

cfg: AugmentationConfig = dpa_rs.get_preset("mild")
one: dict[str, object] = dpa_rs.gen_augmentation_params(7, cfg)
ranked: dict[str, object] = dpa_rs.gen_distributed_augmentation_params(7, 1, cfg, 0, 2)
chain = dpa_rs.generate_augmentation_chain(10, cfg)
stats: dict[str, dict[str, float]] = dpa_rs.compute_statistics(chain)
with tempfile.TemporaryDirectory() as d:
    dpa_rs.save_augmentation_chain(chain, f"{d}/c.json", cfg)
rows: npt.NDArray[Any] = dpa_rs.params_array(0, 100, cfg, seed=1, epoch=2, threads=2)
some: npt.NDArray[Any] = dpa_rs.params_for_ids(np.arange(5), cfg, rank=1, base_seed=3)
dtype: np.dtype[Any] = dpa_rs.row_dtype(rank=True)
summary: dict[str, dict[str, float]] = dpa_rs.statistics_array(0, 100)
table: ParamsTable = dpa_rs.params_table(0, 100, cfg, seed=1)
listed: ParamsTable = dpa_rs.table_for_ids([1, 2, 3])
names: list[str] = table.column_names
address: int = table.buffer_address("rotation")
part: StatisticsPart = dpa_rs.statistics_part(0, 50) + dpa_rs.statistics_part(50, 50)
merged: dict[str, dict[str, float]] = dpa_rs.merge_statistics([part])
finished: dict[str, dict[str, float]] = part.finish()
count: int = part.count
version: str = dpa_rs.__version__
ds = AugmentedDataset(list(range(10)), cfg, seed=3)
ds.set_epoch(1)
epoch: int | None = ds.epoch
item = ds[0]
tensors = params_tensors(0, 10)
assert merged == finished == summary or count == 100
