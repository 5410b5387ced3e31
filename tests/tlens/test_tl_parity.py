"""TransformerLens backend vs nnsight backend on every architecture both support."""

from __future__ import annotations

import pytest
import torch

from senseslens.models.sites import Edit, Knockout, Site

from ._tl_pairs import TL_FAMILIES, pair, skip_unavailable

pytest.importorskip("transformer_lens")

TOL = dict(rtol=0.0, atol=1e-6)


@pytest.fixture(params=TL_FAMILIES)
def family(request) -> str:
    skip_unavailable(request.param)
    return request.param


def _close(a, b, what: str) -> None:
    if isinstance(a, list):
        assert len(a) == len(b), what
        for x, y in zip(a, b):
            torch.testing.assert_close(x, y, **TOL, equal_nan=True, msg=lambda m: f"{what}: {m}")
    else:
        torch.testing.assert_close(a, b, **TOL, equal_nan=True, msg=lambda m: f"{what}: {m}")


def test_tl_backend_is_selected(family):
    p = pair(family)
    assert p.tl.backend.name == "transformer_lens" and p.nn.backend.name == "nnsight"
    assert p.tl.backend.attn_after == "eager" or family == "llava_onevision"


def test_tl_residuals_and_logits_match_nnsight(family):
    p = pair(family)
    batch = p.batch()
    media = p.media(batch)
    L = p.nn.n_layers
    sites = [Site("embed", None, None)]
    sites += [Site("resid", i, span, reduce) for i in range(L) for span, reduce in ((None, "mean"), ("last", "mean"), (media, "mean"), (media, "none"))]
    a = p.nn.run(batch, capture=sites, logits="all")
    b = p.tl.run(batch, capture=sites, logits="all")
    _close(a.logits, b.logits, "logits")
    for site in sites:
        _close(a.captures[site], b.captures[site], str(site))


def test_tl_tower_captures_match_nnsight(family):
    p = pair(family)
    batch = p.batch()
    for component, role in (("vision_out", "vision_tower"), ("projector_out", "projector")):
        if role not in p.nn.spec.module_paths():
            continue
        site = Site(component, None, None, "none")
        _close(p.nn.run(batch, capture=[site]).captures[site], p.tl.run(batch, capture=[site]).captures[site], component)


def test_tl_logit_lens_readout_matches_nnsight(family):
    p = pair(family)
    batch = p.batch()
    sites = [Site("resid", i, "last") for i in range(p.nn.n_layers)]
    a, b = p.nn.run(batch, capture=sites), p.tl.run(batch, capture=sites)
    for site in sites:
        with torch.no_grad():
            lens_nn = p.nn.lm_head(p.nn.final_norm(a.captures[site]))
        lens_tl = p.tl.backend.readout(b.captures[site])
        _close(lens_nn, lens_tl, f"lens {site}")
    _close(lens_tl, b.logits, "last-layer readout vs logits")


def test_tl_activation_patching_matches_nnsight(family):
    p = pair(family)
    clean, corrupt = p.batch(), p.swapped()
    media = p.media(clean)
    source = Site("resid", 0, None)
    values = [m.run(corrupt, capture=[source]).captures[source] for m in (p.nn, p.tl)]
    _close(values[0], values[1], "patch source")
    steer = torch.randn(p.nn.d_model, generator=torch.Generator().manual_seed(3)) * 4
    probe = [Site("resid", p.nn.n_layers - 1, None)]
    outs = []
    for model, value in zip((p.nn, p.tl), values):
        edits = [Edit(Site("resid", 0, media), "replace", value), Edit(Site("resid", 1, "last"), "add", steer)]
        outs.append(model.run(clean, capture=probe, edits=edits, logits="all"))
    _close(outs[0].logits, outs[1].logits, "patched logits")
    _close(outs[0].captures[probe[0]], outs[1].captures[probe[0]], "patched residual")
    base = p.tl.run(clean, logits="all").logits
    assert (outs[1].logits - base).abs().max() > 1e-4, "the patch changed nothing"
    again = p.tl.run(clean, logits="all").logits
    assert torch.equal(again, base), "an edit leaked into the next TransformerLens run"


def test_tl_embed_edit_matches_nnsight(family):
    p = pair(family)
    batch = p.batch()
    edit = Edit(Site("embed", None, "question"), "scale", 0.5)
    _close(p.nn.run(batch, edits=[edit]).logits, p.tl.run(batch, edits=[edit]).logits, "embed edit")


def test_tl_knockout_matches_nnsight(family):
    p = pair(family)
    batch = p.batch()
    media = p.media(batch)
    kos = [Knockout(layers=range(p.nn.n_layers), query="last", key=media), Knockout(layers=[0], query="options", key="question")]
    a, b = p.nn.run(batch, knockouts=kos).logits, p.tl.run(batch, knockouts=kos).logits
    _close(a, b, "knockout logits")
    assert (b - p.tl.run(batch).logits).abs().max() > 1e-5, "the knockout changed nothing"
