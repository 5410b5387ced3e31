"""`ModelSpec`: a declarative description of one HF architecture.

A spec says where the decoder stack, final norm, unembedding and the media towers
live (dotted module paths relative to the loaded model), which config attributes
hold the media placeholder token ids, how the processor names each medium, and
which forward inputs must never be omitted. One spec per architecture class; the
registry (`registry.py`) holds the table, and `validate()` checks a spec against a
real module tree at load time.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from torch import nn

from ..errors import SpecError

MediaKind = Literal["image", "video", "audio"]
Status = Literal["tested", "not run here", "discovered"]


@dataclass(frozen=True)
class MediaSpec:
    """How one medium enters a model.

    Attributes:
        kind: ``"image"``, ``"video"`` or ``"audio"``; also the span name.
        token_id: config attribute paths that may hold the placeholder token id,
            tried in order (e.g. ``("image_token_id", "image_token_index")``), or
            an int literal for models whose id lives only in code.
        processor_kwarg: keyword the processor takes for this medium.
        chat_type: the content ``type`` used in chat-template messages.
        grid_key: processor output holding one ``(t, h, w)`` patch grid per medium,
            counted before the spatial merge (Qwen family), if any.
        merge_attr: config attribute with the spatial merge size (tokens per grid
            cell = merge²).
        extra_token_ids: config paths of structural tokens inside the run that carry
            no media features (e.g. newline vectors); listed in spans as structural.
        nested: the processor wants one list of media per prompt (else a flat list).
        rate_kwarg: keyword for the audio sampling rate, if the processor takes one.
        feature_keys: processor outputs that carry this medium's features (defaults
            to the common HF names).
    """

    kind: MediaKind
    token_id: tuple[str, ...] | int
    processor_kwarg: str
    chat_type: str
    grid_key: str | None = None
    merge_attr: str | None = None
    extra_token_ids: tuple[str, ...] = ()
    nested: bool = False
    rate_kwarg: str | None = None
    feature_keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    """Where things are in one architecture. Paths are relative to ``root``.

    Attributes:
        architecture: HF class name, e.g. ``"Qwen2_5OmniThinkerForConditionalGeneration"``.
        family: short family label for tables.
        layers: the ``ModuleList`` of decoder blocks; "layer i" = ``layers[i].output``.
        final_norm: the norm applied after the last block (logit lens uses it).
        lm_head: the unembedding.
        vision_tower / projector / audio_tower / audio_projector: media path
            modules; ``None`` where absent or fused into the tower.
        root: submodule that is actually run (``"thinker"`` for full Omni models).
        config_root: config attribute holding the root's config (``"thinker_config"``).
        media: the media this architecture accepts.
        required_inputs: forward inputs that must be present whenever the processor
            can produce them (omission silently changes results for some families).
        derived_inputs: inputs senseslens derives from ``input_ids`` if the
            processor did not emit them (see ``inputs.DERIVATIONS``).
        source: ``"native"`` (in transformers) or ``"remote"`` (``trust_remote_code``).
        status: ``"tested"`` (tiny random model in the test suite), ``"not run here"``.
        checkpoints: example hub ids.
    """

    architecture: str
    family: str
    layers: str
    final_norm: str
    lm_head: str = "lm_head"
    vision_tower: str | None = None
    projector: str | None = None
    audio_tower: str | None = None
    audio_projector: str | None = None
    root: str = ""
    config_root: str = ""
    media: tuple[MediaSpec, ...] = ()
    required_inputs: tuple[str, ...] = ("input_ids", "attention_mask")
    derived_inputs: tuple[str, ...] = ()
    source: Literal["native", "remote"] = "native"
    status: Status = "tested"
    checkpoints: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def modalities(self) -> tuple[str, ...]:
        return tuple(m.kind for m in self.media)

    def medium(self, kind: str) -> MediaSpec | None:
        return next((m for m in self.media if m.kind == kind), None)

    def module_paths(self) -> dict[str, str]:
        """Role -> dotted path for every role this spec fills."""
        roles = {
            "layers": self.layers,
            "final_norm": self.final_norm,
            "lm_head": self.lm_head,
            "vision_tower": self.vision_tower,
            "projector": self.projector,
            "audio_tower": self.audio_tower,
            "audio_projector": self.audio_projector,
        }
        return {k: v for k, v in roles.items() if v}

    def with_overrides(self, **changes: Any) -> "ModelSpec":
        return replace(self, **changes)

    def validate(self, model: nn.Module) -> dict[str, nn.Module]:
        """Resolve every path on ``model`` (the runnable root); raise `SpecError` if any is missing."""
        found: dict[str, nn.Module] = {}
        missing: list[str] = []
        for role, path in self.module_paths().items():
            try:
                found[role] = get_submodule(model, path)
            except AttributeError:
                missing.append(f"{role} -> {path!r}")
        if missing:
            raise SpecError(
                f"The {self.architecture} spec does not match this model: "
                f"{', '.join(missing)} not found. Top-level children are "
                f"{[n for n, _ in model.named_children()]}. Fix the spec with "
                f"`sl.register_spec(spec.with_overrides(...), replace=True)` or report the "
                f"transformers version you use (module paths move between releases)."
            )
        if not isinstance(found["layers"], nn.ModuleList):
            raise SpecError(
                f"{self.architecture}: {self.layers!r} is a {type(found['layers']).__name__}, "
                "expected the nn.ModuleList of decoder blocks."
            )
        return found


def get_submodule(model: nn.Module, path: str) -> nn.Module:
    """``model.a.b.c`` for path ``"a.b.c"``; raises AttributeError naming the path."""
    obj: Any = model
    for part in path.split(".") if path else ():
        if part.isdigit():
            obj = obj[int(part)]
        elif hasattr(obj, part):
            obj = getattr(obj, part)
        else:
            raise AttributeError(path)
    return obj


def config_value(config: Any, path: str) -> Any:
    """Read a dotted attribute path from a config; None if absent."""
    obj = config
    for part in path.split("."):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj
