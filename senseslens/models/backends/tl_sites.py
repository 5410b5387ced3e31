"""senseslens sites <-> TransformerLens 4.3 hook names.

| senseslens site | TransformerLens 4.3 hook | alias | what it holds |
|---|---|---|---|
| ``Site("resid", i)`` | ``blocks.{i}.hook_out`` | ``blocks.{i}.hook_resid_post`` | output of decoder block i |
| ``Site("embed")`` | ``blocks.0.hook_in`` | ``blocks.0.hook_resid_pre`` | input of block 0, media merged in |
| ``Site("vision_out")`` | ``vision_encoder.hook_out`` | | vision tower output |
| ``Site("projector_out")`` | ``vision_projector.hook_out`` | | projector / merger output |
| ``Site("audio_out")`` | none | | audio towers are not bridged |

Caveats: TransformerLens' ``hook_embed`` / ``embed.hook_out`` is the token embedding
*before* image / audio features replace the placeholder rows, so it is not the
``embed`` site. On Qwen3-VL and Qwen3-Omni (deepstack) ``blocks.{i+1}.hook_in`` is
not ``blocks.{i}.hook_out``: visual features are added in between, so only block 0's
input maps back to a site.
"""

from __future__ import annotations

import re
from typing import Mapping

from ...errors import InputError
from ..sites import Site

__all__ = ["HOOK_ALIASES", "SITE_TO_HOOK", "hook_name", "site_from_hook"]

#: site component -> TransformerLens hook name template (``{layer}`` filled in), None when
#: TransformerLens has no hook for it.
SITE_TO_HOOK: Mapping[str, str | None] = {
    "resid": "blocks.{layer}.hook_out",
    "embed": "blocks.0.hook_in",
    "vision_out": "vision_encoder.hook_out",
    "projector_out": "vision_projector.hook_out",
    "audio_out": None,
    "audio_projector_out": None,
}

#: alternative TransformerLens spellings of the same hook points (``site_from_hook`` accepts both)
HOOK_ALIASES: Mapping[str, str] = {
    "blocks.{layer}.hook_resid_post": "blocks.{layer}.hook_out",
    "blocks.0.hook_resid_pre": "blocks.0.hook_in",
}

_NO_HOOK = (
    "{component} has no TransformerLens hook: TransformerLens 4.3 does not bridge audio towers. "
    "Capture it with the nnsight backend: sl.load(model, processor, backend='nnsight')."
)


def hook_name(site: Site | str, layer: int | None = None, *, n_layers: int | None = None) -> str:
    """The TransformerLens hook name of a site.

    ``site`` is a `Site` or a component name (then ``layer`` gives the block). Negative
    layers count from the end and need ``n_layers``.
    """
    if isinstance(site, Site):
        component, layer = site.component, site.layer if layer is None else layer
    else:
        component = site
    if component not in SITE_TO_HOOK:
        raise InputError(f"unknown site component {component!r}; use one of {', '.join(SITE_TO_HOOK)}.")
    template = SITE_TO_HOOK[component]
    if template is None:
        raise InputError(_NO_HOOK.format(component=component))
    if "{layer}" not in template:
        return template
    if layer is None:
        raise InputError(f"{component!r} needs a layer index to name its hook.")
    if layer < 0:
        if n_layers is None:
            raise InputError(f"layer {layer} is negative; pass n_layers= to resolve it.")
        layer += n_layers
    return template.format(layer=layer)


_BLOCK = re.compile(r"^blocks\.(\d+)\.(hook_out|hook_resid_post|hook_in|hook_resid_pre)$")


def site_from_hook(name: str, *, span: str | None = None) -> Site:
    """The senseslens site read by TransformerLens hook ``name`` (inverse of `hook_name`).

    Only hook points that are a senseslens site map back: block outputs, block 0's
    input, and the vision tower / projector outputs. ``span`` is put on the site
    (default None: every position).
    """
    match = _BLOCK.match(name)
    if match:
        layer, point = int(match.group(1)), match.group(2)
        if point in ("hook_out", "hook_resid_post"):
            return Site("resid", layer, span)
        if layer == 0:
            return Site("embed", None, span)
        raise InputError(
            f"{name} is the input of block {layer}; senseslens names block outputs. Use "
            f"blocks.{layer - 1}.hook_out (equal to it except on deepstack models, Qwen3-VL / Qwen3-Omni, "
            "where visual features are added between early blocks)."
        )
    for component, template in SITE_TO_HOOK.items():
        if template is not None and "{layer}" not in template and name == template:
            return Site(component, None, span)  # type: ignore[arg-type]
    raise InputError(
        f"TransformerLens hook {name!r} is not a senseslens site. Mappable hooks: blocks.<i>.hook_out "
        "(resid i), blocks.0.hook_in (embed), vision_encoder.hook_out, vision_projector.hook_out; read "
        "other hook points with the bridge itself (omni.backend.bridge)."
    )
