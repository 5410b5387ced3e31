"""Benchmark: batched activation patching vs one forward per patch.

Entry returned by `run`:

* ``patch_batched_speedup``: wall time of `patch` run as one forward per patch (one pair, one
  (window, span) patch per forward: ``batch_size=1, batch_patches=1``) divided by the time of
  the batched run (4 pairs x every patch of them in one expanded forward:
  ``batch_size=4, batch_patches=n_patches``). Same pairs, spans and layers; single-threaded
  CPU; a tiny random Qwen2.5-VL (2 layers, hidden 64) from the test zoo. Best of ``repeats``
  timings after one warm-up each. ``max_abs_ld_diff`` checks that both give the same logit
  differences.

  The entry also reports ``copies_only_speedup``: ``batch_size=4`` in both runs, so only the
  patched copies are batched (``batch_patches=1`` vs all). On CPU a forward's cost grows about
  linearly with its rows, so that ratio stays small; batching pays mostly by amortising the
  per-forward overhead, which dominates for small batches (and on accelerators).
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

__all__ = ["run"]

_SPANS = ("image", "question", "options", "last", "all")


def _prompts(tiny: Any, n: int, offset: int) -> list:
    from ..data.items import Item
    from ..data.prompts import build_a1

    item = Item(item_id="b0", clip_id="c0", modality="vision", premise="standard", question="where is the red circle ?",
                options=("top left", "top right", "bottom left", "bottom right"), gold="A")
    base = build_a1(item)
    return [dataclasses.replace(base, images=[tiny.sample_media(offset + i)["image"]]) for i in range(n)]


def _best(fn, repeats: int) -> float:
    fn()  # warm-up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def run(quick: bool = False) -> dict[str, dict[str, Any]]:
    import numpy as np
    import torch

    from ..analysis.patching import patch
    from ..models.loading import load
    from ..testing.tiny import build_tiny

    torch.set_num_threads(1)
    tiny = build_tiny("qwen2_5_vl", seed=0)
    model = load(tiny.model, tiny.processor, name="tiny-qwen2_5_vl")
    n_pairs, repeats = (4, 1) if quick else (8, 3)
    clean, corrupted = _prompts(tiny, n_pairs, 0), _prompts(tiny, n_pairs, 100)
    n_patches = model.n_layers * len(_SPANS)
    kw = dict(spans=_SPANS, correct="A", foil="B", min_diff=None, n_boot=0)
    results = {}

    def once(bs: int, k: int) -> None:
        results[bs, k] = patch(model, clean, corrupted, batch_size=bs, batch_patches=k, **kw)

    t_one = _best(lambda: once(1, 1), repeats)
    t_pairs = _best(lambda: once(4, 1), repeats)
    t_many = _best(lambda: once(4, n_patches), repeats)
    diff = float(np.nanmax(np.abs(results[1, 1].ld_patched - results[4, n_patches].ld_patched)))
    speedup = t_one / t_many
    return {
        "patch_batched_speedup": {
            "value": round(speedup, 3), "target": ">= 3", "passed": bool(speedup >= 3.0), "unit": "x",
            "seconds_one_per_patch": round(t_one, 4), "seconds_batched": round(t_many, 4),
            "seconds_pairs_batched_only": round(t_pairs, 4), "copies_only_speedup": round(t_pairs / t_many, 3),
            "n_pairs": n_pairs, "patches_per_pair": n_patches, "batch_patches": n_patches, "batch_size": 4,
            "model": "tiny qwen2_5_vl (2 layers, hidden 64), CPU, 1 thread", "max_abs_ld_diff": diff,
        }
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick=False), indent=1))
