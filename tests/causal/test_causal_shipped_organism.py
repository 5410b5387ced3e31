"""On the shipped organism (skipped while no weights ship): lens invariant and a twin patch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import senseslens as sl
from senseslens.analysis.lens import logit_lens
from senseslens.analysis.pairs import twin_pairs
from senseslens.analysis.patching import patch
from senseslens.data.prompts import build_prompt
from senseslens.errors import SensesLensError


@pytest.fixture(scope="module")
def shipped():
    try:
        return sl.load_organism()
    except (SensesLensError, ImportError, AttributeError, OSError) as err:
        pytest.skip(f"no shipped organism: {err}")


def test_shipped_lens_and_patch(shipped, items):
    res = logit_lens(shipped, items[:8], layers=[-1])
    logits = shipped.run(shipped.encode([build_prompt(i) for i in items[:8]])).logits.float()
    probs = torch.stack([(logits[:, list(shipped.letter_ids[l])].logsumexp(-1) - logits.logsumexp(-1)).exp() for l in "ABCDEF"], 1)
    np.testing.assert_allclose(res.letter_probs[0], probs.numpy(), rtol=1e-4, atol=1e-7)
    out = patch(shipped, twin_pairs(items), layers=[-1], spans=("last",), min_diff=1e-6)
    eff = out.effects[0, 0]
    np.testing.assert_allclose(eff[np.isfinite(eff)], 1.0, atol=1e-4)
