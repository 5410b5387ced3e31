"""`Benchmark`: an immutable, ordered collection of `Item`s that knows the 2x2 design."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence, overload

import numpy as np
import pandas as pd

from ..errors import DataError
from .items import Item

#: The four cells of the design, in the order every table and figure uses.
CELLS: tuple[str, ...] = ("std_v", "std_a", "mis_v", "mis_a")

# Item fields that enter the fingerprint, in this order. Paths enter by file name only,
# so moving a dataset folder keeps its fingerprint; in-memory media enter by content.
_HASHED_FIELDS = ("item_id", "clip_id", "modality", "premise", "question", "options", "gold",
                  "twin_id", "subcategory")
_HASHED_PATHS = ("video", "audio_path", "image_path")
_HASHED_ARRAYS = ("frames", "waveform", "image")

# Criteria accepted by `Benchmark.filter` besides the Item fields themselves.
_DERIVED = {"cell": lambda it: it.cell, "is_misleading": lambda it: it.is_misleading}


def _array_digest(a: np.ndarray) -> str:
    a = np.ascontiguousarray(a)
    h = hashlib.sha256(f"{a.dtype.str}{a.shape}".encode())
    h.update(a.tobytes())
    return h.hexdigest()


def _item_record(item: Item) -> dict[str, Any]:
    rec: dict[str, Any] = {k: getattr(item, k) for k in _HASHED_FIELDS}
    rec["options"] = list(item.options)
    for k in _HASHED_PATHS:
        v = getattr(item, k)
        rec[k] = None if v is None else Path(v).name
    for k in _HASHED_ARRAYS:
        v = getattr(item, k)
        rec[k] = None if v is None else _array_digest(v)
    return rec


@dataclass(frozen=True)
class Benchmark:
    """An ordered, immutable collection of items with unique ``item_id``.

    ``skipped`` counts source rows dropped by a loader (``on_bad_rows="skip"``);
    ``skipped_rows`` holds their ``(row id, reason)`` pairs. ``source`` says where
    the items came from (a path or dataset id), for reports.
    """

    items: tuple[Item, ...]
    skipped: int = 0
    skipped_rows: tuple[tuple[str, str], ...] = ()
    source: str | None = None
    _index: Mapping[str, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        items = tuple(self.items)
        object.__setattr__(self, "items", items)
        index: dict[str, int] = {}
        dupes = []
        for i, it in enumerate(items):
            if not isinstance(it, Item):
                raise DataError(f"Benchmark holds Item objects only; position {i} is {type(it).__name__}.")
            if it.item_id in index:
                dupes.append(it.item_id)
            index[it.item_id] = i
        if dupes:
            raise DataError(f"duplicate item_id(s) {sorted(set(dupes))[:10]}; every item needs a unique id.")
        object.__setattr__(self, "_index", index)

    # -- container protocol -------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self) -> Iterator[Item]:
        return iter(self.items)

    def __contains__(self, item: object) -> bool:
        key = item.item_id if isinstance(item, Item) else item
        return key in self._index

    @overload
    def __getitem__(self, key: int | str) -> Item: ...
    @overload
    def __getitem__(self, key: slice) -> "Benchmark": ...

    def __getitem__(self, key: int | str | slice) -> "Item | Benchmark":
        """An item by position or by ``item_id``; a slice gives a sub-benchmark."""
        if isinstance(key, slice):
            return self._derive(self.items[key])
        if isinstance(key, str):
            if key not in self._index:
                raise KeyError(f"no item with item_id {key!r} in this benchmark")
            return self.items[self._index[key]]
        return self.items[key]

    def __repr__(self) -> str:
        counts = ", ".join(f"{c}={len(v)}" for c, v in self.cells().items())
        return f"Benchmark({len(self)} items, {len(self.clip_ids)} clips; {counts})"

    def _derive(self, items: Iterable[Item]) -> "Benchmark":
        return Benchmark(tuple(items), skipped=self.skipped, skipped_rows=self.skipped_rows, source=self.source)

    # -- the design ---------------------------------------------------------------------
    @property
    def clip_ids(self) -> tuple[str, ...]:
        """Distinct clip ids in first-seen order."""
        return tuple(dict.fromkeys(it.clip_id for it in self.items))

    def cells(self) -> dict[str, "Benchmark"]:
        """The four cells ``std_v, std_a, mis_v, mis_a`` (always all four keys)."""
        groups: dict[str, list[Item]] = {c: [] for c in CELLS}
        for it in self.items:
            groups[it.cell].append(it)
        return {c: self._derive(v) for c, v in groups.items()}

    def twin(self, item: Item | str) -> Item:
        """The item's twin: same clip and modality, the other premise.

        Uses ``item.twin_id`` when set, otherwise pairs by ``(clip_id, modality)``.
        Raises `DataError` when the twin is not in this benchmark.
        """
        it = self[item] if isinstance(item, str) else item
        if it.twin_id is not None:
            if it.twin_id in self._index:
                return self[it.twin_id]
            raise DataError(f"twin {it.twin_id!r} of item {it.item_id!r} is not in this benchmark "
                            "(filtered out, skipped as a bad row, or cut by `limit`).")
        other = "standard" if it.is_misleading else "misleading"
        found = [x for x in self.items
                 if x.clip_id == it.clip_id and x.modality == it.modality and x.premise == other]
        if len(found) != 1:
            raise DataError(f"item {it.item_id!r} has {len(found)} {other} candidates for a twin "
                            f"(clip {it.clip_id!r}, {it.modality}); set Item.twin_id to disambiguate.")
        return found[0]

    def pairs(self) -> list[tuple[Item, Item]]:
        """``(standard, misleading)`` twin pairs, for every misleading item whose twin is present."""
        out = []
        for it in self.items:
            if it.is_misleading:
                try:
                    out.append((self.twin(it), it))
                except DataError:
                    continue
        return out

    # -- selection ----------------------------------------------------------------------
    def filter(self, **criteria: Any) -> "Benchmark":
        """Items whose attributes match every criterion.

        Keys are Item field names or ``cell`` / ``is_misleading``; a value that is a
        list, tuple, set or frozenset means "any of these", e.g.
        ``bench.filter(modality="audio", cell=("std_a", "mis_a"))``.
        """
        known = set(Item.__dataclass_fields__) | set(_DERIVED)
        unknown = sorted(set(criteria) - known)
        if unknown:
            raise DataError(f"unknown filter key(s) {unknown}; use Item fields or {sorted(_DERIVED)}.")

        def get(it: Item, key: str) -> Any:
            return _DERIVED[key](it) if key in _DERIVED else getattr(it, key)

        def ok(it: Item) -> bool:
            for key, want in criteria.items():
                have = get(it, key)
                if isinstance(want, (list, tuple, set, frozenset)) and not isinstance(have, tuple):
                    if have not in want:
                        return False
                elif have != want:
                    return False
            return True

        return self.where(ok)

    def where(self, fn: Callable[[Item], bool]) -> "Benchmark":
        """Items for which ``fn(item)`` is true, order kept."""
        return self._derive(it for it in self.items if fn(it))

    def split_by_clip(self, fractions: Sequence[float], seed: int = 0) -> tuple["Benchmark", ...]:
        """Partition by clip so that no clip straddles two parts.

        Clips are shuffled with ``numpy.random.default_rng(seed)`` and cut into parts
        whose clip counts are proportional to ``fractions`` (which must sum to 1);
        every part with a positive fraction gets at least one clip when there are
        enough clips. Item order inside each part follows this benchmark.
        """
        fr = np.asarray(fractions, dtype=float)
        if fr.ndim != 1 or len(fr) == 0 or (fr < 0).any() or not np.isclose(fr.sum(), 1.0):
            raise DataError(f"fractions must be non-negative and sum to 1, got {list(fractions)}.")
        clips = list(self.clip_ids)
        n_pos = int((fr > 0).sum())
        if len(clips) < n_pos:
            raise DataError(f"cannot split {len(clips)} clip(s) into {n_pos} non-empty parts.")
        order = np.random.default_rng(seed).permutation(len(clips))
        counts = np.floor(fr * len(clips)).astype(int)
        counts[(fr > 0) & (counts == 0)] = 1
        while counts.sum() > len(clips):  # take back from the largest part
            counts[np.argmax(counts)] -= 1
        rest = len(clips) - counts.sum()
        for j in np.argsort(-(fr * len(clips) - np.floor(fr * len(clips))), kind="stable")[:rest]:
            counts[j] += 1
        bounds = np.concatenate([[0], np.cumsum(counts)])
        part_of = {clips[k]: p for p in range(len(fr)) for k in order[bounds[p]:bounds[p + 1]]}
        return tuple(self.where(lambda it, p=p: part_of[it.clip_id] == p) for p in range(len(fr)))

    # -- export -------------------------------------------------------------------------
    def to_dataframe(self) -> pd.DataFrame:
        """One row per item: ids, design, question, options ``option_a..option_d``, gold, media paths."""
        rows = []
        for it in self.items:
            row = {"item_id": it.item_id, "clip_id": it.clip_id, "modality": it.modality,
                   "premise": it.premise, "cell": it.cell, "question": it.question}
            row.update({f"option_{c}": o for c, o in zip("abcd", it.options)})
            row.update({"gold": it.gold, "twin_id": it.twin_id, "subcategory": it.subcategory,
                        "video": it.video, "audio_path": it.audio_path, "image_path": it.image_path})
            rows.append(row)
        cols = ["item_id", "clip_id", "modality", "premise", "cell", "question", "option_a", "option_b",
                "option_c", "option_d", "gold", "twin_id", "subcategory", "video", "audio_path", "image_path"]
        return pd.DataFrame(rows, columns=cols)

    def fingerprint(self) -> str:
        """sha256 hex digest over every item's content, in order.

        Covers the text fields, the gold, twin ids, media file *names* (not their
        directories) and the bytes of in-memory media; not ``meta``, ``skipped`` or
        ``source``. Reordering items changes the fingerprint.
        """
        h = hashlib.sha256(b"senseslens-benchmark-v1\n")
        for it in self.items:
            h.update(json.dumps(_item_record(it), sort_keys=True, ensure_ascii=False).encode())
            h.update(b"\n")
        return h.hexdigest()
