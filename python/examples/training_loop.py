#!/usr/bin/env python3
"""Augmentation parameters in a training loop, looked up from a precomputed array.

The parameters of every sample are computed once per epoch, in parallel outside the
GIL (``dpa_rs.params_array`` with seed-and-epoch seeding: the same values on any number
of workers or ranks, other values each epoch). ``__getitem__`` then only indexes the
array. The class has the shape of a ``torch.utils.data.Dataset`` without needing
PyTorch; with PyTorch, ``dpa_rs.torch.AugmentedDataset`` does this for any dataset
(python/examples/torch_dataloader.py).

    python python/examples/training_loop.py
"""
from typing import Any

import numpy as np

import dpa_rs


class AugmentedDataset:
    """Samples ``0 .. n`` with the augmentation parameters of the current epoch."""

    def __init__(self, n: int, seed: int, config: Any = None) -> None:
        self.n, self.seed, self.config = n, seed, config
        self.set_epoch(0)

    def set_epoch(self, epoch: int) -> None:
        # 112 bytes a sample: 10 million samples take 1.1 GB, computed in seconds.
        self.params = dpa_rs.params_array(0, self.n, self.config, seed=self.seed, epoch=epoch)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> dict[str, Any]:
        row = self.params[i]
        image = np.full((4, 4), float(i))  # stands for the sample's data
        return {
            "image": image * row["brightness"] + row["noise"],
            "rotation": float(row["rotation"]),
            "scale": float(row["scale"]),
        }


def main() -> None:
    data = AugmentedDataset(10_000, seed=7, config=dpa_rs.get_preset("mild"))
    for epoch in range(2):
        data.set_epoch(epoch)
        rotations = [data[i]["rotation"] for i in range(0, len(data), 1000)]
        print(f"epoch {epoch}: rotation of samples 0, 1000, ...: {np.round(rotations[:4], 3)}")
    # The same (seed, epoch, id) gives the same parameters in any process.
    again = dpa_rs.params_array(1000, 1, dpa_rs.get_preset("mild"), seed=7, epoch=1)
    assert again[0]["rotation"] == data.params[1000]["rotation"]


if __name__ == "__main__":
    main()
