"""compare() passes a report that reproduces the paper and flags one that does not."""

import copy
import dataclasses
import json

import matplotlib.pyplot as plt
import pytest

from senseslens.paper import (
    ComparisonResult,
    ReportError,
    Tolerance,
    UnknownPaperModelError,
    compare,
)

EXACT = {
    "model": "Qwen/Qwen2.5-Omni-7B",
    "behavior": {"std_v": 64.4, "std_a": 69.0, "mis_v": 16.0, "mis_a": 0.6, "bal": 37.5,
                 "mode": "under-rejection"},
    "probe": {"vision": {"acc": 86.0, "auroc": 91.0}, "audio": {"acc": 75.6},
              "best_layer": 17, "per_layer": [60.0, 70.0, 86.0],
              "controls": {"resid": {"vision": 77.7, "audio": 67.0},
                           "text_tfidf": {"vision": 73.4, "audio": 71.4},
                           "shuffle": {"vision": 50.2, "audio": 49.9},
                           "majority": 66.7}},
    "pgla": {"bal_before": 37.0, "bal_after": 52.9,
             "budgets": {"3pt": {"bal_before": 37.0, "bal_after": 46.0}}},
}


def _verdicts(result: ComparisonResult) -> dict[str, str]:
    return dict(zip(result.to_dataframe().metric, result.to_dataframe().verdict))


def test_exact_report_is_within_everywhere_it_can_be_compared():
    result = compare(EXACT)
    assert result.model == "Qwen2.5-Omni" and result.checkpoint == "Qwen/Qwen2.5-Omni-7B"
    assert result.verdict == {"behavior_cells": "within", "probe": "within", "pgla": "within"}
    assert result.ok
    v = _verdicts(result)
    for metric in ("std_v", "std_a", "mis_v", "mis_a", "bal", "mode", "vision.acc",
                   "audio.acc", "best_layer", "controls.resid.vision", "controls.text_tfidf.audio",
                   "controls.majority",
                   "delta_bal.unconstrained"):
        assert v[metric] == "within", metric
    for metric in ("vision.auroc", "controls.shuffle.vision", "bal_before", "bal_after",
                   "delta_bal.3pt"):
        assert v[metric] == "not published", metric
    df = result.to_dataframe().set_index("metric")
    assert df.loc["mis_v", "published"] == 16.0 and df.loc["mis_v", "difference"] == 0.0
    assert df.loc["delta_bal.unconstrained", "published"] == 15.9
    assert "9.9" in df.loc["delta_bal.3pt", "note"]


def test_perturbed_report_is_flagged_in_the_right_figure():
    bad = copy.deepcopy(EXACT)
    bad["behavior"]["mis_v"] = 16.0 + 10.0
    result = compare(bad)
    assert result.verdict["behavior_cells"] == "outside"
    assert result.verdict["probe"] == "within"
    assert not result.ok
    row = result.to_dataframe().set_index("metric").loc["mis_v"]
    assert row.verdict == "outside" and row.difference == pytest.approx(10.0)
    assert row.tolerance == 5.0 and row.tolerance_source == "default"


def test_perturbed_probe_and_pgla_and_mode():
    bad = copy.deepcopy(EXACT)
    bad["probe"]["vision"]["acc"] = 0.70  # a fraction: read as 70 %
    bad["pgla"]["bal_after"] = 45.0       # ΔBal 8.0 vs 15.9
    bad["behavior"]["mode"] = "over"
    v = _verdicts(compare(bad))
    assert v["vision.acc"] == "outside" and v["delta_bal.unconstrained"] == "outside"
    assert v["mode"] == "outside"


def test_default_boundary_and_uniform_tolerance():
    edge = copy.deepcopy(EXACT)
    edge["behavior"]["std_v"] = 64.4 + 5.0
    assert _verdicts(compare(edge))["std_v"] == "within"
    assert _verdicts(compare(edge, tolerance=1.0))["std_v"] == "outside"
    assert _verdicts(compare(edge, tolerance=Tolerance(accuracy_pt=6.0)))["std_v"] == "within"


def test_bootstrap_ci_takes_precedence_over_default():
    rep = copy.deepcopy(EXACT)
    rep["behavior"]["std_v"] = 71.0                  # 6.6 points off: outside by default
    rep["ci"] = {"behavior": {"std_v": [63.0, 78.0]}}  # but the CI covers 64.4
    rep["behavior"]["std_a_ci"] = [69.5, 71.0]         # tight CI excluding 69.0
    rep["behavior"]["std_a"] = 70.2
    rep["probe"]["vision"]["ci"] = [0.80, 0.85]        # fraction CI, excludes 86.0
    df = compare(rep).to_dataframe().set_index("metric")
    assert df.loc["std_v", "verdict"] == "within"
    assert df.loc["std_v", "tolerance_source"] == "bootstrap CI"
    assert (df.loc["std_v", "ci_lo"], df.loc["std_v", "ci_hi"]) == (63.0, 78.0)
    assert df.loc["std_a", "verdict"] == "outside"
    assert df.loc["vision.acc", "verdict"] == "outside"
    assert df.loc["vision.acc", "ci_hi"] == pytest.approx(85.0)


def test_report_from_json_path_and_explicit_model(tmp_path):
    path = tmp_path / "report.json"
    rep = {k: v for k, v in EXACT.items() if k != "model"}
    path.write_text(json.dumps(rep))
    result = compare(path, model="Qwen2.5-Omni")
    assert result.ok and result.report_model is None
    assert compare(str(path), model="qwen2_5_omni").model == "Qwen2.5-Omni"


def test_unknown_model_and_bad_inputs():
    with pytest.raises(UnknownPaperModelError) as err:
        compare({**EXACT, "model": "my-org/tiny-omni"})
    assert "OLA" in str(err.value) and "Qwen3-Omni" in str(err.value)
    with pytest.raises(ReportError, match="model"):
        compare({"behavior": {"std_v": 50.0}})
    with pytest.raises(ReportError, match="not a file"):
        compare("/nonexistent/report.json")
    with pytest.raises(ReportError, match="behavior.std_v"):
        compare({"model": "OLA", "behavior": {"std_v": "high"}})


def test_not_reported_and_not_published_figures():
    gem = compare({"model": "Gemini 3.1 Pro", "behavior": {"mis_v": 94.0},
                   "probe": {"vision": {"acc": 80.0}}})
    assert gem.verdict == {"behavior_cells": "within", "probe": "not published",
                           "pgla": "not reported"}


def test_bal_computed_when_absent():
    rep = {"model": "OLA", "behavior": {"std_v": 71.0, "std_a": 71.6, "mis_v": 6.8,
                                         "mis_a": 0.0}}
    row = compare(rep).to_dataframe().set_index("metric").loc["bal"]
    assert row.ours == pytest.approx(37.35) and row.verdict == "within"
    assert "computed" in row.note


def test_result_is_frozen_and_plots():
    result = compare(EXACT)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.model = "OLA"
    axes = result.plot()
    assert len(axes) == 3 and all(isinstance(a, plt.Axes) for a in axes)
    ax = result.plot("behavior_cells")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["paper", "ours"]
    frames = result.figure_frames()
    cells = frames["behavior_cells"]
    assert cells.loc[(cells.model == "paper") & (cells.cell == "mis_v"), "accuracy_pct"].item() == 16.0
    with pytest.raises(ValueError, match="unknown figure"):
        result.plot("nope")
