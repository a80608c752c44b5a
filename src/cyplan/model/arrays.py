"""A NumPy array that keeps the names and labels of its dimensions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl


@dataclass(frozen=True)
class Labelled:
    values: np.ndarray
    dims: tuple[str, ...]
    coords: dict[str, tuple[object, ...]]

    def __post_init__(self) -> None:
        if self.values.ndim != len(self.dims):
            raise ValueError(f"{self.values.ndim} axes but dims {self.dims}")
        for axis, dim in enumerate(self.dims):
            if self.values.shape[axis] != len(self.coords[dim]):
                raise ValueError(f"dim {dim}: {self.values.shape[axis]} values, {len(self.coords[dim])} labels")

    def axis(self, dim: str) -> int:
        return self.dims.index(dim)

    def keep(self, dims: Sequence[str]) -> Labelled:
        """Sum over every dimension not named, keeping the named ones in this array's order."""
        drop = tuple(i for i, d in enumerate(self.dims) if d not in dims)
        kept = tuple(d for d in self.dims if d in dims)
        if not drop:
            return self  # nothing to sum: no copy (these arrays can be large)
        return Labelled(self.values.sum(axis=drop), kept, {d: self.coords[d] for d in kept})

    def regroup(self, dim: str, new_dim: str, index: np.ndarray, labels: Sequence[object]) -> Labelled:
        """Sum the labels of `dim` into groups: label i goes to group index[i] (e.g. ages into bands)."""
        axis = self.axis(dim)
        moved = np.moveaxis(self.values, axis, 0)
        out = np.zeros((len(labels), *moved.shape[1:]), dtype=self.values.dtype)
        np.add.at(out, index, moved)
        dims = tuple(new_dim if d == dim else d for d in self.dims)
        coords = {new_dim if d == dim else d: (tuple(labels) if d == dim else self.coords[d]) for d in self.dims}
        return Labelled(np.moveaxis(out, 0, axis), dims, coords)

    def select(self, dim: str, labels: Sequence[object]) -> Labelled:
        idx = [self.coords[dim].index(label) for label in labels]
        return Labelled(np.take(self.values, idx, axis=self.axis(dim)), self.dims,
                        {**self.coords, dim: tuple(labels)})

    def to_frame(self, name: str) -> pl.DataFrame:
        """Long form: one column per dimension, then the values, in label order."""
        grids = np.meshgrid(*(np.arange(len(self.coords[d])) for d in self.dims), indexing="ij")
        columns: dict[str, object] = {}
        for d, grid in zip(self.dims, grids, strict=True):
            labels = np.array(self.coords[d], dtype=object)
            columns[d] = pl.Series(d, labels[grid.ravel()].tolist())
        columns[name] = pl.Series(name, self.values.ravel(), dtype=pl.Float64)
        return pl.DataFrame(columns)
