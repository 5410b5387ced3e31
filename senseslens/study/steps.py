"""The study's steps. Each takes the running `StudyState` and fills its part of it.

Steps only call public analysis functions; the report and figures are built from
what they leave in ``state.results`` and ``state.report``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..analysis.behavior import score_choices
from ..analysis.controls import clip_swap_control
from ..analysis.gap import gap_report
from ..analysis.pgla import pgla
from ..analysis.probe_estimators import LinearProbe
from ..analysis.probes import paper_probes
from ..capture.extract import extract
from ..data.prompts import build_prompt
from ..models.sites import Site
from .config import StudyConfig
from .encoder import detail_labels_available, perception_baseline
from .variants import clip_swap_prompts, without


@dataclass
class StudyState:
    """Everything a study run has produced so far."""

    model: Any
    items: list
    out: Path
    config: StudyConfig
    progress: bool = True
    results: dict[str, Any] = field(default_factory=dict)
    report: dict[str, Any] = field(default_factory=dict)

    @property
    def meta(self) -> pd.DataFrame:
        return self.results["meta"]


def _meta(items: Sequence) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_id": [it.item_id for it in items],
            "clip_id": [it.clip_id for it in items],
            "modality": [it.modality for it in items],
            "premise": [it.premise for it in items],
            "gold": [it.gold for it in items],
            "cell": [it.cell for it in items],
            "question": [it.question for it in items],
        }
    )


def _store(state: StudyState, name: str, **kw: Any):
    c = state.config
    return extract(
        state.model, state.items, out=state.out / name, batch_size=c.batch_size, variant=c.variant,
        dtype=c.dtype, progress=state.progress, **kw,
    )


def step_extract(state: StudyState) -> None:
    store = _store(state, "store")
    state.results.update(store=store, meta=_meta(state.items), choice_logits=np.asarray(store.choice_logits, dtype=np.float64))
    state.report["model"] = state.model.name
    state.report["n_items"] = len(state.items)
    state.report["n_layers"] = int(state.model.n_layers)


def step_behavior(state: StudyState) -> None:
    b = score_choices(state.items, state.results["choice_logits"], model_name=state.model.name, variant=state.config.variant)
    state.results["behavior"] = b
    s = b.summary()  # percent
    state.report["behavior"] = {k: _round(s[k], 2) for k in ("std_v", "std_a", "mis_v", "mis_a", "bal", "false_reject")} | {
        "mode": b.failure_mode,
        "runner_up": {k: _pct(v) for k, v in (b.runner_up or {}).items()},
        "unparseable": int(s["unparseable"]),
    }


def step_probes(state: StudyState) -> None:
    X = np.asarray(state.results["store"].layer_matrix("last"), dtype=np.float32)
    probes = paper_probes(X, state.meta, controls=state.config.controls, seed=state.config.seed, n_boot=state.config.n_boot)
    state.results.update(X=X, probes=probes)
    best = probes["global"].best_layer
    report: dict[str, Any] = {"best_layer": best, "per_layer": {}, "controls": {}}
    for name, res in probes.items():
        report["per_layer"][name] = {
            "accuracy": _pct_list(res.mean("accuracy")),
            "auroc": _round_list(res.mean("auroc")),
        }
        report[name] = {k: (_pct(v) if "accuracy" in k or k == "majority" else _round(v)) for k, v in res.at_layer(best).items()}
    report["controls"] = {
        name: {c: {"accuracy": _pct(float(np.nanmean(ctrl.accuracy))), "auroc": _round(float(np.nanmean(ctrl.auroc)))} for c, ctrl in res.controls.items()}
        for name, res in probes.items()
    }
    state.report["probe"] = report


def step_encoder_baseline(state: StudyState) -> None:
    """Perception baseline from the mean tower/projector output per clip (see `study.encoder`)."""
    model, c = state.model, state.config
    sites = {
        "vision": _first_site(model, ("projector_out", "vision_out"), ("image", "video")),
        "audio": _first_site(model, ("audio_projector_out", "audio_out"), ("audio",)),
    }
    sites = {k: v for k, v in sites.items() if v is not None}
    if not sites or not detail_labels_available(state.items):
        state.report.setdefault("probe", {})["encoder_baseline"] = {
            "skipped": "needs a tower per modality and items that name their detail (meta 'target'/'present')"}
        return
    feats: dict[str, list[np.ndarray]] = {k: [] for k in sites}
    for start in range(0, len(state.items), c.batch_size):
        chunk = state.items[start : start + c.batch_size]
        batch = model.encode([build_prompt(it, c.variant, n_frames=c.n_frames) for it in chunk])
        wanted = [s for s in sites.values() if s.span in batch.spans.names()]
        out = model.run(batch, capture=wanted)
        for k, s in sites.items():
            value = out.captures.get(s)
            feats[k].append(np.full((len(chunk), 1), np.nan) if value is None else value.float().cpu().numpy())
    report = {}
    for k, parts in feats.items():
        F = np.concatenate(parts)
        idx = [i for i, it in enumerate(state.items) if it.modality == k and np.isfinite(F[i]).all()]
        if not idx:
            continue
        res = perception_baseline(F[idx], [state.items[i] for i in idx], seed=c.seed)
        report[k] = {"site": str(sites[k]), "auroc": _round(res["auroc"]), "accuracy": _pct(res["accuracy"]), "n_items": res["n_items"]}
    state.report.setdefault("probe", {})["encoder_baseline"] = report


def _first_site(model: Any, components: Sequence[str], spans: Sequence[str]) -> Site | None:
    role_of = {"projector_out": "projector", "vision_out": "vision_tower", "audio_projector_out": "audio_projector", "audio_out": "audio_tower"}
    for comp in components:
        if getattr(model, role_of[comp], None) is not None:
            span = next((s for s in spans if s in model.token_ids), None)
            if span is not None:
                return Site(comp, None, span, "mean")
    return None


def step_ablations(state: StudyState) -> None:
    logits = {}
    for kind, key in (("audio", "no_audio"), ("vision", "no_video")):
        store = _store(state, f"store_{key}", sites=("last",), layers=(0,), prompt_fn=without(kind, state.config.variant, state.config.n_frames))
        logits[key] = np.asarray(store.choice_logits, dtype=np.float64)
    state.results["ablations"] = logits


def step_gap(state: StudyState) -> None:
    g = gap_report(state.results["probes"], state.results["choice_logits"], state.meta, ablations=state.results.get("ablations"), n_boot=state.config.n_boot, seed=state.config.seed)
    state.results["gap"] = g
    table = g.table.set_index("modality") if "modality" in g.table.columns else g.table
    state.report["gap"] = {str(m): {k: _jsonable(v) for k, v in row.items()} for m, row in table.iterrows()}
    # per modality (standard vs misleading items of that modality only): margins of
    # different modalities are calibrated differently, so pooling them would fake a gap
    state.report["own_margin_auroc"] = {str(m): _jsonable(row.get("margin_auroc")) for m, row in table.iterrows()}
    for m, value in state.report["own_margin_auroc"].items():
        state.report.get("probe", {}).get(m, {})["own_margin_auroc"] = value
    state.report["gap"]["cis"] = {
        str(m): {k: {"estimate": _round(ci.estimate), "low": _round(ci.low), "high": _round(ci.high), "p_le_zero": _round(ci.p_le_zero), "unit": ci.unit} for k, ci in cis.items()}
        for m, cis in g.cis.items()
    }
    state.report["gap"]["knows_not_says"] = int(len(g.knows_not_says))
    if len(g.interference):
        state.report["interference"] = g.interference.to_dict(orient="records")


def step_clip_swap(state: StudyState) -> None:
    """Same questions, another clip: a probe that reads only the wording cannot change its answer."""
    c = state.config
    best = state.results["probes"]["global"].best_layer
    prompt_fn, swapped = clip_swap_prompts(state.items, c.variant, c.seed, c.n_frames)
    store = _store(state, "store_clipswap", sites=("last",), layers=(best,), prompt_fn=prompt_fn)
    X_swap = np.asarray(store.get("last", best), dtype=np.float32)
    X = state.results["X"][:, best]
    meta = state.meta
    rng = np.random.default_rng(c.seed)
    clips = meta.clip_id.unique()
    train_clips = set(rng.permutation(clips)[: len(clips) // 2])
    train = meta.clip_id.isin(train_clips).to_numpy()
    y = (meta.premise == "misleading").to_numpy().astype(int)
    probe = LinearProbe().fit(X[train], y[train])
    test = ~train
    swapped_arr = np.array([-1 if s is None else s for s in swapped])
    known = test & (swapped_arr >= 0)
    res = clip_swap_control(probe, X[known], X_swap[known], labels=y[known], swapped_labels=swapped_arr[known]) if known.any() else clip_swap_control(probe, X[test], X_swap[test], labels=y[test])
    state.results["clip_swap"] = res
    state.report["probe"]["clip_swap"] = {
        "flip_rate": _round(res.flip_rate), "mean_abs_delta": _round(res.mean_abs_delta),
        "accuracy_original": _pct(res.accuracy_original), "accuracy_swapped": _pct(res.accuracy_swapped),
        "auroc_swapped": _round(res.auroc_swapped), "layer": best, "n_items": int(known.sum() or test.sum()),
    }


def step_pgla(state: StudyState) -> None:
    best = state.results["probes"]["global"].best_layer
    res = pgla(state.results["choice_logits"], state.results["X"][:, best].astype(np.float64), state.meta, seed=state.config.seed)
    state.results["pgla"] = res
    s = res.summary
    out: dict[str, Any] = {"layer": best, "beta": _round(res.beta), "probe_accuracy": {k: _pct(v) for k, v in res.probe_accuracy.items()}}
    for method, rows in s.groupby("method"):
        key = "constant_bias" if method == "constant_bias" else method
        out[key] = {str(r["budget"]): {k: _jsonable(r[k]) for k in r.index if k.endswith("_pct")} for _, r in rows.iterrows()}
    state.report["pgla"] = {k: v for k, v in out.items() if k != "constant_bias"}
    state.report["constant_bias"] = out.get("constant_bias", {})


# --- small JSON helpers -------------------------------------------------------------------
def _round(x: Any, nd: int = 4) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if not np.isfinite(v) else round(v, nd)


def _pct(x: Any) -> float | None:
    """A fraction in [0, 1] as percent, 2 decimals."""
    v = _round(x, 8)
    return None if v is None else round(100 * v, 2)


def _pct_list(xs: Any) -> list[float | None]:
    return [_pct(x) for x in np.asarray(xs).tolist()]


def _round_list(xs: Any) -> list[float | None]:
    return [_round(x) for x in np.asarray(xs).tolist()]


def _jsonable(x: Any) -> Any:
    if isinstance(x, (np.integer,)):
        return int(x)
    if isinstance(x, (np.floating, float)):
        return _round(x)
    if isinstance(x, (np.bool_, bool)):
        return bool(x)
    if isinstance(x, (list, tuple)):
        return [_jsonable(v) for v in x]
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if x is None or isinstance(x, (int, str)):
        return x
    return str(x)
