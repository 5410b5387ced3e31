"""`ActivationStore`: read access to an extraction on disk, lazily memory-mapped.

On-disk layout (see ``docs/capture.md``)::

    out/
      manifest.json                      fingerprint + bookkeeping (manifest.py)
      shards/shard-SSSSSSSS-EEEEEEEE.safetensors   items [S, E) of the benchmark

Each shard holds, for ``n = E - S`` items: one tensor ``"{site}.{layer}"`` ``[n, H]`` per site
and layer (``float16`` or ``float32``), ``"choice_logits"`` ``[n, 6]`` float32 (options A-F at
the last prompt token), ``"index"`` ``[n]`` int64 (positions in the benchmark); its header
metadata holds the items' ids and fields. Sites are span names: ``"last"`` is the residual
stream at the last prompt token, any other name (``"image"``, ``"video"``, ``"audio"``,
``"question"``, ...) the mean of the residual stream over that span's positions, NaN for items
without that span. Layer ``i`` is the output of decoder block ``i`` (0-based).

Rows of every array the store returns are the *done* items in benchmark order, the same rows as
`ActivationStore.meta`. A store opened while an extraction is still running is a snapshot;
call `ActivationStore.refresh` to see shards written since.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd
from jaxtyping import Float

from ..errors import StoreError
from .layout import shard_ranges
from .manifest import read_manifest
from .shards import SHARD_DIR, ShardReader, shard_name

ItemSelector = Sequence[int] | Sequence[str] | np.ndarray | slice | None


def tensor_key(site: str, layer: int) -> str:
    """Name of the tensor of ``site`` at ``layer`` inside a shard."""
    return f"{site}.{layer}"


@dataclass(frozen=True, eq=False)
class ActivationStore:
    """A (possibly partial) extraction on disk. Build with `open_store`."""

    root: Path
    manifest: dict[str, Any]

    # -- what is in it -----------------------------------------------------------------
    @property
    def sites(self) -> tuple[str, ...]:
        return tuple(self.manifest["fingerprint"]["sites"])

    @property
    def layers(self) -> tuple[int, ...]:
        """Stored decoder layers (0-based block outputs)."""
        return tuple(self.manifest["fingerprint"]["layers"])

    @property
    def n_layers(self) -> int:
        return len(self.layers)

    @property
    def d_model(self) -> int:
        return int(self.manifest["d_model"])

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(self.manifest["fingerprint"]["dtype"])

    @property
    def variant(self) -> str:
        return str(self.manifest["fingerprint"]["variant"])

    @property
    def n_items(self) -> int:
        """Items the extraction covers when complete (done or not)."""
        return int(self.manifest["n_items"])

    @cached_property
    def _present(self) -> tuple[tuple[tuple[int, int], bool], ...]:
        """Every expected shard range and whether its file existed when first asked (the snapshot)."""
        folder = self.root / SHARD_DIR
        ranges = shard_ranges(self.n_items, int(self.manifest["fingerprint"]["shard_size"]))
        return tuple((r, (folder / shard_name(*r)).exists()) for r in ranges)

    @cached_property
    def _shards(self) -> tuple[ShardReader, ...]:
        folder = self.root / SHARD_DIR
        return tuple(ShardReader(folder / shard_name(*r)) for r, ok in self._present if ok)

    @property
    def missing(self) -> list[tuple[int, int]]:
        """Item index ranges ``[start, stop)`` whose shards were not written (in this snapshot)."""
        return [r for r, ok in self._present if not ok]

    @property
    def complete(self) -> bool:
        return not self.missing

    @cached_property
    def _meta(self) -> pd.DataFrame:
        rows = [r for sh in self._shards for r in sh.metadata["items"]]
        cols = ["index", "item_id", "clip_id", "modality", "premise", "gold", "cell"]
        return pd.DataFrame(rows, columns=cols).reset_index(drop=True)

    @property
    def meta(self) -> pd.DataFrame:
        """One row per done item, in benchmark order: ``index``, ``item_id``, ``clip_id``,
        ``modality``, ``premise``, ``gold``, ``cell`` (a copy; rows align with every array)."""
        return self._meta.copy()

    @property
    def items_done(self) -> tuple[str, ...]:
        """Ids of the items written so far, in benchmark order (``len()`` counts them)."""
        return tuple(self._meta["item_id"])

    def __len__(self) -> int:
        return sum(int(sh.metadata["stop"]) - int(sh.metadata["start"]) for sh in self._shards)

    def __repr__(self) -> str:
        model = self.manifest.get("model_name") or self.manifest["fingerprint"]["model"]["class"]
        return (f"ActivationStore({str(self.root)!r}, model={model!r}, {len(self)}/{self.n_items} items, "
                f"sites={list(self.sites)}, layers={self.n_layers}, d_model={self.d_model}, "
                f"dtype={self.dtype.name})")

    def refresh(self) -> "ActivationStore":
        """A new snapshot that sees shards written since this one was opened."""
        return open_store(self.root)

    # -- reading -----------------------------------------------------------------------
    def _layer(self, layer: int) -> int:
        layers = self.layers
        if -len(layers) <= layer < 0:
            return layers[layer]
        if layer not in layers:
            raise StoreError(f"layer {layer} is not in this store (layers {layers[0]}..{layers[-1]}); "
                             "layer i is the output of decoder block i, 0-based; negative counts from the end.")
        return layer

    def _site(self, site: str) -> str:
        if site not in self.sites:
            raise StoreError(f"site {site!r} is not in this store; it holds {list(self.sites)}. "
                             "Extract again with that site into a new `out` directory.")
        return site

    def _rows(self, items: ItemSelector) -> np.ndarray | slice:
        if items is None:
            return slice(None)
        if isinstance(items, slice):
            return items
        arr = np.asarray(items)
        if arr.dtype == bool:
            return arr
        if arr.dtype.kind in "USO":
            pos = {iid: i for i, iid in enumerate(self._meta["item_id"])}
            unknown = [str(i) for i in arr if str(i) not in pos]
            if unknown:
                raise StoreError(f"items {unknown[:5]} are not in this store (not done, or not in the benchmark).")
            return np.array([pos[str(i)] for i in arr], dtype=np.int64)
        return arr.astype(np.int64)

    def _concat(self, key: str, width: int, dtype: np.dtype) -> np.ndarray:
        parts = [sh.array(key) for sh in self._shards]
        if not parts:
            return np.empty((0, width), dtype=dtype)
        return np.concatenate(parts, axis=0)

    def get(self, site: str = "last", layer: int = -1, items: ItemSelector = None) -> Float[np.ndarray, "n h"]:
        """Vectors of ``site`` at ``layer`` for the done items (rows as `meta`), ``[N, H]``.

        ``items`` picks rows by position, boolean mask, slice or item id. Reads only that
        layer's bytes from disk.
        """
        out = self._concat(tensor_key(self._site(site), self._layer(layer)), self.d_model, self.dtype)
        return np.asarray(out[self._rows(items)])

    def layer_matrix(self, site: str = "last", layers: Sequence[int] | None = None) -> "LayerStack":
        """Lazy ``[N, L, H]`` stack of ``site`` over ``layers`` (default all).

        Indexing it (``m[:, 3:9]``, ``m[idx, -1]``) reads only the layers asked for;
        ``np.asarray(m)`` materialises everything.
        """
        chosen = tuple(self._layer(layer) for layer in (self.layers if layers is None else layers))
        return LayerStack(self, self._site(site), chosen)

    @property
    def choice_logits(self) -> Float[np.ndarray, "n 6"]:
        """Logits of options A-F at the last prompt token, float32 ``[N, 6]`` (logsumexp over
        each letter's token set)."""
        return np.asarray(self._concat("choice_logits", 6, np.dtype(np.float32)))

    @property
    def index(self) -> np.ndarray:
        """Benchmark positions of the done items, int64 ``[N]``."""
        parts = [sh.array("index") for sh in self._shards]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class LayerStack:
    """Lazy ``[N, L, H]`` view over one site of a store (see `ActivationStore.layer_matrix`)."""

    store: ActivationStore
    site: str
    layers: tuple[int, ...]

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.store), len(self.layers), self.store.d_model

    @property
    def dtype(self) -> np.dtype:
        return self.store.dtype

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, key: Any) -> np.ndarray:
        key = key if isinstance(key, tuple) else (key,)
        rows = key[0] if key else slice(None)
        lay = key[1] if len(key) > 1 else slice(None)
        rest = tuple(key[2:])
        picked = np.arange(len(self.layers))[lay]
        if np.ndim(picked) == 0:
            return self.store.get(self.site, self.layers[int(picked)])[(rows,) + rest]
        mats = [self.store.get(self.site, self.layers[int(i)])[rows] for i in picked]
        if not mats:
            return np.empty((len(self), 0, self.shape[2]), self.dtype)[rows]
        stacked = np.stack(mats, axis=1 if mats[0].ndim == 2 else 0)
        return stacked[(Ellipsis,) + rest] if rest else stacked

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self[:, :]
        return out if dtype is None else out.astype(dtype)


def open_store(directory: str | Path) -> ActivationStore:
    """Open the store in ``directory`` read-only (nothing is loaded until used)."""
    root = Path(directory)
    manifest = read_manifest(root)
    if manifest is None:
        raise StoreError(f"no activation store at {root} (no manifest.json); run "
                         "senseslens.extract(model, benchmark, out=...) first or check the path.")
    return ActivationStore(root, manifest)
