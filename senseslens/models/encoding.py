"""Prompts -> `Batch` through a model's own processor and chat template."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import numpy as np
import torch

from ..data.prompt import Prompt
from ..errors import InputError
from .batch import Batch
from .inputs import complete_inputs
from .regions import region_token_ranges
from .spans import build_spans, media_spans
from .spec import ModelSpec, config_value

_MEDIA_FIELDS: Mapping[str, str] = {"image": "images", "video": "videos", "audio": "audios"}


def chat_messages(prompt: Prompt, spec: ModelSpec) -> list[dict[str, Any]]:
    """One user message: media placeholders first (in spec order), then the text."""
    content: list[dict[str, Any]] = []
    for m in spec.media:
        content += [{"type": m.chat_type}] * len(getattr(prompt, _MEDIA_FIELDS[m.kind]))
    content.append({"type": "text", "text": prompt.text})
    return [{"role": "user", "content": content}]


def _check_media_supported(prompt: Prompt, spec: ModelSpec) -> None:
    for kind, field in _MEDIA_FIELDS.items():
        if getattr(prompt, field) and spec.medium(kind) is None:
            raise InputError(
                f"{spec.architecture} takes no {kind} input (it accepts {list(spec.modalities) or 'text only'}); "
                f"drop the {kind} from the prompt or use a model that has a {kind} tower."
            )


def _grids(outputs: Mapping[str, Any], spec: ModelSpec, config: Any) -> dict[str, list[tuple[int, int, int]]]:
    grids: dict[str, list[tuple[int, int, int]]] = {}
    for m in spec.media:
        if m.grid_key and m.grid_key in outputs:
            merge = int(config_value(config, m.merge_attr) or 1) if m.merge_attr else 1
            raw = outputs[m.grid_key].tolist()
            grids[m.kind] = [(int(t), int(h) // merge, int(w) // merge) for t, h, w in raw]
    return grids


def encode(
    prompts: Sequence[Prompt],
    *,
    processor: Any,
    spec: ModelSpec,
    config: Any,
    token_ids: Mapping[str, int],
    accepted: set[str],
    padding_side: str = "left",
    processor_kwargs: Mapping[str, Any] | None = None,
) -> Batch:
    """Collate ``prompts`` into one `Batch` (one processor call, one forward later)."""
    if not prompts:
        raise InputError("encode() got no prompts; pass at least one Prompt.")
    for p in prompts:
        _check_media_supported(p, spec)
    texts = [
        processor.apply_chat_template(chat_messages(p, spec), add_generation_prompt=True, tokenize=False)
        for p in prompts
    ]
    kwargs: dict[str, Any] = dict(processor_kwargs or {})
    for m in spec.media:
        per_prompt = [list(getattr(p, _MEDIA_FIELDS[m.kind])) for p in prompts]
        if any(per_prompt):
            kwargs[m.processor_kwarg] = per_prompt if m.nested else [x for xs in per_prompt for x in xs]
            if m.rate_kwarg:
                kwargs[m.rate_kwarg] = prompts[0].sampling_rate
    tokenizer = getattr(processor, "tokenizer", processor)
    old_side = getattr(tokenizer, "padding_side", None)
    tokenizer.padding_side = padding_side
    try:
        out = processor(text=texts, return_tensors="pt", padding=True, **kwargs)
    finally:
        if old_side is not None:
            tokenizer.padding_side = old_side
    inputs = {k: v for k, v in dict(out).items() if isinstance(v, torch.Tensor)}
    inputs = complete_inputs(spec, inputs, token_ids, accepted)
    ids, mask = inputs["input_ids"], inputs["attention_mask"]
    counts = [{k: len(getattr(p, f)) for k, f in _MEDIA_FIELDS.items()} for p in prompts]
    media = media_spans(ids, token_ids, _grids(out, spec, config), counts)
    regions = []
    fast = bool(getattr(tokenizer, "is_fast", False))
    for r, (p, text) in enumerate(zip(prompts, texts)):
        valid = np.flatnonzero(mask[r].cpu().numpy())
        if not fast or len(valid) == 0:
            regions.append({})
            continue
        row_ids = ids[r, valid[0] : valid[-1] + 1].tolist()
        regions.append(region_token_ranges(tokenizer, text, p.text, p.regions, row_ids, int(valid[0])))
    spans = build_spans(ids, mask, media, regions)
    return Batch(inputs=inputs, spans=spans, prompts=tuple(prompts), texts=tuple(texts), meta={"padding_side": padding_side})
