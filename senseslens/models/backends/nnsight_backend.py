"""The nnsight backend: turns Sites and Edits into one traced forward.

Only this module (and its TransformerLens sibling) touches a tracing library.
Modules are visited in execution order (towers, then decoder blocks in order,
then the output), which nnsight requires.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import torch
from nnsight import NNsight

from ..batch import Batch
from ..sites import TOWER_ROLES, Edit, Knockout, Site
from .common import RunOutput, RunPlan, apply_edit, plan_run, reduce_positions, split_tower_features
from .knockout import attention_child, knockout_inputs



class NNsightBackend:
    """Runs batches of one model under an ``nnsight.NNsight`` wrapper."""

    name = "nnsight"

    def __init__(self, root: torch.nn.Module, paths: Mapping[str, str], n_layers: int, tower_order: Sequence[str]):
        self.root = root
        self.envoy = NNsight(root)
        self.paths = dict(paths)
        self.n_layers = n_layers
        self.tower_order = tuple(tower_order)

    def _module(self, role: str) -> Any:
        obj: Any = self.envoy
        for part in self.paths[role].split("."):
            obj = getattr(obj, part)
        return obj

    def _layer(self, i: int) -> Any:
        return self._module("layers")[i]

    def _attention(self, i: int) -> tuple[str, int | None]:
        layers: Any = self.root
        for part in self.paths["layers"].split("."):
            layers = getattr(layers, part)
        return attention_child(layers[i])

    def _plan(self, capture: Sequence[Site], edits: Sequence[Edit], knockouts: Sequence[Knockout]) -> RunPlan:
        return plan_run(capture, edits, knockouts, self.n_layers, self.paths)

    def run(
        self,
        batch: Batch,
        capture: Sequence[Site] = (),
        edits: Sequence[Edit] = (),
        knockouts: Sequence[Knockout] = (),
        logits: str = "last",
    ) -> RunOutput:
        plan = self._plan(capture, edits, knockouts)
        spans = batch.spans
        saved: dict[Site, Any] = {}
        last = torch.as_tensor(spans.last, dtype=torch.long)
        rows = torch.arange(len(batch))
        touched = sorted(set(plan.layer_sites) | set(plan.layer_edits) | set(plan.knockouts))
        attn_children = {i: self._attention(i) for i in plan.knockouts}
        with torch.no_grad(), self.envoy.trace(**batch.inputs):
            for role in self.tower_order:
                for site in plan.tower_sites.get(role, ()):
                    saved[site] = self._module(role).output.save()
            if plan.embed_sites or plan.embed_edits:
                layer0 = self._layer(0)
                hidden = layer0.input
                if plan.embed_edits:
                    hidden = hidden.clone()
                    for e in plan.embed_edits:
                        apply_edit(hidden, e, spans)
                    layer0.input = hidden
                for site in plan.embed_sites:
                    saved[site] = reduce_positions(hidden, site, spans).save()
            for i in touched:
                layer = self._layer(i)
                if plan.knockouts.get(i):
                    attn_name, mask_index = attn_children[i]
                    attn = getattr(layer, attn_name)
                    args, kwargs = attn.inputs
                    attn.inputs = knockout_inputs(mask_index, args, kwargs, plan.knockouts[i], spans)
                out = layer.output
                hidden = out[0] if isinstance(out, tuple) else out
                if plan.layer_edits.get(i):
                    hidden = hidden.clone()
                    for e in plan.layer_edits[i]:
                        apply_edit(hidden, e, spans)
                    layer.output = (hidden, *out[1:]) if isinstance(out, tuple) else hidden
                for site in plan.layer_sites.get(i, ()):
                    saved[site] = reduce_positions(hidden, site, spans).save()
            out_logits = self.envoy.output.logits
            if logits == "all":
                final = out_logits.save()
            else:
                final = out_logits[rows, last.to(out_logits.device)].save()
        captures = {}
        for site, value in saved.items():
            if site.component in TOWER_ROLES:
                captures[site] = split_tower_features(value, site, spans)
            else:
                captures[site] = value
        return RunOutput(logits=final, captures=captures)
