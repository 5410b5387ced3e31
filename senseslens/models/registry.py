"""The spec table: lookup by architecture, registration, auto-discovery."""

from __future__ import annotations

from typing import Iterable

import pandas as pd
from torch import nn

from ..errors import SpecError, UnsupportedArchitectureError
from .spec import MediaSpec, ModelSpec, config_value
from .specs_native import NATIVE_SPECS, ORGANISM_SPEC
from .specs_remote import REMOTE_SPECS

_REGISTRY: dict[str, ModelSpec] = {}


def register_spec(spec: ModelSpec, *, replace: bool = False) -> ModelSpec:
    """Add ``spec`` to the table under ``spec.architecture``.

    Use this for remote-code or custom models: give the class name from the
    checkpoint's ``config.json`` (``architectures[0]``) and the module paths. An
    existing entry is only overwritten with ``replace=True``.
    """
    if spec.architecture in _REGISTRY and not replace:
        raise SpecError(
            f"A spec for {spec.architecture} is already registered; pass replace=True to override it."
        )
    _REGISTRY[spec.architecture] = spec
    return spec


def _seed(specs: Iterable[ModelSpec]) -> None:
    for spec in specs:
        _REGISTRY.setdefault(spec.architecture, spec)


_seed((*NATIVE_SPECS, ORGANISM_SPEC, *REMOTE_SPECS))


def get_spec(architecture: str) -> ModelSpec | None:
    return _REGISTRY.get(architecture)


def registered_specs() -> tuple[ModelSpec, ...]:
    return tuple(_REGISTRY.values())


def supported_architectures() -> pd.DataFrame:
    """One row per registered architecture: architecture, family, modalities, source, status, checkpoint."""
    rows = [
        {
            "architecture": s.architecture,
            "family": s.family,
            "modalities": ", ".join(s.modalities) or "text",
            "source": s.source,
            "status": s.status,
            "checkpoint": s.checkpoints[0] if s.checkpoints else "",
        }
        for s in _REGISTRY.values()
    ]
    return pd.DataFrame(rows, columns=["architecture", "family", "modalities", "source", "status", "checkpoint"])


def resolve_spec(model: nn.Module, *, discover: bool = True) -> ModelSpec:
    """The registered spec for ``type(model)``; else an auto-discovered one; else a clear error."""
    arch = type(model).__name__
    spec = _REGISTRY.get(arch)
    if spec is not None:
        return spec
    if discover:
        found = discover_spec(model)
        if found is not None:
            return found
    known = ", ".join(sorted(_REGISTRY))
    raise UnsupportedArchitectureError(
        f"No spec for {arch} and auto-discovery found no decoder stack. Supported: {known}. "
        "Register one with sl.register_spec(sl.ModelSpec(architecture=..., family=..., "
        "layers='path.to.layers', final_norm='path.to.norm', ...))."
    )


# --- auto-discovery ----------------------------------------------------------------------
_TOWER_WORDS = ("vision", "visual", "audio", "vpm", "apm", "speech", "sound", "encoder", "image")
_NORM_NAMES = ("norm", "final_layernorm", "ln_f", "final_norm", "model_norm")
_ROLE_SUFFIXES: dict[str, tuple[str, ...]] = {
    "vision_tower": ("vision_tower", "visual", "vision_model", "vpm", "vision_encoder"),
    "projector": ("multi_modal_projector", "mm_projector", "connector", "resampler", "merger"),
    "audio_tower": ("audio_tower", "audio_encoder", "apm", "speech_encoder", "sound_tower"),
    "audio_projector": ("audio_projector", "speech_projector", "audio_projection_layer", "sound_mm_projector"),
}
_MEDIA_GUESSES = (
    MediaSpec("image", ("image_token_id", "image_token_index"), "images", "image"),
    MediaSpec("video", ("video_token_id", "video_token_index"), "videos", "video"),
    MediaSpec("audio", ("audio_token_id", "audio_token_index"), "audio", "audio"),
)


def _n_params(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def discover_spec(model: nn.Module) -> ModelSpec | None:
    """Guess a spec: the largest homogeneous ModuleList outside the towers is the decoder."""
    lists = [
        (name, mod)
        for name, mod in model.named_modules()
        if isinstance(mod, nn.ModuleList)
        and len(mod) > 0
        and len({type(c) for c in mod}) == 1
        and not any(w in name.lower() for w in _TOWER_WORDS)
    ]
    if not lists:
        return None
    layers_path, _ = max(lists, key=lambda kv: _n_params(kv[1]))
    parent_path = layers_path.rsplit(".", 1)[0] if "." in layers_path else ""
    parent = model.get_submodule(parent_path) if parent_path else model
    norm = next((n for n in _NORM_NAMES if isinstance(getattr(parent, n, None), nn.Module)), None)
    head = getattr(model, "get_output_embeddings", lambda: None)()
    head_path = next((n for n, m in model.named_modules() if head is not None and m is head), None)
    if norm is None or head_path is None:
        return None
    roles: dict[str, str] = {}
    for name, _ in model.named_modules():
        leaf = name.rsplit(".", 1)[-1]
        for role, suffixes in _ROLE_SUFFIXES.items():
            if role not in roles and leaf in suffixes:
                roles[role] = name
    config = getattr(model, "config", None)
    media = tuple(
        m for m in _MEDIA_GUESSES if any(config_value(config, a) is not None for a in m.token_id)  # type: ignore[union-attr]
    )
    return ModelSpec(
        architecture=type(model).__name__,
        family="auto",
        layers=layers_path,
        final_norm=f"{parent_path}.{norm}" if parent_path else norm,
        lm_head=head_path,
        media=media,
        status="discovered",
        source="native",
        notes="auto-discovered; check the paths with OmniModel.describe() before trusting results",
        **roles,
    )
