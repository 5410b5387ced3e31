"""The study's causal steps: logit lens, twin patching, attention knockout, steering.

They run on a subset of clips (``StudyConfig.causal_items`` clips, all four items of
each), chosen by seed from clips that the steering probe was *not* fitted on.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..analysis.knockout import knockout
from ..analysis.lens import logit_lens
from ..analysis.pairs import twin_pairs
from ..analysis.patching import patch
from ..analysis.probe_estimators import LinearProbe
from ..analysis.steering import steer
from .steps import StudyState, _jsonable, _round


def _subset(state: StudyState) -> tuple[list, np.ndarray]:
    """Items of ``causal_items`` held-out clips, and the training mask for the steering probe."""
    if "causal_subset" in state.results:
        return state.results["causal_subset"]
    clips = np.array([it.clip_id for it in state.items])
    unique = np.unique(clips)
    rng = np.random.default_rng(state.config.seed)
    chosen = set(rng.permutation(unique)[: min(state.config.causal_items, len(unique) // 2)])
    held = np.isin(clips, list(chosen))
    subset = [it for it, h in zip(state.items, held) if h]
    state.results["causal_subset"] = (subset, ~held)
    return subset, ~held


def step_lens(state: StudyState) -> None:
    items, _ = _subset(state)
    res = logit_lens(state.model, items, span="last", batch_size=state.config.batch_size, variant=state.config.variant)
    state.results["lens"] = res
    curves = res.curves(n_boot=200, seed=state.config.seed)
    state.report["lens"] = {
        f"{r.premise}/{r.series}": [] for r in curves.itertuples()
    }
    for r in curves.sort_values("layer").itertuples():
        state.report["lens"][f"{r.premise}/{r.series}"].append(_round(r.prob))


def step_patching(state: StudyState) -> None:
    items, _ = _subset(state)
    spans = [s for s in ("image", "audio", "question", "options", "last") if s in state.model.token_ids or s in ("question", "options", "last")]
    res = patch(state.model, twin_pairs(items, variant=state.config.variant), spans=spans, mode="denoise", n_boot=200, seed=state.config.seed)
    state.results["patching"] = res
    df = res.to_dataframe()
    state.report["patching"] = {
        "mode": "denoise: standard-twin run, misleading-twin values patched in; LD = logit(reject) - logit(standard gold)",
        "effect": {f"{r.span}@{r.layer}": _round(r.effect) for r in df.itertuples()},
        "n_pairs_dropped": _jsonable(getattr(res, "n_dropped", None)),
    }


def step_knockout(state: StudyState) -> None:
    items, _ = _subset(state)
    res = knockout(state.model, items, window=9, batch_size=state.config.batch_size, variant=state.config.variant, n_boot=200, seed=state.config.seed)
    state.results["knockout"] = res
    df = res.to_dataframe()
    state.report["knockout"] = {
        "attn_implementation": res.attn_implementation,
        "rel_change": {f"{r.flow}@{r.layer}": _round(r.rel_change) for r in df.itertuples()},
    }


def step_steering(state: StudyState) -> None:
    items, train = _subset(state)
    layer = state.results["probes"]["global"].best_layer
    X = state.results["X"][:, layer]
    y = (state.meta.premise == "misleading").to_numpy().astype(int)
    probe = LinearProbe().fit(X[train], y[train])
    res = steer(state.model, items, probe, layer=layer, alphas=(0.0, 1.0, 2.0, 4.0, 8.0, 16.0), seed=state.config.seed, batch_size=state.config.batch_size, variant=state.config.variant)
    state.results["steering"] = res
    summary = res.to_dataframe()
    state.report["steering"] = {
        "layer": layer,
        "probe_fitted_on": "the clips outside the steered subset",
        "rows": [{k: _jsonable(v) for k, v in row.items()} for row in summary.to_dict(orient="records")],
    }


CAUSAL_STEPS: tuple[tuple[str, Callable[[StudyState], None]], ...] = (
    ("lens", step_lens),
    ("patching", step_patching),
    ("knockout", step_knockout),
    ("steering", step_steering),
)
