"""Comparison helpers for store tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import safetensors.numpy

from senseslens.capture.shards import SHARD_DIR


def shard_contents(root: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """Every shard file of a store, fully loaded, keyed by file name."""
    folder = Path(root) / SHARD_DIR
    return {p.name: safetensors.numpy.load_file(str(p)) for p in sorted(folder.glob("shard-*.safetensors"))}


def assert_same_store(a: str | Path, b: str | Path) -> None:
    """Same shard files with bit-identical tensors (NaNs compared as equal), byte-identical files."""
    ca, cb = shard_contents(a), shard_contents(b)
    assert sorted(ca) == sorted(cb)
    for name in ca:
        assert (Path(a) / SHARD_DIR / name).read_bytes() == (Path(b) / SHARD_DIR / name).read_bytes(), name
    for name in ca:
        assert sorted(ca[name]) == sorted(cb[name]), name
        for key in ca[name]:
            x, y = ca[name][key], cb[name][key]
            assert x.dtype == y.dtype and x.shape == y.shape, (name, key)
            assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), (name, key)
