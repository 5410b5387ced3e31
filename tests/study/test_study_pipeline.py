"""The whole-study pipeline on a tiny random omni model: every section written, resumable."""

from __future__ import annotations

import json

import pytest

import senseslens as sl
from senseslens.data.synthetic import synthetic_imavb
from senseslens.errors import SensesLensError
from senseslens.study import StudyConfig, study
from senseslens.testing.tiny import build_tiny

REQUIRED = ("behavior", "probe", "own_margin_auroc", "gap", "pgla", "constant_bias", "lens", "patching", "knockout", "steering", "timings")


@pytest.fixture(scope="module")
def tiny_study(tmp_path_factory):
    t = build_tiny("qwen2_5_omni_thinker")
    model = sl.load(t.model, t.processor, name="tiny-omni")
    bench = synthetic_imavb(n_clips=24, seed=5, image_scale=2)
    out = tmp_path_factory.mktemp("study")
    config = StudyConfig(causal=True, causal_items=6, n_boot=100, controls=("shuffle", "control_task", "tfidf"), batch_size=16)
    return model, bench, out, config, study(model, bench, out, config=config, progress=False)


def test_report_has_every_section(tiny_study):
    _, bench, out, _, result = tiny_study
    report = json.loads((out / "report.json").read_text())
    for key in REQUIRED:
        assert key in report, key
    b = report["behavior"]
    assert set(b) >= {"std_v", "std_a", "mis_v", "mis_a", "bal", "mode"}
    assert b["bal"] == pytest.approx(0.5 * ((b["std_v"] + b["std_a"]) / 2 + (b["mis_v"] + b["mis_a"]) / 2), abs=0.02)
    assert report["n_items"] == len(bench)
    probe = report["probe"]
    assert len(probe["per_layer"]["global"]["accuracy"]) == report["n_layers"]
    for m in ("vision", "audio"):
        assert 0 <= probe[m]["own_margin_auroc"] <= 1
        assert "shuffle_accuracy" in probe[m] and "control_task_accuracy" in probe[m]
    assert "unconstrained" in report["constant_bias"] and "unconstrained" in report["pgla"]["pgla"]
    assert "clip_swap" in probe and "encoder_baseline" in probe
    assert (out / "report.md").read_text().startswith("# senseslens study")


def test_figures_written(tiny_study):
    _, _, out, _, result = tiny_study
    for name in ("behavior_cells.png", "probe_layers.png", "probe_vs_behavior.png", "pgla_pareto.png", "lens_curves.png",
                 "patching_heatmap.png", "knockout_curves.png", "steering_closure.png"):
        assert (out / "figures" / name).stat().st_size > 5_000, name
    assert set(result.report["figures"]) >= {"behavior_cells.png", "probe_layers.png"}


def test_rerun_reuses_the_stores_and_gives_the_same_numbers(tiny_study):
    model, bench, out, config, first = tiny_study
    again = study(model, bench, out, config=config, progress=False)
    assert again.report["behavior"] == first.report["behavior"]
    assert again.report["probe"]["vision"] == first.report["probe"]["vision"]
    assert again.report["timings"]["extract"] < max(first.report["timings"]["extract"], 0.5) + 1.0


def test_result_object_views(tiny_study):
    result = tiny_study[-1]
    df = result.to_dataframe()
    assert {"section", "metric", "value"} <= set(df.columns) and len(df) > 5
    with pytest.raises(SensesLensError, match="available"):
        result.plot("no_such_figure")
