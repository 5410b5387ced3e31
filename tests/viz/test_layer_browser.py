"""The layer browser: changing each control changes what the panels show."""

from __future__ import annotations

import numpy as np
import pytest

import senseslens as sl
from senseslens.data.synthetic import synthetic_imavb
from senseslens.testing.tiny import build_tiny
from senseslens.viz.widgets import LayerBrowser


@pytest.fixture(scope="module")
def browser():
    t = build_tiny("qwen2_5_omni_thinker")
    model = sl.load(t.model, t.processor)
    items = list(synthetic_imavb(n_clips=2, seed=1, image_scale=2))
    scores = np.random.default_rng(0).random((model.n_layers, len(items)))
    return LayerBrowser(model, items, probe=scores)


def _snapshot(b: LayerBrowser) -> dict:
    return {
        "lens": b.lens_panel.value,
        "probe": b.probe_panel.value,
        "answer": b.answer_panel.value,
        "answer_values": np.array([v for part in b.state["answer"].values() for v in part.values()]),
        "image": None if b.state["image_heat"] is None else b.state["image_heat"].copy(),
        "audio": None if b.state["audio_heat"] is None else b.state["audio_heat"].copy(),
        "question": b.question.value,
    }


def _changed(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return a is None or b is None or a.shape != b.shape or not np.allclose(a, b)
    return a != b


def test_initial_panels_are_filled(browser):
    assert "logit lens" in browser.lens_panel.value
    assert "probe P(misleading)" in browser.probe_panel.value
    assert browser.state["image_heat"] is not None and browser.state["audio_heat"] is not None
    assert set(browser.span.options) >= {"last", "question", "image", "audio"}


def test_layer_changes_lens_probe_answers_and_heats(browser):
    browser.span.value = "last"
    browser.layer.value = 0
    before = _snapshot(browser)
    browser.layer.value = 1
    after = _snapshot(browser)
    for key in ("lens", "probe", "answer", "image", "audio"):
        assert _changed(before[key], after[key]), key
    assert before["question"] == after["question"]


def test_item_changes_every_panel(browser):
    browser.item.value = 0
    before = _snapshot(browser)
    browser.item.value = 3
    after = _snapshot(browser)
    for key in ("question", "lens", "probe", "answer_values", "image", "audio"):
        assert _changed(before[key], after[key]), key


def test_span_and_position_move_the_lens(browser):
    browser.span.value = "question"
    browser.position.value = 0
    first = browser.lens_panel.value
    browser.position.value = browser.position.max
    assert browser.lens_panel.value != first
    browser.span.value = "audio"
    assert browser.position.max == len(browser.trace.positions("audio")) - 1


def test_heat_kind_switches_values(browser):
    browser.heat_kind.value = "residual norm"
    norm = browser.state["audio_heat"].copy()
    browser.heat_kind.value = "reject letter probability"
    prob = browser.state["audio_heat"]
    assert (prob <= 1).all() and not np.allclose(norm, prob)
