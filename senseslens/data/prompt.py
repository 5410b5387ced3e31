"""`Prompt`: one user turn as text plus media, with named character regions.

This is the neutral hand-off between the data layer (which builds prompts from
benchmark items) and the model layer (which runs them through a processor's chat
template and finds the token positions of each region).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np


@dataclass(frozen=True)
class Prompt:
    """One user turn.

    Attributes:
        text: the user text, *without* media placeholders (the processor's chat
            template inserts those).
        images: still images, each a PIL image or a uint8 array ``[H, W, 3]``.
        videos: videos, each a uint8 array of frames ``[N, H, W, 3]``.
        audios: mono float32 waveforms ``[S]`` at ``sampling_rate`` Hz.
        regions: named character ranges ``(start, stop)`` (stop exclusive) inside
            ``text``, e.g. ``{"question": (10, 52), "options": (63, 140)}``. The
            model layer turns each into a token span of the same name.
        sampling_rate: Hz of every waveform in ``audios``.
        meta: free-form metadata carried along (item id, ...).
    """

    text: str
    images: Sequence[Any] = ()
    videos: Sequence[np.ndarray] = ()
    audios: Sequence[np.ndarray] = ()
    regions: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    sampling_rate: int = 16_000
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name, (start, stop) in self.regions.items():
            if not (0 <= start <= stop <= len(self.text)):
                raise ValueError(
                    f"region {name!r}=({start}, {stop}) lies outside the prompt text "
                    f"of length {len(self.text)}; regions are character ranges of `text`."
                )

    def region_text(self, name: str) -> str:
        start, stop = self.regions[name]
        return self.text[start:stop]
