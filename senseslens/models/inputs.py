"""The full input set: derive or require the inputs whose omission silently changes results.

Some families quietly change behaviour when an input is missing (Qwen2.5-VL falls back
to 1-D positions without ``mm_token_type_ids``; Gemma 3 attends causally over image
tokens without ``token_type_ids``; Qwen Omni thinkers crash or lose 3-D positions
without ``feature_attention_mask`` / ``attention_mask``). Every spec lists them; here
they are derived from ``input_ids`` where that is exact, and otherwise required.
"""

from __future__ import annotations

import inspect
from typing import Callable, Mapping

import torch
from jaxtyping import Int

from ..errors import InputError
from .spec import ModelSpec

MM_TOKEN_TYPE: Mapping[str, int] = {"image": 1, "video": 2, "audio": 3}


def _mm_token_type_ids(input_ids: torch.Tensor, token_ids: Mapping[str, int]) -> torch.Tensor:
    out = torch.zeros_like(input_ids)
    for kind, tok in token_ids.items():
        out[input_ids == tok] = MM_TOKEN_TYPE[kind]
    return out


def _token_type_ids(input_ids: torch.Tensor, token_ids: Mapping[str, int]) -> torch.Tensor:
    out = torch.zeros_like(input_ids)
    if "image" in token_ids:
        out[input_ids == token_ids["image"]] = 1
    return out


DERIVATIONS: Mapping[str, Callable[[torch.Tensor, Mapping[str, int]], torch.Tensor]] = {
    "mm_token_type_ids": _mm_token_type_ids,
    "token_type_ids": _token_type_ids,
}


def forward_parameters(model: torch.nn.Module) -> set[str]:
    """Names the model's forward accepts (``**kwargs`` counts as accepting anything)."""
    sig = inspect.signature(model.forward)
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in sig.parameters.values()):
        return set(sig.parameters) | {"*"}
    return set(sig.parameters)


def present_media(input_ids: Int[torch.Tensor, "batch seq"], token_ids: Mapping[str, int]) -> set[str]:
    return {kind for kind, tok in token_ids.items() if bool((input_ids == tok).any())}


def complete_inputs(
    spec: ModelSpec,
    inputs: dict[str, torch.Tensor],
    token_ids: Mapping[str, int],
    accepted: set[str],
) -> dict[str, torch.Tensor]:
    """Return ``inputs`` with derived inputs added; raise if a required one is missing.

    Raises `InputError` naming the missing input and what produces it.
    """
    out = dict(inputs)
    ids = out["input_ids"]
    if "attention_mask" not in out:
        out["attention_mask"] = torch.ones_like(ids)
    for name in spec.derived_inputs:
        if name not in out and (name in accepted or "*" in accepted):
            out[name] = DERIVATIONS[name](ids, token_ids)
    media = present_media(ids, token_ids)
    for marker in spec.required_inputs:
        name, _, when = marker.partition("@")
        if (when in ("", "always") or when in media) and name not in out:
            raise InputError(
                f"{spec.architecture} needs {name!r} whenever {when or 'always'} inputs are present, and it is "
                f"missing from the batch. It is produced by the model's processor: build the batch with "
                f"OmniModel.encode(...) or pass {name!r} yourself (results silently change without it)."
            )
    _check_media_features(out, media, spec)
    return out


_FEATURE_KEYS: Mapping[str, tuple[str, ...]] = {
    "image": ("pixel_values", "image_pixel_values", "pixel_values_images"),
    "video": ("pixel_values_videos", "pixel_values", "video_pixel_values"),
    "audio": ("input_features", "audio_input_features", "input_audio_embeds", "audio_values"),
}


def _check_media_features(inputs: Mapping[str, torch.Tensor], media: set[str], spec: ModelSpec) -> None:
    for kind in media:
        medium = spec.medium(kind)
        keys = (medium.feature_keys if medium is not None and medium.feature_keys else None) or _FEATURE_KEYS[kind]
        if not any(k in inputs for k in keys):
            raise InputError(
                f"the batch has {kind} placeholder tokens but no {kind} features "
                f"(none of {list(keys)}). Pass the {kind} to the processor together with the text."
            )
