"""Contract every figure function keeps: draws from a minimal frame, names missing columns,
accepts an Axes, never mutates its input."""

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from senseslens.figures import (
    FigureInputError,
    plot_cells,
    plot_knockout_curves,
    plot_lens_curves,
    plot_patching_heatmap,
    plot_pgla_delta,
    plot_probe_vs_behavior,
    plot_steering_closure,
)

MINIMAL = {
    "cells": (plot_cells, pd.DataFrame({
        "model": ["m"] * 4, "cell": ["std_v", "std_a", "mis_v", "mis_a"],
        "accuracy_pct": [70.0, 60.0, 10.0, 5.0]})),
    "dumbbell": (plot_probe_vs_behavior, pd.DataFrame({
        "model": ["m"], "modality": ["vision"], "probe_pct": [80.0], "behavior_pct": [10.0]})),
    "pgla": (plot_pgla_delta, pd.DataFrame({
        "model": ["m"], "method": ["pgla"], "budget": ["unconstrained"],
        "bal_before_pct": [40.0], "bal_after_pct": [52.0]})),
    "lens": (plot_lens_curves, pd.DataFrame({
        "layer": [0, 1, 0, 1], "premise": ["standard"] * 2 + ["misleading"] * 2,
        "series": ["correct"] * 4, "prob": [0.1, 0.5, 0.1, 0.2]})),
    "patching": (plot_patching_heatmap, pd.DataFrame({
        "layer": [0, 1, 0, 1], "span": ["video", "video", "audio", "audio"],
        "effect": [0.1, 0.8, -0.2, 0.0]})),
    "knockout": (plot_knockout_curves, pd.DataFrame({
        "layer": [0, 1], "flow": ["video->last"] * 2, "rel_change": [-0.1, -0.4]})),
    "steering": (plot_steering_closure, pd.DataFrame({
        "alpha": [0.0, 1.0], "method": ["probe"] * 2, "closure": [0.0, 0.5],
        "false_reject": [0.0, 0.1]})),
}
REQUIRED = {
    "cells": ["model", "cell", "accuracy_pct"],
    "dumbbell": ["model", "modality", "probe_pct", "behavior_pct"],
    "pgla": ["model", "method", "budget"],
    "lens": ["layer", "premise", "series", "prob"],
    "patching": ["layer", "span", "effect"],
    "knockout": ["layer", "flow", "rel_change"],
    "steering": ["alpha", "method", "closure", "false_reject"],
}
NAMES = sorted(MINIMAL)


@pytest.mark.parametrize("name", NAMES)
def test_draws_minimal_frame_on_new_axes(name):
    func, df = MINIMAL[name]
    ax = func(df)
    assert isinstance(ax, plt.Axes)
    drawn = len(ax.patches) + len(ax.lines) + len(ax.collections) + len(ax.images)
    assert drawn > 0, f"{name} drew nothing"
    assert ax.get_title()


@pytest.mark.parametrize("name", NAMES)
def test_draws_on_given_axes(name):
    func, df = MINIMAL[name]
    _, given = plt.subplots()
    assert func(df, ax=given) is given


@pytest.mark.parametrize("name", NAMES)
def test_does_not_mutate_input(name):
    func, df = MINIMAL[name]
    df = df.copy()
    df["extra"] = "kept"
    before = df.copy(deep=True)
    func(df)
    pd.testing.assert_frame_equal(df, before)
    assert list(df.columns) == list(before.columns)


@pytest.mark.parametrize("name", NAMES)
def test_missing_columns_are_all_named(name):
    func, df = MINIMAL[name]
    dropped = REQUIRED[name][-2:]
    with pytest.raises(FigureInputError) as err:
        func(df.drop(columns=dropped))
    for col in dropped:
        assert repr(col) in str(err.value)
    assert isinstance(err.value, ValueError)


@pytest.mark.parametrize("name", NAMES)
def test_empty_frame_is_rejected(name):
    func, df = MINIMAL[name]
    with pytest.raises(FigureInputError, match="no rows"):
        func(df.iloc[0:0])


@pytest.mark.parametrize("name", NAMES)
def test_non_dataframe_is_rejected(name):
    func, df = MINIMAL[name]
    with pytest.raises(FigureInputError, match="DataFrame"):
        func(df.to_dict("list"))


def test_figures_package_imports_nothing_else_of_senseslens():
    import ast
    from pathlib import Path

    import senseslens.figures as figs

    own = {"probes", "pareto"}  # maintained separately
    for path in Path(figs.__file__).parent.glob("*.py"):
        if path.stem in own:
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("senseslens"):
                assert node.module.startswith("senseslens.figures"), (path.name, node.module)
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert not alias.name.startswith("senseslens") or alias.name.startswith(
                        "senseslens.figures"), (path.name, alias.name)
