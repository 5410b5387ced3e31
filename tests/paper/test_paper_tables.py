"""Every published number, written out literally from the paper, survives into the tables
and into what the paper figures draw."""

import numpy as np
import pandas as pd
import pytest

from senseslens import paper
from senseslens.paper import figures as paper_figures

# model: (std_v, std_a, mis_v, mis_a, Bal) — behaviour table, accuracy %
BEHAVIOUR = {
    "OLA": (71.0, 71.6, 6.8, 0.0, 37.4),
    "OmniVinci": (75.4, 71.4, 6.6, 0.0, 38.4),
    "Qwen2.5-Omni": (64.4, 69.0, 16.0, 0.6, 37.5),
    "MiniCPM-o 2.6": (56.6, 54.2, 9.0, 6.6, 31.6),
    "Uni-MoE-2.0-Omni": (74.8, 69.0, 9.0, 0.0, 38.2),
    "Baichuan-Omni-1.5": (66.0, 66.8, 13.8, 0.6, 36.8),
    "Video-SALMONN-2": (69.8, 66.6, 16.2, 0.0, 38.2),
    "Qwen3-Omni": (40.6, 46.6, 72.8, 23.6, 45.9),
    "Gemini 3.1 Pro": (50.2, 53.8, 94.0, 48.6, 61.6),
    "human": (92.0, 86.0, 84.0, 72.0, 83.5),
}
OVER_REJECTION = {"Qwen3-Omni", "Gemini 3.1 Pro"}

# model: (probe V, probe A, resid V, resid A, reject mis_v, reject mis_a)
PROBE = {
    "OLA": (84.0, 77.8, 79.0, 67.7, 6.8, 0.0),
    "OmniVinci": (84.4, 78.8, 78.9, 66.1, 6.6, 0.0),
    "Qwen2.5-Omni": (86.0, 75.6, 77.7, 67.0, 16.0, 0.6),
    "MiniCPM-o 2.6": (83.2, 78.6, 78.7, 69.5, 9.0, 6.6),
    "Uni-MoE-2.0-Omni": (84.4, 76.3, 76.7, 65.6, 9.0, 0.0),
    "Video-SALMONN-2": (83.5, 77.1, 80.7, 65.8, 16.2, 0.0),
    "Qwen3-Omni": (76.5, 64.9, 79.8, 65.0, 72.8, 23.6),
}
PEAKS = {"OLA": 14, "OmniVinci": 14, "Qwen2.5-Omni": 17, "MiniCPM-o 2.6": 17,
         "Uni-MoE-2.0-Omni": 16, "Video-SALMONN-2": 15, "Qwen3-Omni": 30,
         "Baichuan-Omni-1.5": 2}
PEAK_DENOMINATORS = {"OLA": 29, "Qwen2.5-Omni": 28, "Qwen3-Omni": 48}
TEXT = {("tfidf", "vision"): 73.4, ("tfidf", "audio"): 71.4,
        ("sbert", "vision"): 66.8, ("sbert", "audio"): 57.3}
PGLA = {"Uni-MoE-2.0-Omni": 18.8, "MiniCPM-o 2.6": 17.6, "OLA": 17.5, "Video-SALMONN-2": 16.9,
        "Qwen2.5-Omni": 15.9, "OmniVinci": 14.6, "Qwen3-Omni": 11.8, "Baichuan-Omni-1.5": 6.7}
PGLA_AVERAGE = {"unconstrained": 15.0, "3pt": 9.9, "1pt": 5.4}
# name: (checkpoint, LM width, hidden-state entries)
MODELS = {
    "OLA": ("THUdyh/Ola-7b", 3584, 29),
    "OmniVinci": ("nvidia/OmniVinci", 3584, 29),
    "Qwen2.5-Omni": ("Qwen/Qwen2.5-Omni-7B", 3584, 28),
    "Qwen3-Omni": ("Qwen/Qwen3-Omni-30B-A3B-Instruct", 2048, 48),
    "MiniCPM-o 2.6": ("openbmb/MiniCPM-o-2_6", 3584, 28),
    "Uni-MoE-2.0-Omni": ("HIT-TMG/Uni-MoE-2.0-Omni", 3584, 29),
    "Baichuan-Omni-1.5": ("baichuan-inc/Baichuan-Omni-1d5", 3584, 28),
    "Video-SALMONN-2": ("tsinghua-ee/video-SALMONN-2_plus_7B", 3584, 29),
    "Gemini 3.1 Pro": (None, None, None),
}
CELLS = ("std_v", "std_a", "mis_v", "mis_a", "bal")


def test_behavior_table_long_round_trips():
    df = paper.behavior_table()
    assert list(df.columns[:3]) == ["model", "cell", "accuracy_pct"]
    assert list(dict.fromkeys(df["model"])) == list(BEHAVIOUR)
    for model, values in BEHAVIOUR.items():
        for cell, value in zip(CELLS, values):
            got = df.loc[(df.model == model) & (df.cell == cell), "accuracy_pct"]
            assert got.tolist() == [value], (model, cell)
    assert len(df) == len(BEHAVIOUR) * 5


def test_behavior_wide_and_failure_modes():
    df = paper.behavior_table(wide=True).set_index("model")
    for model, values in BEHAVIOUR.items():
        assert tuple(df.loc[model, list(CELLS)]) == values
        expected = None if model == "human" else (
            "over-rejection" if model in OVER_REJECTION else "under-rejection")
        got = df.loc[model, "failure_mode"]
        assert (None if pd.isna(got) else got) == expected
    assert "50 clips" in df.loc["human", "note"]
    assert len(paper.behavior_table(include_human=False, include_api=False, wide=True)) == 8


def test_published_bal_agrees_with_its_definition_to_rounding():
    for model, (sv, sa, mv, ma, bal) in BEHAVIOUR.items():
        assert abs(0.5 * ((sv + sa) / 2 + (mv + ma) / 2) - bal) <= 0.051, model


def test_probe_table_round_trips():
    df = paper.probe_table()
    assert list(dict.fromkeys(df["model"])) == list(PROBE)
    for model, (pv, pa, rv, ra, bv, ba) in PROBE.items():
        for mod, probe, resid, beh in (("vision", pv, rv, bv), ("audio", pa, ra, ba)):
            row = df[(df.model == model) & (df.modality == mod)]
            assert len(row) == 1
            row = row.iloc[0]
            assert (row.probe_pct, row.resid_pct, row.behavior_pct) == (probe, resid, beh)
            assert row.text_tfidf_pct == TEXT[("tfidf", mod)]
            assert row.text_sbert_pct == TEXT[("sbert", mod)]
            assert row.majority_pct == 66.7
            assert row.peak_layer == PEAKS[model]


def test_reject_rates_equal_behaviour_misleading_cells():
    for model, values in PROBE.items():
        assert values[4:] == BEHAVIOUR[model][2:4]


def test_probe_table_behaviour_only_rows_have_no_probe():
    df = paper.probe_table(include_behavior_only=True)
    extra = df[df.model.isin(["Baichuan-Omni-1.5", "Gemini 3.1 Pro"])]
    assert len(extra) == 4 and extra["probe_pct"].isna().all()
    gem = extra[extra.model == "Gemini 3.1 Pro"].set_index("modality")["behavior_pct"]
    assert (gem["vision"], gem["audio"]) == (94.0, 48.6)


def test_peak_layers_text_baselines():
    peaks = paper.peak_layer_table().set_index("model")
    assert peaks["layer"].to_dict() == PEAKS
    for model in PEAKS:
        got = peaks.loc[model, "of_entries"]
        assert (None if pd.isna(got) else got) == PEAK_DENOMINATORS.get(model)
    assert peaks["excluded"].to_dict() == {m: m == "Baichuan-Omni-1.5" for m in PEAKS}
    assert "artefact" in peaks.loc["Baichuan-Omni-1.5", "note"]
    text = paper.text_baseline_table()
    assert {(r.method, r.modality): r.acc_pct for r in text.itertuples()} == TEXT


def test_pgla_table_round_trips_and_leaves_unpublished_empty():
    df = paper.pgla_table()
    per_model = df[df.model != paper.PGLA_AVERAGE_LABEL]
    assert dict(zip(per_model.model, per_model.delta_bal_pct)) == PGLA
    assert set(per_model.budget) == {"unconstrained"}
    avg = df[df.model == paper.PGLA_AVERAGE_LABEL]
    assert dict(zip(avg.budget, avg.delta_bal_pct)) == PGLA_AVERAGE
    assert df[["bal_before_pct", "bal_after_pct"]].isna().all().all()
    assert set(df.method) == {"pgla"}
    assert round(sum(PGLA.values()) / 8, 1) == PGLA_AVERAGE["unconstrained"]


def test_models_checkpoints_widths():
    assert list(paper.MODELS) == list(MODELS)
    for name, (ckpt, width, entries) in MODELS.items():
        m = paper.MODELS[name]
        assert (m.checkpoint, m.lm_width, m.hidden_state_entries) == (ckpt, width, entries)
    assert paper.match_model("Qwen/Qwen2.5-Omni-7B").name == "Qwen2.5-Omni"
    assert paper.match_model("qwen2.5-omni").name == "Qwen2.5-Omni"
    assert paper.match_model("/models/hub/MiniCPM-o-2_6/").name == "MiniCPM-o 2.6"
    assert paper.match_model("baichuan-inc/Baichuan-Omni-1d5").name == "Baichuan-Omni-1.5"


def test_unknown_model_lists_known_names():
    with pytest.raises(paper.UnknownPaperModelError) as err:
        paper.match_model("Qwen/Qwen2.5-Omni-3B")
    for name in MODELS:
        assert name in str(err.value)


def test_text_facts():
    assert [(f.model, f.removed, f.cell, f.change_pt) for f in paper.INTERFERENCE] == [
        ("Qwen2.5-Omni", "audio", "mis_v", 6.2)]
    assert {r.premise: r.pct for r in paper.RUNNER_UP} == {"misleading": 23.0, "standard": 15.2}
    assert paper.PAPER.arxiv_id == "2605.13737"
    assert "2605.13737" in paper.BEHAVIOR[0].source.cite()


def test_published_numbers_are_what_the_paper_figures_draw():
    ax = paper_figures.draw_behavior_cells()
    bars = sorted(round(p.get_height(), 9) for p in ax.patches)
    assert bars == sorted(v for vals in BEHAVIOUR.values() for v in vals[:4])
    bal = sorted(round(s[0][1], 9) for c in ax.collections for s in c.get_segments())
    assert bal == sorted(vals[4] for vals in BEHAVIOUR.values())

    ax = paper_figures.draw_pgla_delta()
    assert sorted(round(p.get_height(), 9) for p in ax.patches) == sorted(
        [*PGLA.values(), *PGLA_AVERAGE.values()])

    ax = paper_figures.draw_probe_vs_behavior()
    xs = {round(float(x), 9) for line in ax.lines for x in np.atleast_1d(line.get_xdata())}
    assert {v for vals in PROBE.values() for v in vals} | set(TEXT.values()) | {66.7} <= xs
    gaps = {t.get_text() for t in ax.texts}
    assert {f"{v[0] - v[4]:+.1f} pt" for v in PROBE.values()} <= gaps


def test_script_writes_small_pngs(tmp_path):
    assert paper_figures.main(["--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.glob("*.png"))
    assert names == ["behavior_cells.png", "pgla_delta.png", "probe_vs_behavior.png"]
    for p in tmp_path.glob("*.png"):
        assert p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert p.stat().st_size < 250_000
