"""`OmniModel`: a loaded HF model + its spec + processor + a tracing backend."""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any, Sequence

import pandas as pd
import torch
from torch import nn

from ..data.prompt import Prompt
from ..errors import InputError, ProcessorNotFoundError
from .backends.common import RunOutput
from .backends.nnsight_backend import NNsightBackend
from .batch import Batch
from .encoding import encode as _encode
from .inputs import forward_parameters
from .sites import Edit, Knockout, Site
from .spec import ModelSpec, config_value, get_submodule

#: Tower roles in the order their outputs appear during a forward; a module nested
#: inside another (Qwen's merger inside ``visual``) finishes first.
_DEFAULT_TOWER_ORDER = ("audio_tower", "audio_projector", "projector", "vision_tower")


def _tower_order(spec: ModelSpec) -> tuple[str, ...]:
    order = spec.extra.get("tower_order")
    if order:
        return tuple(order)
    paths = spec.module_paths()
    roles = [r for r in _DEFAULT_TOWER_ORDER if r in paths]
    # a nested module's output comes before its parent's; otherwise vision (tower, projector) runs first
    vision = [r for r in ("vision_tower", "projector") if r in roles]
    if len(vision) == 2 and paths["projector"].startswith(paths["vision_tower"] + "."):
        vision = ["projector", "vision_tower"]
    audio = [r for r in ("audio_tower", "audio_projector") if r in roles]
    first_audio = spec.extra.get("audio_first", spec.family.startswith("qwen") and "audio" in spec.modalities)
    return tuple(audio + vision) if first_audio else tuple(vision + audio)


class OmniModel:
    """A model ready for interpretability: modules by role, spans, one `run` call.

    Build it with `senseslens.load(...)`. Layer ``i`` means the output of decoder
    block ``i`` (0-based). ``run`` is the only entry point analyses use.
    """

    def __init__(self, hf_model: nn.Module, spec: ModelSpec, processor: Any | None = None, name: str | None = None):
        self.hf = hf_model
        self.spec = spec
        self.processor = processor
        self.root: nn.Module = get_submodule(hf_model, spec.root) if spec.root else hf_model
        self.modules: dict[str, nn.Module] = spec.validate(self.root)
        config = getattr(self.root, "config", None) or getattr(hf_model, "config", None)
        self.config = config
        self.name = name or getattr(getattr(hf_model, "config", None), "_name_or_path", "") or type(hf_model).__name__
        self.token_ids: dict[str, int] = self._placeholder_ids()
        self.accepted = forward_parameters(self.root)
        self.backend = NNsightBackend(self.root, spec.module_paths(), self.n_layers, _tower_order(spec))

    # --- structure -------------------------------------------------------------------
    def _placeholder_ids(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for m in self.spec.media:
            if isinstance(m.token_id, int):
                out[m.kind] = m.token_id
                continue
            for attr in m.token_id:
                for cfg in (self.config, getattr(self.config, "text_config", None)):
                    value = config_value(cfg, attr) if cfg is not None else None
                    if isinstance(value, int):
                        out[m.kind] = value
                        break
                if m.kind in out:
                    break
        return out

    @property
    def layers(self) -> nn.ModuleList:
        return self.modules["layers"]  # type: ignore[return-value]

    @property
    def final_norm(self) -> nn.Module:
        return self.modules["final_norm"]

    @property
    def lm_head(self) -> nn.Module:
        return self.modules["lm_head"]

    @property
    def vision_tower(self) -> nn.Module | None:
        return self.modules.get("vision_tower")

    @property
    def projector(self) -> nn.Module | None:
        return self.modules.get("projector")

    @property
    def audio_tower(self) -> nn.Module | None:
        return self.modules.get("audio_tower")

    @property
    def audio_projector(self) -> nn.Module | None:
        return self.modules.get("audio_projector")

    @property
    def n_layers(self) -> int:
        return len(self.modules["layers"])  # type: ignore[arg-type]

    @property
    def d_model(self) -> int:
        weight = getattr(self.lm_head, "weight", None)
        return int(weight.shape[-1]) if weight is not None else int(config_value(self.config, "hidden_size"))

    @property
    def device(self) -> torch.device:
        return next(self.root.parameters()).device

    @property
    def dtype(self) -> torch.dtype:
        return next(self.root.parameters()).dtype

    @property
    def tokenizer(self) -> Any:
        self._need_processor()
        return getattr(self.processor, "tokenizer", self.processor)

    def describe(self) -> pd.DataFrame:
        """Role, path and class of every module the spec names."""
        paths = self.spec.module_paths()
        return pd.DataFrame(
            [{"role": r, "path": paths[r], "class": type(m).__name__} for r, m in self.modules.items()]
        )

    def __repr__(self) -> str:
        return f"OmniModel({self.name!r}, {self.spec.architecture}, layers={self.n_layers}, d_model={self.d_model}, media={list(self.spec.modalities)})"

    # --- inputs -----------------------------------------------------------------------
    def _need_processor(self) -> None:
        if self.processor is None:
            raise ProcessorNotFoundError(
                f"{self.name} has no processor, which encode() needs. Pass one: sl.load(model, processor=AutoProcessor.from_pretrained(...))."
            )

    def encode(self, prompts: Sequence[Prompt] | Prompt, *, padding_side: str = "left", **processor_kwargs: Any) -> Batch:
        """Collate prompts into one `Batch` with the model's processor and chat template."""
        self._need_processor()
        if isinstance(prompts, Prompt):
            prompts = [prompts]
        return _encode(
            list(prompts),
            processor=self.processor,
            spec=self.spec,
            config=self.config,
            token_ids=self.token_ids,
            accepted=self.accepted,
            padding_side=padding_side,
            processor_kwargs={**self.spec.extra.get("processor_kwargs", {}), **processor_kwargs},
        )

    @cached_property
    def letter_ids(self) -> dict[str, tuple[int, ...]]:
        """Option letter -> every token id spelling it (A-F)."""
        from ..data.scoring import letter_token_ids

        return letter_token_ids(self.tokenizer)

    # --- running ----------------------------------------------------------------------
    def run(
        self,
        batch: Batch,
        capture: Sequence[Site] = (),
        edits: Sequence[Edit] = (),
        knockouts: Sequence[Knockout] = (),
        logits: str = "last",
    ) -> RunOutput:
        """One forward of ``batch`` that reads ``capture`` sites and applies ``edits``.

        Returns logits ``[B, V]`` at the last prompt token (``logits="all"``: ``[B, T, V]``)
        and the captured sites (see `RunOutput`). Captures at an edited site see the edit.
        """
        if not isinstance(batch, Batch):
            raise InputError("run() takes a Batch; build one with OmniModel.encode(prompts).")
        batch = batch.to(self.device, self.dtype)
        return self.backend.run(batch, capture=capture, edits=edits, knockouts=knockouts, logits=logits)

    # --- identity ---------------------------------------------------------------------
    def fingerprint(self) -> dict[str, str]:
        """class, config hash, weights hash (a strided sample of every tensor plus shapes)."""
        cfg = getattr(self.hf, "config", None)
        cfg_json = json.dumps(cfg.to_dict() if cfg is not None else {}, sort_keys=True, default=str)
        h = hashlib.sha256()
        for name, tensor in self.hf.state_dict().items():
            flat = tensor.detach().reshape(-1)
            step = max(1, flat.numel() // 4096)
            h.update(name.encode())
            h.update(str(tuple(tensor.shape)).encode())
            h.update(flat[::step].to(torch.float32).cpu().numpy().tobytes())
        return {
            "class": type(self.hf).__name__,
            "config_hash": hashlib.sha256(cfg_json.encode()).hexdigest(),
            "weights_hash": h.hexdigest(),
        }
