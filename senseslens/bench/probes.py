"""Benchmark: the batched probe sweep vs the per-layer scikit-learn loop the paper used.

Entries returned by `run`:

* ``probe_sweep_speedup_vs_sklearn``: wall time of the paper's probe sweep (global,
  vision and audio probes x all layers x 4 grouped folds) with `paper_probes` versus
  ``StandardScaler + LogisticRegression(C=1, lbfgs, max_iter=1000)`` per
  layer/fold/probe. Both single-threaded on the same synthetic activations with a
  planted signal. ``value`` = speedup at d=1024 (all layers timed for both). At
  d=3584 the scikit-learn loop runs on a subsample of layers and the ratio is taken
  on that same subsample (stated in the entry; no extrapolation enters ``value``).
* ``probe_max_acc_diff_vs_sklearn``: max over probes and layers of |mean fold
  accuracy (ours) - (scikit-learn)|, in points, same folds.

Synthetic data: clips of 4 items (2 modalities x standard/misleading twins); each
layer is a clip-shared low-rank part with a decaying spectrum, item noise, a few
high-variance "massive" dimensions, and a misleading-vs-standard shift along a
random direction whose strength rises towards the middle layers (weaker for audio).
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

__all__ = ["run", "synthetic_activations"]


def synthetic_activations(n_clips: int, n_layers: int, d: int, seed: int = 0) -> tuple[np.ndarray, pd.DataFrame]:
    """``X [4*n_clips, n_layers, d]`` float32 and meta (clip_id, modality, premise, gold)."""
    rng = np.random.default_rng(seed)
    n = 4 * n_clips
    meta = pd.DataFrame({
        "clip_id": np.repeat(np.arange(n_clips), 4),
        "modality": np.tile(["vision", "vision", "audio", "audio"], n_clips),
        "premise": np.tile(["standard", "misleading"], 2 * n_clips),
    })
    mis = (meta["premise"] == "misleading").to_numpy()
    aud = (meta["modality"] == "audio").to_numpy()
    meta["gold"] = np.where(mis, np.where(aud, "F", "E"), rng.choice(list("ABCD"), n))
    k = 32
    X = np.empty((n, n_layers, d), np.float32)
    spectrum = (np.arange(1, k + 1) ** -0.8) * 4.0
    massive = rng.choice(d, 4, replace=False)
    for layer in range(n_layers):
        A = rng.standard_normal((k, d)).astype(np.float32) / np.sqrt(k)
        Z = (rng.standard_normal((n_clips, k)) * spectrum).astype(np.float32)
        Xl = np.repeat(Z @ A, 4, axis=0) + rng.standard_normal((n, d)).astype(np.float32)
        Xl[:, massive] *= 20.0
        u = rng.standard_normal(d).astype(np.float32)
        u /= np.linalg.norm(u)
        depth = layer / max(1, n_layers - 1)
        strength = 1.1 * np.exp(-((depth - 0.5) ** 2) / 0.08)
        Xl += (mis * np.where(aud, 0.6, 1.0) * strength)[:, None].astype(np.float32) * u * np.sqrt(d) / 8
        X[:, layer] = Xl
    return X, meta


def _sklearn_sweep(X, meta, layers, specs_by_probe, tol=1e-4):
    """The paper's loop: per probe (and label variant), layer and fold a fresh scaler + lbfgs fit.
    Returns ``(wall s, cpu s, {probe: mean fold accuracy [L]})`` (first label variant)."""
    import threadpoolctl
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    out = {}
    t0, c0 = time.perf_counter(), time.process_time()
    with threadpoolctl.threadpool_limits(1):
        for name, variants in specs_by_probe.items():
            for v, (labels, folds) in enumerate(variants):
                accs = np.zeros((len(layers), 4))
                for r, layer in enumerate(layers):
                    for f in range(4):
                        tr, te = (folds >= 0) & (folds != f), folds == f
                        sc = StandardScaler().fit(X[tr, layer])
                        clf = LogisticRegression(C=1.0, solver="lbfgs", max_iter=100_000 if tol < 1e-4 else 1000, tol=tol)
                        clf.fit(sc.transform(X[tr, layer]), labels[tr])
                        accs[r, f] = clf.score(sc.transform(X[te, layer]), labels[te])
                if v == 0:
                    out[name] = accs.mean(1)
    return time.perf_counter() - t0, time.process_time() - c0, out


def _ours(X, meta, layers, controls=()):
    import torch

    from senseslens.analysis.probes import paper_probes

    torch.set_num_threads(1)
    t0, c0 = time.perf_counter(), time.process_time()
    res = paper_probes(X, meta, controls=controls, layers=layers)
    return time.perf_counter() - t0, time.process_time() - c0, res


def _specs(res, controls):
    return {k: [(v.labels, v.folds)] + [(v.controls[c].labels, v.folds) for c in controls] for k, v in res.items()}


def _compare(X, meta, sk_layers, all_layers, ctrl_layers):
    w_all, c_all, res_all = _ours(X, meta, all_layers)
    if sk_layers != all_layers:
        w_sub, c_sub, res_sub = _ours(X, meta, sk_layers)
    else:
        w_sub, c_sub, res_sub = w_all, c_all, res_all
    w_sk, c_sk, sk = _sklearn_sweep(X, meta, sk_layers, _specs(res_sub, ()))
    diffs = {k: float(np.max(np.abs(100 * (res_sub[k].mean("accuracy") - sk[k])))) for k in sk}
    # distance of both solutions from the exact optimum (scikit-learn at tol=1e-10) on two layers
    ex_layers = sorted({int(res_sub["global"].best_layer), int(sk_layers[len(sk_layers) // 4])})
    rows = [list(sk_layers).index(l) for l in ex_layers]
    _, _, exact = _sklearn_sweep(X, meta, ex_layers, _specs(res_sub, ()), tol=1e-10)
    vs_exact = {
        "layers": ex_layers,
        "ours_max_diff_points": float(max(np.max(np.abs(100 * (res_sub[k].mean("accuracy")[rows] - exact[k]))) for k in exact)),
        "sklearn_default_max_diff_points": float(max(np.max(np.abs(100 * (sk[k][rows] - exact[k]))) for k in exact)),
    }
    ctrls = ("shuffle", "control_task")
    w_oc, c_oc, res_c = _ours(X, meta, ctrl_layers, ctrls)
    w_skc, c_skc, _ = _sklearn_sweep(X, meta, ctrl_layers, _specs(res_c, ctrls))
    return {
        "ours_wall_s_all_layers": w_all,
        "ours_cpu_s_all_layers": c_all,
        "ours_wall_s_on_sklearn_layers": w_sub,
        "ours_cpu_s_on_sklearn_layers": c_sub,
        "sklearn_wall_s": w_sk,
        "sklearn_cpu_s": c_sk,
        "sklearn_layers": list(map(int, sk_layers)),
        "n_layers": len(all_layers),
        "speedup_cpu": c_sk / c_sub,
        "speedup_wall": w_sk / w_sub,
        "with_label_controls": {
            "layers": list(map(int, ctrl_layers)),
            "fits_per_layer": 36,
            "ours_cpu_s": c_oc, "sklearn_cpu_s": c_skc, "speedup_cpu": c_skc / c_oc,
            "ours_wall_s": w_oc, "sklearn_wall_s": w_skc, "speedup_wall": w_skc / w_oc,
        },
        "max_acc_diff_points": diffs,
        "vs_exact_optimum": vs_exact,
        "max_solver_iterations": {k: int(v.n_iter.max()) for k, v in res_sub.items()},
        "peak_acc_global_pct": float(100 * res_all["global"].mean("accuracy").max()),
        "peak_layer_global": int(res_all["global"].best_layer),
    }


def run(quick: bool) -> dict:
    """Time the sweep (see module docstring). ``quick``: 800 items x 6 layers x d=256 and
    x 3 layers x d=1024; otherwise 2,000 items x 29 layers x d=1024 (both solvers on all
    layers) and d=3584 (scikit-learn on every 7th layer). The comparison with the two
    label controls runs on every 4th layer (quick: every layer)."""
    if quick:
        cfgs = [("d256", 200, 6, 256, 1, 1), ("d1024", 200, 3, 1024, 1, 1)]
    else:
        cfgs = [("d1024", 500, 29, 1024, 1, 4), ("d3584", 500, 29, 3584, 7, 7)]
    raw = {}
    for key, n_clips, n_layers, d, every, every_ctrl in cfgs:
        X, meta = synthetic_activations(n_clips, n_layers, d)
        all_layers = list(range(n_layers))
        raw[key] = {"n_items": 4 * n_clips, "d": d,
                    **_compare(X, meta, all_layers[::every], all_layers, all_layers[::every_ctrl])}
        del X
    head = raw["d1024"]
    max_diff = max(max(r["max_acc_diff_points"].values()) for r in raw.values())
    return {
        "probe_sweep_speedup_vs_sklearn": {
            "value": head["speedup_cpu"],
            "target": ">= 10",
            "passed": bool(head["speedup_cpu"] >= 10),
            "unit": "x, sklearn CPU seconds / ours, one thread each; global+vision+audio probes x layers x 4 folds",
            "measurements": raw,
            "note": ("CPU time is the headline because the machine is shared (wall times are listed too). "
                     "d3584: sklearn timed on the listed layer subsample and the ratio uses our time on the "
                     "same layers. with_label_controls: shuffle + control-task fits added on both sides."),
        },
        "probe_max_acc_diff_vs_sklearn": {
            "value": max_diff,
            "target": "<= 0.5",
            "passed": bool(max_diff <= 0.5),
            "unit": "accuracy points, max over probes and compared layers (ours tol 1e-6, sklearn default 1e-4)",
            "measurements": {k: r["max_acc_diff_points"] for k, r in raw.items()},
        },
    }


if __name__ == "__main__":  # pragma: no cover
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2, default=float))
