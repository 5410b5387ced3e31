"""`Item`: one benchmark question about one clip, in the paper's 2x2 design.

Design: target modality {vision, audio} x premise {standard, misleading}. A
misleading item is its standard twin with one premise detail swapped; the gold
answer of a misleading item is the reject option of its modality (E for vision,
F for audio); standard items have a gold in A-D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

import numpy as np

Modality = Literal["vision", "audio"]
Premise = Literal["standard", "misleading"]

CONTENT_LETTERS: tuple[str, ...] = ("A", "B", "C", "D")
REJECT_LETTER: Mapping[str, str] = {"vision": "E", "audio": "F"}
ALL_LETTERS: tuple[str, ...] = ("A", "B", "C", "D", "E", "F")
REJECT_TEXT: Mapping[str, str] = {
    "E": "The visual detail in the question is incorrect",
    "F": "The audio detail in the question is incorrect",
}


@dataclass(frozen=True)
class Item:
    """One question about one clip.

    Media may be given as paths (``video``, ``audio_path``, ``image_path``) that are
    decoded lazily, or in memory (``frames`` ``[N, H, W, 3]`` uint8, ``waveform``
    ``[S]`` float32 mono at 16 kHz, ``image`` ``[H, W, 3]`` uint8).
    """

    item_id: str
    clip_id: str
    modality: Modality
    premise: Premise
    question: str
    options: tuple[str, str, str, str]
    gold: str
    twin_id: str | None = None
    subcategory: str | None = None
    video: str | None = None
    audio_path: str | None = None
    image_path: str | None = None
    frames: np.ndarray | None = field(default=None, repr=False, compare=False)
    waveform: np.ndarray | None = field(default=None, repr=False, compare=False)
    image: np.ndarray | None = field(default=None, repr=False, compare=False)
    meta: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_misleading(self) -> bool:
        return self.premise == "misleading"

    @property
    def cell(self) -> str:
        """Cell of the 2x2 design: ``std_v``, ``std_a``, ``mis_v`` or ``mis_a``."""
        return ("mis_" if self.is_misleading else "std_") + self.modality[0]

    @property
    def reject_letter(self) -> str:
        """The reject option of this item's target modality (E vision, F audio)."""
        return REJECT_LETTER[self.modality]
