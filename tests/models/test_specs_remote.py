"""Well-formedness of the remote-code specs (``senseslens/models/specs_remote.py``).

None of these checkpoints is loaded here. The tree test builds a tiny fake ``nn.Module`` tree
*from each spec's own paths* and checks that ``spec.validate()`` resolves every role on it: this
proves the paths are self-consistent (dotted paths that nest correctly, a ``ModuleList`` where
the decoder stack is expected), not that they match the real model. The real module trees can
only be checked by loading the checkpoints (status "not run here").
"""

from __future__ import annotations

import re

import pytest
from torch import nn

from senseslens.errors import SpecError
from senseslens.models.spec import MediaSpec, ModelSpec, get_submodule
from senseslens.models.specs_remote import REMOTE_SPECS
from senseslens.paper.models import match_model

IDS = [s.architecture for s in REMOTE_SPECS]
PAPER_REMOTE_CHECKPOINTS = {
    "THUdyh/Ola-7b",
    "nvidia/OmniVinci",
    "openbmb/MiniCPM-o-2_6",
    "HIT-TMG/Uni-MoE-2.0-Omni",
    "baichuan-inc/Baichuan-Omni-1d5",
    "tsinghua-ee/video-SALMONN-2_plus_7B",
}
HUB_ID = re.compile(r"^[\w.-]+/[\w.-]+$")
SOURCE_FILE = re.compile(r"[\w./-]+\.(py|md)\b")
REPO = re.compile(r"\b[\w.-]+/[\w.-]+\b")
MARKER = re.compile(r"^\w+@(always|image|video|audio)$")


def fake_tree(spec: ModelSpec) -> nn.Module:
    """A module tree holding exactly the spec's paths (decoder stack = 2 identity blocks)."""
    root = nn.Module()
    paths = sorted(spec.module_paths().items(), key=lambda kv: kv[1].count("."))
    for role, path in paths:
        parent = root
        *heads, leaf = path.split(".")
        for part in heads:
            if not hasattr(parent, part):
                parent.add_module(part, nn.Module())
            parent = getattr(parent, part)
        if not hasattr(parent, leaf):
            leaf_module = nn.ModuleList([nn.Identity(), nn.Identity()]) if role == "layers" else nn.Identity()
            parent.add_module(leaf, leaf_module)
    return root


def test_covers_the_papers_six_remote_models():
    assert {s.checkpoints[0] for s in REMOTE_SPECS} == PAPER_REMOTE_CHECKPOINTS
    assert len(set(IDS)) == len(IDS), "one spec per architecture class"


@pytest.mark.parametrize("spec", REMOTE_SPECS, ids=IDS)
def test_spec_is_well_formed(spec: ModelSpec):
    assert spec.architecture and spec.family and spec.layers and spec.final_norm and spec.lm_head
    assert spec.source == "remote"
    assert spec.status == "not run here"
    assert spec.checkpoints and all(HUB_ID.match(c) for c in spec.checkpoints)
    assert spec.root == "" and spec.config_root == ""
    # notes cite at least one source file and one repository
    assert SOURCE_FILE.search(spec.notes), spec.notes[:80]
    assert REPO.search(spec.notes)
    assert "imavb" in spec.notes, "each entry says how the paper's extractor read the model"
    # media
    kinds = [m.kind for m in spec.media]
    assert kinds and len(set(kinds)) == len(kinds)
    for m in spec.media:
        assert isinstance(m, MediaSpec) and m.kind in ("image", "video", "audio")
        assert m.processor_kwarg and m.chat_type
        if isinstance(m.token_id, int):
            assert m.token_id < 0, "literal ids here are in-code sentinels (LLaVA style)"
        else:
            assert all(isinstance(a, str) and a for a in m.token_id)
            if not m.token_id:
                assert m.kind in spec.extra.get("placeholder_tokens", {}), (
                    "an unknown placeholder id must name the placeholder token in extra"
                )
        assert (m.grid_key is None) == (m.merge_attr is None)
    # inputs
    assert spec.required_inputs[:2] == ("input_ids@always", "attention_mask@always")
    assert all(MARKER.match(r) for r in spec.required_inputs), spec.required_inputs
    for r in spec.required_inputs:
        when = r.partition("@")[2]
        assert when == "always" or when in kinds, f"{r} names a medium the spec does not declare"
    assert spec.derived_inputs == ()


@pytest.mark.parametrize("spec", REMOTE_SPECS, ids=IDS)
def test_width_and_depth_match_the_papers_table(spec: ModelSpec):
    paper = match_model(spec.checkpoints[0])
    d, n = spec.extra["d_model"], spec.extra["n_layers"]
    assert d == paper.lm_width
    assert spec.extra["paper_hidden_state_entries"] == paper.hidden_state_entries
    # HF hidden_states give n + 1 entries (embeddings + blocks); block hooks give n
    assert paper.hidden_state_entries in (n, n + 1)
    assert spec.extra["width_source"]


@pytest.mark.parametrize("spec", REMOTE_SPECS, ids=IDS)
def test_paths_resolve_on_a_tree_built_from_the_spec(spec: ModelSpec):
    """Self-consistency only: the tree is built from the spec, not from the real model."""
    tree = fake_tree(spec)
    found = spec.validate(tree)
    assert set(found) == set(spec.module_paths())
    assert isinstance(found["layers"], nn.ModuleList) and len(found["layers"]) == 2
    for role, path in spec.module_paths().items():
        assert found[role] is get_submodule(tree, path)


@pytest.mark.parametrize("spec", REMOTE_SPECS, ids=IDS)
def test_validate_rejects_a_tree_missing_the_final_norm(spec: ModelSpec):
    tree = fake_tree(spec)
    parent_path, _, leaf = spec.final_norm.rpartition(".")
    parent = get_submodule(tree, parent_path)
    delattr(parent, leaf)
    with pytest.raises(SpecError, match="final_norm"):
        spec.validate(tree)


def test_nested_projector_sits_inside_its_tower():
    """video-SALMONN-2+: the merger runs inside the vision tower, as in the native Qwen specs."""
    spec = next(s for s in REMOTE_SPECS if s.architecture == "video_SALMONN2_plus")
    assert spec.projector == f"{spec.vision_tower}.merger"
    assert spec.audio_projector is None
