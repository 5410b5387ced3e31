"""plot_pgla_delta, lens, patching, knockout and steering draw what they are given."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import TwoSlopeNorm

from senseslens.figures import (
    FigureInputError,
    plot_knockout_curves,
    plot_lens_curves,
    plot_patching_heatmap,
    plot_pgla_delta,
    plot_steering_closure,
)


def test_pgla_delta_from_before_after_with_constant_bias_neighbours():
    df = pd.DataFrame({
        "model": ["m1"] * 4 + ["m2"] * 2,
        "method": ["pgla", "constant_bias", "pgla", "constant_bias", "pgla", "constant_bias"],
        "budget": ["unconstrained", "unconstrained", "1pt", "1pt", "unconstrained", "unconstrained"],
        "bal_before_pct": [40.0] * 6,
        "bal_after_pct": [55.0, 54.0, 45.0, 41.0, 48.0, 49.5],
    })
    ax = plot_pgla_delta(df)
    heights = [round(p.get_height(), 9) for p in ax.patches]
    assert sorted(heights) == sorted([15.0, 14.0, 5.0, 1.0, 8.0, 9.5])
    # within a budget the two methods are adjacent: pgla left of its constant-bias control
    xs = {round(p.get_height(), 9): p.get_x() for p in ax.patches}
    assert xs[15.0] < xs[14.0] < xs[5.0] < xs[1.0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "constant E/F bias" in labels and "PGLA (probe-gated)" in labels


def test_pgla_accepts_published_delta_only_and_skips_nan():
    df = pd.DataFrame({
        "model": ["a", "avg", "avg"], "method": ["pgla"] * 3,
        "budget": ["unconstrained", "unconstrained", "3pt"],
        "bal_before_pct": [np.nan] * 3, "bal_after_pct": [np.nan] * 3,
        "delta_bal_pct": [18.8, 15.0, np.nan],
    })
    ax = plot_pgla_delta(df)
    assert sorted(round(p.get_height(), 9) for p in ax.patches) == [15.0, 18.8]
    assert {"+18.8", "+15.0"} <= {t.get_text() for t in ax.texts}


def test_pgla_without_values_names_the_options():
    df = pd.DataFrame({"model": ["a"], "method": ["pgla"], "budget": ["1pt"]})
    with pytest.raises(FigureInputError, match="bal_before_pct") as err:
        plot_pgla_delta(df)
    assert "delta_bal_pct" in str(err.value)


def test_lens_lines_and_ci_band():
    df = pd.DataFrame({
        "layer": [0, 1, 2] * 2, "premise": ["standard"] * 3 + ["misleading"] * 3,
        "series": ["correct"] * 6, "prob": [0.1, 0.6, 0.8, 0.1, 0.3, 0.2],
        "lo": [0.05, 0.5, 0.7, 0.05, 0.2, 0.1], "hi": [0.15, 0.7, 0.9, 0.15, 0.4, 0.3],
    })
    ax = plot_lens_curves(df)
    styles = sorted(line.get_linestyle() for line in ax.lines)
    assert styles == ["-", "--"]
    assert len(ax.collections) == 2
    ys = sorted(np.concatenate([line.get_ydata() for line in ax.lines]).round(9))
    assert ys == sorted(df["prob"].round(9))


def test_patching_heatmap_is_centred_at_zero_with_layer_on_x():
    df = pd.DataFrame({"layer": [0, 1, 2] * 2, "span": ["video"] * 3 + ["question"] * 3,
                       "effect": [0.1, 0.9, 1.3, -0.4, 0.0, 0.2]})
    ax = plot_patching_heatmap(df)
    image = ax.images[0]
    assert isinstance(image.norm, TwoSlopeNorm) and image.norm.vcenter == 0.0
    assert image.norm.vmax == pytest.approx(1.3) and image.norm.vmin == pytest.approx(-1.3)
    assert image.get_array().shape == (2, 3)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["video", "question"]
    assert image.get_array()[0, 2] == pytest.approx(1.3)


def test_knockout_lines_per_flow_with_band():
    df = pd.DataFrame({"layer": [0, 4, 0, 4], "flow": ["video->last"] * 2 + ["audio->last"] * 2,
                       "rel_change": [-0.1, -0.5, 0.0, -0.05], "lo": [-0.2, -0.6, -0.1, -0.1],
                       "hi": [0.0, -0.4, 0.1, 0.0]})
    ax = plot_knockout_curves(df)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["video->last", "audio->last"]
    assert len(ax.collections) == 2
    assert ax.yaxis.get_major_formatter()(-0.5, 0) == "-50%"


def test_steering_twin_axis_holds_false_rejections():
    df = pd.DataFrame({"alpha": [0, 1, 2] * 2, "method": ["probe"] * 3 + ["random"] * 3,
                       "closure": [0.0, 0.4, 0.7, 0.0, 0.05, 0.1],
                       "false_reject": [0.0, 0.1, 0.3, 0.0, 0.02, 0.05]})
    ax = plot_steering_closure(df)
    twin = ax.twin_false_reject
    assert sorted(np.concatenate([l.get_ydata() for l in twin.lines]).round(9)) == sorted(
        df["false_reject"].round(9))
    curves = [l for l in ax.lines if l.get_marker() == "o"]  # not the zero reference line
    assert sorted(np.concatenate([l.get_ydata() for l in curves]).round(9)) == sorted(
        df["closure"].round(9))
