"""plot_cells and plot_probe_vs_behavior draw the values they are given."""

import numpy as np
import pandas as pd
import pytest

from senseslens.figures import FigureInputError, plot_cells, plot_probe_vs_behavior

CELLS = ["std_v", "std_a", "mis_v", "mis_a"]


def _cells_frame(n_models: int, with_bal: bool = True) -> pd.DataFrame:
    rows = []
    for i in range(n_models):
        vals = [70.0 + i, 60.0 + i, 10.0 + i, 5.0 + i]
        for c, v in zip(CELLS, vals):
            rows.append({"model": f"model {i}", "cell": c, "accuracy_pct": v})
        if with_bal:
            rows.append({"model": f"model {i}", "cell": "bal",
                         "accuracy_pct": 0.5 * ((vals[0] + vals[1]) / 2 + (vals[2] + vals[3]) / 2)})
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", [1, 10])
def test_cells_bar_heights_are_the_values(n):
    df = _cells_frame(n)
    ax = plot_cells(df)
    heights = sorted(round(p.get_height(), 9) for p in ax.patches)
    expected = sorted(df.loc[df.cell != "bal", "accuracy_pct"].round(9))
    assert heights == expected
    assert [t.get_text() for t in ax.get_xticklabels()] == [f"model {i}" for i in range(n)]


def test_cells_bal_is_a_line_with_its_value_written():
    df = _cells_frame(2)
    ax = plot_cells(df)
    texts = {t.get_text() for t in ax.texts}
    for b in df.loc[df.cell == "bal", "accuracy_pct"]:
        assert f"{b:.1f}" in texts
    segs = [seg for coll in ax.collections for seg in coll.get_segments()]
    assert sorted(round(s[0][1], 9) for s in segs) == sorted(
        df.loc[df.cell == "bal", "accuracy_pct"].round(9))


def test_cells_without_bal_and_with_missing_cell():
    df = _cells_frame(2, with_bal=False)
    df = df[~((df.model == "model 1") & (df.cell == "mis_a"))]
    ax = plot_cells(df)
    assert len(ax.patches) == 7
    assert not ax.collections


def test_cells_rejects_unknown_cell_and_duplicates():
    df = _cells_frame(1)
    with pytest.raises(FigureInputError, match="unknown cell"):
        plot_cells(df.assign(cell=df.cell.replace("std_v", "standard_vision")))
    with pytest.raises(FigureInputError, match="aggregate"):
        plot_cells(pd.concat([df, df]))


def _dumbbell_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "model": ["a", "a", "b", "b"], "modality": ["vision", "audio"] * 2,
        "probe_pct": [84.0, 77.8, 76.5, np.nan], "behavior_pct": [6.8, 0.0, 72.8, 23.6],
        "resid_pct": [79.0, 67.7, 79.8, np.nan], "text_tfidf_pct": [73.4, 71.4, 73.4, 71.4],
    })


def test_dumbbell_gap_annotated_and_points_at_values():
    ax = plot_probe_vs_behavior(_dumbbell_frame())
    texts = {t.get_text() for t in ax.texts}
    assert {"+77.2 pt", "+77.8 pt", "+3.7 pt"} <= texts
    assert not any(t.startswith("nan") for t in texts)
    xs = {round(float(x), 9) for line in ax.lines for x in np.atleast_1d(line.get_xdata())}
    assert {84.0, 77.8, 76.5, 6.8, 0.0, 72.8, 23.6, 79.0, 67.7, 73.4, 71.4} <= xs


def test_dumbbell_legend_lists_only_controls_present():
    ax = plot_probe_vs_behavior(_dumbbell_frame())
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "text only: TF-IDF" in labels
    assert "text only: SBERT" not in labels
    assert "probe, wording residualised" in labels


def test_dumbbell_rejects_duplicate_rows():
    df = _dumbbell_frame()
    with pytest.raises(FigureInputError, match="aggregate"):
        plot_probe_vs_behavior(pd.concat([df, df.iloc[:1]]))
