#!/usr/bin/env python3
"""Per-epoch augmentation parameters in a PyTorch DataLoader, with workers.

``dpa_rs.torch.AugmentedDataset`` wraps any map-style dataset: item ``i`` becomes
``(dataset[i], params)``, the parameters of sample ``i`` for the current epoch. They
depend only on (seed, epoch, index): the same with 0 or 8 workers, fork or spawn,
shuffled or not, on every rank of a DistributedSampler. ``set_epoch`` reaches the
workers, persistent ones included. Batches compute their parameters in one native call.

    python python/examples/torch_dataloader.py
"""
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset

import dpa_rs
from dpa_rs.torch import AugmentedDataset


class Images(Dataset[torch.Tensor]):
    """Stands for a dataset of images: item ``i`` is a 4x4 image of the value ``i``."""

    def __len__(self) -> int:
        return 1000

    def __getitem__(self, i: int) -> torch.Tensor:
        return torch.full((4, 4), float(i))


def augment(images: torch.Tensor, params: dict[str, Any]) -> torch.Tensor:
    """Applies two of the parameters to a batch (float64 tensors, one value a sample)."""
    brightness = params["brightness"].to(images.dtype).view(-1, 1, 1)
    noise = params["noise"].to(images.dtype).view(-1, 1, 1)
    out: torch.Tensor = images * brightness + noise
    return out


def main() -> None:
    data = AugmentedDataset(Images(), dpa_rs.get_preset("moderate"), seed=1234)
    loader = DataLoader(data, batch_size=100, shuffle=True, num_workers=2, persistent_workers=True)
    for epoch in range(2):
        data.set_epoch(epoch)
        for images, params in loader:
            batch = augment(images, params)
            assert params["rotation"].dtype == torch.float64 and len(params["hash"]) == len(batch)
        print(f"epoch {epoch}: last batch's first rotation {params['rotation'][0].item():.6f}")
    # The same (seed, epoch, index) gives the same bits in this process, without workers.
    row = dpa_rs.params_array(7, 1, dpa_rs.get_preset("moderate"), seed=1234, epoch=1)
    assert data[7][1]["rotation"] == float(row["rotation"][0])


if __name__ == "__main__":
    main()
