"""The models the paper evaluated: display name, checkpoint, aliases, LM width."""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from senseslens.errors import DataError
from senseslens.paper.provenance import MODELS_TABLE, Source

__all__ = ["PaperModel", "MODELS", "MODEL_ORDER", "match_model", "UnknownPaperModelError"]


class UnknownPaperModelError(DataError):
    """A checkpoint name matches none of the paper's models."""


@dataclass(frozen=True)
class PaperModel:
    """One evaluated model as the paper's models table lists it.

    ``hidden_state_entries`` is the number of per-layer hidden-state vectors the authors
    extracted (their layer indices, e.g. the peak layers, index into this list); it is
    stored as published and not converted to senseslens' 0-based block convention.
    """

    name: str
    checkpoint: str | None
    access: Literal["open", "api"]
    loading: str
    lm_width: int | None
    hidden_state_entries: int | None
    aliases: tuple[str, ...] = ()
    source: Source = MODELS_TABLE

    def keys(self) -> tuple[str, ...]:
        """Every normalised string that identifies this model."""
        raw = [self.name, *self.aliases]
        if self.checkpoint:
            raw += [self.checkpoint, self.checkpoint.rsplit("/", 1)[-1]]
        return tuple(dict.fromkeys(_norm(r) for r in raw))


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


_ALL = (
    PaperModel("OLA", "THUdyh/Ola-7b", "open", "remote code", 3584, 29, ("Ola", "Ola-7b")),
    PaperModel("OmniVinci", "nvidia/OmniVinci", "open", "remote code", 3584, 29),
    PaperModel("Qwen2.5-Omni", "Qwen/Qwen2.5-Omni-7B", "open", "native in transformers",
               3584, 28, ("Qwen2.5-Omni-7B", "qwen2_5_omni")),
    PaperModel("Qwen3-Omni", "Qwen/Qwen3-Omni-30B-A3B-Instruct", "open",
               "native in transformers, MoE", 2048, 48,
               ("Qwen3-Omni-30B-A3B", "qwen3_omni_moe")),
    PaperModel("MiniCPM-o 2.6", "openbmb/MiniCPM-o-2_6", "open",
               "remote code, old transformers", 3584, 28,
               ("MiniCPM-o", "MiniCPM-o-2.6", "minicpmo")),
    PaperModel("Uni-MoE-2.0-Omni", "HIT-TMG/Uni-MoE-2.0-Omni", "open", "remote code", 3584, 29,
               ("Uni-MoE", "Uni-MoE-2.0")),
    PaperModel("Baichuan-Omni-1.5", "baichuan-inc/Baichuan-Omni-1d5", "open", "remote code",
               3584, 28, ("Baichuan", "Baichuan-Omni")),
    PaperModel("Video-SALMONN-2", "tsinghua-ee/video-SALMONN-2_plus_7B", "open",
               "Qwen2.5-VL based, LoRA", 3584, 29, ("video-SALMONN-2+", "video-salmonn-2-plus")),
    PaperModel("Gemini 3.1 Pro", None, "api", "API, behaviour only", None, None,
               ("gemini-3.1-pro",)),
)

#: Display names in the order of the paper's models table.
MODEL_ORDER: tuple[str, ...] = tuple(m.name for m in _ALL)

#: name → :class:`PaperModel` (read-only).
MODELS: MappingProxyType[str, PaperModel] = MappingProxyType({m.name: m for m in _ALL})


def match_model(name: str) -> PaperModel:
    """Return the paper's model that ``name`` identifies.

    ``name`` may be a display name (``"Qwen2.5-Omni"``), a hub id
    (``"Qwen/Qwen2.5-Omni-7B"``), a local path ending in the checkpoint's folder name, or an
    alias; matching ignores case and punctuation but is otherwise exact, so a different
    size (``Qwen2.5-Omni-3B``) does not match the 7B model the paper used.
    """
    if not isinstance(name, str) or not name.strip():
        raise UnknownPaperModelError(
            f"model name must be a non-empty string, got {name!r}; pass the checkpoint id "
            f"or one of {list(MODEL_ORDER)}."
        )
    text = name.strip().rstrip("/")
    candidates = {_norm(text), _norm(text.rsplit("/", 1)[-1])}
    hits = [m for m in _ALL if candidates & set(m.keys())]
    if len(hits) == 1:
        return hits[0]
    known = [f"{m.name} ({m.checkpoint or m.loading})" for m in _ALL]
    raise UnknownPaperModelError(
        f"'{name}' matches none of the paper's models. Known: {known}. Pass the paper's "
        "name explicitly, e.g. compare(report, model='Qwen2.5-Omni'), if your checkpoint "
        "is a renamed copy of one of them."
    )
