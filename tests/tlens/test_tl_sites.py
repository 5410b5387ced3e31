"""senseslens sites <-> TransformerLens hook names."""

from __future__ import annotations

import pytest
import torch

from senseslens.errors import InputError
from senseslens.models.backends.tl_sites import SITE_TO_HOOK, hook_name, site_from_hook
from senseslens.models.sites import Site

from ._tl_pairs import pair

pytest.importorskip("transformer_lens")


def test_tl_hook_names_round_trip():
    assert hook_name(Site("resid", 3)) == "blocks.3.hook_out"
    assert hook_name("resid", 3) == "blocks.3.hook_out"
    assert hook_name("resid", -1, n_layers=4) == "blocks.3.hook_out"
    assert hook_name("embed") == "blocks.0.hook_in"
    for i in range(5):
        assert site_from_hook(hook_name("resid", i)) == Site("resid", i, None)
        assert site_from_hook(f"blocks.{i}.hook_resid_post", span="last") == Site("resid", i, "last")
    assert site_from_hook("blocks.0.hook_resid_pre") == Site("embed", None, None)
    assert site_from_hook("vision_projector.hook_out") == Site("projector_out", None, None)
    with pytest.raises(InputError, match="deepstack"):
        site_from_hook("blocks.2.hook_in")
    with pytest.raises(InputError, match="not a senseslens site"):
        site_from_hook("blocks.0.attn.hook_pattern")
    with pytest.raises(InputError, match="n_layers"):
        hook_name("resid", -1)


def test_tl_audio_sites_have_no_hook_and_say_so():
    for component in ("audio_out", "audio_projector_out"):
        assert SITE_TO_HOOK[component] is None
        with pytest.raises(InputError, match="nnsight"):
            hook_name(component)
    p = pair("qwen2_5_omni_thinker")
    with pytest.raises(InputError, match="does not bridge audio towers"):
        p.tl.run(p.batch(), capture=[Site("audio_out", None, "audio")])


def test_tl_mapped_hooks_exist_on_the_bridge_and_hold_the_site():
    p = pair("llava")
    bridge = p.tl.backend.bridge
    names = set(bridge.hook_dict)
    for component, template in SITE_TO_HOOK.items():
        if template is not None:
            assert template.format(layer=0) in names, component
    batch = p.batch()
    sites = [Site("embed", None, None)] + [Site("resid", i, None) for i in range(p.tl.n_layers)]
    ours = p.tl.run(batch, capture=sites).captures
    seen = {}
    hooks = [(hook_name(s, n_layers=p.tl.n_layers), lambda x, hook: seen.__setitem__(hook.name, x.detach().clone())) for s in sites]
    with torch.no_grad(), bridge.hooks(fwd_hooks=hooks):
        p.tl.root(**batch.inputs)
    for s in sites:
        assert torch.equal(seen[hook_name(s)], ours[s]), s
