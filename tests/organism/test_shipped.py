"""The organism shipped in the package loads fast and behaves as documented on fresh items."""

from __future__ import annotations

import time

import pytest

from senseslens.data.synthetic import synthetic_imavb
from senseslens.organism.evaluate import behaviour, readout
from senseslens.organism.shipped import WEIGHTS_DIR, load_shipped


@pytest.fixture(scope="module")
def shipped():
    t0 = time.perf_counter()
    model, proc = load_shipped()
    return model, proc, time.perf_counter() - t0


def test_weights_are_small_safetensors():
    files = list(WEIGHTS_DIR.iterdir())
    assert (WEIGHTS_DIR / "model.safetensors").exists()
    assert sum(f.stat().st_size for f in files) < 5_000_000


def test_loads_quickly(shipped):
    assert shipped[2] < 10.0


def test_answers_standard_and_under_rejects_misleading(shipped):
    model, proc, _ = shipped
    b = behaviour(readout(model, proc, list(synthetic_imavb(50, seed=31337))))
    assert b["std_v"] > 0.6 and b["std_a"] > 0.6, b
    assert b["mis_a"] < 0.3, b           # audio false premises are (almost) never rejected
    assert b["false_reject"] < 0.15, b
