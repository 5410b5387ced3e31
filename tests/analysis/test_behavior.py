"""Behaviour scoring: cells, Bal, failure modes, runner-up, and `behavior` on a contract-level fake model."""

from __future__ import annotations

import types

import numpy as np
import pandas as pd
import pytest
import torch
from tokenizers import Tokenizer, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from senseslens.analysis.behavior import BehaviorResult, behavior, failure_mode, score_choices, score_generations
from senseslens.data import Benchmark, Item
from senseslens.data.parsing import UNPARSEABLE
from senseslens.errors import AnalysisError

torch.set_num_threads(1)
LETTERS = "ABCDEF"


def _bench(n_clips: int = 4, frames: bool = False) -> Benchmark:
    items = []
    for k in range(n_clips):
        for modality in ("vision", "audio"):
            for premise in ("standard", "misleading"):
                cell = ("mis_" if premise == "misleading" else "std_") + modality[0]
                items.append(Item(
                    item_id=f"c{k}:{cell}", clip_id=f"c{k}", modality=modality, premise=premise,
                    question=f"q {k} {cell}?", options=(f"o{k}a", f"o{k}b", f"o{k}c", f"o{k}d"),
                    gold={"vision": "E", "audio": "F"}[modality] if premise == "misleading" else "ABCD"[k],
                    frames=np.zeros((2, 4, 4, 3), np.uint8) if frames else None,
                    waveform=np.zeros(160, np.float32) if frames else None,
                ))
    return Benchmark(tuple(items))


# item_id -> (top label, runner-up label or None); see the expected numbers in the tests
PLAN = {
    "c0:std_v": ("A", "E"), "c1:std_v": ("B", None), "c2:std_v": ("C", None), "c3:std_v": ("E", None),
    "c0:std_a": ("A", None), "c1:std_a": ("B", None), "c2:std_a": ("A", None), "c3:std_a": ("F", None),
    "c0:mis_v": ("E", None), "c1:mis_v": ("A", "E"), "c2:mis_v": ("B", "E"), "c3:mis_v": ("C", None),
    "c0:mis_a": ("A", "F"), "c1:mis_a": ("A", None), "c2:mis_a": ("D", None), "c3:mis_a": ("A", None),
}


def _plan_logits(bench: Benchmark) -> np.ndarray:
    out = np.full((len(bench), 6), -10.0)
    for i, it in enumerate(bench):
        top, second = PLAN[it.item_id]
        out[i, LETTERS.index(top)] = 5.0
        if second:
            out[i, LETTERS.index(second)] = 3.0
    return out


def test_score_choices_cells_bal_mode_runner_up():
    bench = _bench()
    res = score_choices(bench, _plan_logits(bench), model_name="m")
    assert isinstance(res, BehaviorResult)
    assert res.accuracy == pytest.approx({"std_v": 0.75, "std_a": 0.5, "mis_v": 0.25, "mis_a": 0.0})
    assert res.bal == pytest.approx(0.5 * (0.625 + 0.125))
    assert res.false_reject == pytest.approx(2 / 8)
    assert res.failure_mode == "under-rejection"
    assert res.runner_up == pytest.approx({"misleading": 3 / 8, "standard": 1 / 8})
    assert sum(res.unparseable.values()) == 0
    assert res.correct.sum() == 3 + 2 + 1 + 0


def test_to_dataframe_is_percent_with_bal_row():
    bench = _bench()
    df = score_choices(bench, _plan_logits(bench), model_name="m").to_dataframe()
    assert list(df.cell) == ["std_v", "std_a", "mis_v", "mis_a", "bal"]
    assert {"model", "cell", "accuracy_pct"} <= set(df.columns)
    assert df.set_index("cell").accuracy_pct.to_dict() == pytest.approx(
        {"std_v": 75.0, "std_a": 50.0, "mis_v": 25.0, "mis_a": 0.0, "bal": 37.5})
    assert (df.model == "m").all()


def test_per_item_and_summary():
    bench = _bench()
    res = score_choices(bench, _plan_logits(bench))
    items = res.per_item()
    assert len(items) == 16 and "logit_E" in items.columns
    assert items.set_index("item_id").loc["c3:std_v", "prediction"] == "E"
    assert res.summary()["runner_up_misleading"] == pytest.approx(37.5)


PAPER = {  # the paper's fixed-order table: std_v, std_a, mis_v, mis_a -> its failure mode
    "OLA": (71.0, 71.6, 6.8, 0.0, "under-rejection"),
    "OmniVinci": (75.4, 71.4, 6.6, 0.0, "under-rejection"),
    "Qwen2.5-Omni": (64.4, 69.0, 16.0, 0.6, "under-rejection"),
    "MiniCPM-o 2.6": (56.6, 54.2, 9.0, 6.6, "under-rejection"),
    "Uni-MoE-2.0-Omni": (74.8, 69.0, 9.0, 0.0, "under-rejection"),
    "Baichuan-Omni-1.5": (66.0, 66.8, 13.8, 0.6, "under-rejection"),
    "Video-SALMONN-2": (69.8, 66.6, 16.2, 0.0, "under-rejection"),
    "Qwen3-Omni": (40.6, 46.6, 72.8, 23.6, "over-rejection"),
    "Gemini 3.1 Pro": (50.2, 53.8, 94.0, 48.6, "over-rejection"),
    "human": (92.0, 86.0, 84.0, 72.0, "balanced"),
}


@pytest.mark.parametrize("name", list(PAPER))
def test_failure_mode_rule_on_the_paper_table(name):
    *acc, mode = PAPER[name]
    assert failure_mode(*acc) == mode


def test_failure_mode_uses_false_reject_when_known():
    assert failure_mode(80, 80, 75, 75, false_reject=20.0) == "over-rejection"
    assert failure_mode(80, 80, 75, 75, false_reject=5.0) == "balanced"
    assert failure_mode(80, 80, float("nan"), 75) == "undetermined"


def test_score_generations_counts_unparseable_as_wrong():
    bench = _bench(1)  # c0: std_v, mis_v, std_a, mis_a ; std gold A
    texts = ["The answer is A", "I can't tell", "(F)", "o0a"]
    res = score_generations(bench, texts, model_name="g")
    assert res.predictions == ("A", UNPARSEABLE, "F", "A")
    assert res.accuracy == pytest.approx({"std_v": 1.0, "mis_v": 0.0, "std_a": 0.0, "mis_a": 0.0})
    assert res.unparseable == {"std_v": 0, "std_a": 0, "mis_v": 1, "mis_a": 0}
    assert res.runner_up is None and res.choice_logits is None
    assert res.false_reject == pytest.approx(0.5)


def test_score_generations_true_false():
    bench = _bench(1)
    res = score_generations(bench, ["TRUE", "False, the shirt is maroon", "yes", "True."], variant="A5")
    assert res.golds == ("TRUE", "FALSE", "TRUE", "FALSE")
    assert res.accuracy == pytest.approx({"std_v": 1.0, "mis_v": 1.0, "std_a": 1.0, "mis_a": 0.0})


def test_shape_errors():
    bench = _bench(1)
    with pytest.raises(AnalysisError, match=r"\[4, 6\]"):
        score_choices(bench, np.zeros((4, 5)))
    with pytest.raises(AnalysisError, match="one reply per item"):
        score_generations(bench, ["A"])


def test_plot_delegates_to_figures(monkeypatch):
    seen = {}

    def plot_cells(df, ax=None):
        seen["df"], seen["ax"] = df, ax
        return "axes"

    monkeypatch.setitem(__import__("sys").modules, "senseslens.figures.cells",
                        types.SimpleNamespace(plot_cells=plot_cells))
    bench = _bench()
    res = score_choices(bench, _plan_logits(bench), model_name="m")
    assert res.plot(ax="AX") == "axes" and seen["ax"] == "AX"
    pd.testing.assert_frame_equal(seen["df"], res.to_dataframe())


# ---- behavior() against the model-layer contract ------------------------------------------------

@pytest.fixture(scope="module")
def tokenizer():
    words = ["<unk>", *LETTERS, "TRUE", "FALSE", "True", "hello"]
    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>")


class FakeModel:
    """Implements only encode / run(...).logits / tokenizer / name, like the model layer."""

    name = "fake-omni"

    def __init__(self, tokenizer, choose):
        self.tokenizer, self.choose, self.batches = tokenizer, choose, []

    def encode(self, prompts):
        self.batches.append(list(prompts))
        return {"prompts": list(prompts)}

    def run(self, batch):
        prompts = batch["prompts"]
        logits = torch.full((len(prompts), len(self.tokenizer)), -10.0)
        for b, p in enumerate(prompts):
            top, second = self.choose(p)
            logits[b, self.tokenizer.convert_tokens_to_ids(top)] = 5.0
            if second:
                logits[b, self.tokenizer.convert_tokens_to_ids(second)] = 3.0
        return types.SimpleNamespace(logits=logits)


def test_behavior_matches_score_choices(tokenizer):
    bench = _bench(frames=True)
    model = FakeModel(tokenizer, lambda p: PLAN[p.meta["item_id"]])
    res = behavior(model, bench, batch_size=3, progress=False)
    assert [len(b) for b in model.batches] == [3, 3, 3, 3, 3, 1]
    assert all(len(p.videos) == 1 and len(p.audios) == 1 for b in model.batches for p in b)
    ref = score_choices(bench, _plan_logits(bench), model_name="fake-omni")
    assert res.model_name == "fake-omni"
    assert res.accuracy == ref.accuracy and res.bal == ref.bal and res.runner_up == ref.runner_up
    assert res.predictions == ref.predictions


def test_behavior_shuffle_gold_follows_options(tokenizer):
    bench = _bench()
    by_id = {it.item_id: it for it in bench}

    def oracle(p):  # answers the shown letter of the originally correct option
        src = by_id[p.meta["item_id"]].gold
        return LETTERS[list(p.meta["option_order"]).index(src)], None

    res = behavior(FakeModel(tokenizer, oracle), bench, variant="shuffle", seed=7, progress=False)
    assert all(v == 1.0 for v in res.accuracy.values()) and res.failure_mode == "balanced"


def test_behavior_true_false_variant(tokenizer):
    bench = _bench(1)
    res = behavior(FakeModel(tokenizer, lambda p: ("True", None)), bench, variant="A2", progress=False)
    assert res.labels == ("TRUE", "FALSE") and set(res.predictions) == {"TRUE"}
    assert res.accuracy == pytest.approx({"std_v": 1.0, "std_a": 1.0, "mis_v": 0.0, "mis_a": 0.0})


def test_behavior_refuses_generation_variants(tokenizer):
    with pytest.raises(AnalysisError, match="score_generations"):
        behavior(FakeModel(tokenizer, lambda p: ("A", None)), _bench(1), variant="cot", progress=False)
