"""`Batch`: the forward inputs of one collated batch, with its spans and prompts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Mapping

import torch

from ..data.prompt import Prompt
from .spans import ModalitySpans


@dataclass(frozen=True)
class Batch:
    """One processor-collated batch.

    Attributes:
        inputs: exactly the keyword arguments of the model's forward (tensors).
        spans: per-row positions of media, question, options and the last token.
        prompts: the prompts the batch was built from (row order).
        texts: the chat-templated texts given to the processor.
    """

    inputs: Mapping[str, torch.Tensor]
    spans: ModalitySpans
    prompts: tuple[Prompt, ...] = ()
    texts: tuple[str, ...] = ()
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.inputs["input_ids"].shape[0])

    @property
    def input_ids(self) -> torch.Tensor:
        return self.inputs["input_ids"]

    def to(self, device: torch.device | str, dtype: torch.dtype | None = None) -> "Batch":
        """Move tensors to ``device``; floating tensors (pixels, audio features) to ``dtype`` if given."""

        def move(t: Any) -> Any:
            if not isinstance(t, torch.Tensor):
                return t
            if dtype is not None and t.is_floating_point():
                return t.to(device=device, dtype=dtype)
            return t.to(device)

        return replace(self, inputs={k: move(v) for k, v in self.inputs.items()})
