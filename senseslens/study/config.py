"""`StudyConfig`: every knob of the whole-study pipeline, with the paper's defaults."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class StudyConfig:
    """Settings of `study`. Defaults follow the paper where it has one.

    Attributes:
        variant: prompt variant of the main run (paper: A1).
        batch_size: items per traced forward.
        dtype: activation store dtype ("float16" or "float32").
        n_frames: video frames per clip (paper: 50).
        controls: probe controls run at every layer or at the best layer.
        ablations: re-runs with one modality removed (paper's interference table).
        clip_swap: re-run every question with another clip of the same modality.
        encoder_baseline: probe the tower/projector outputs (perception baseline).
        causal: run logit lens, patching, knockout and steering on a subset.
        causal_items: how many clips (four items each) the causal tools use; held out from the steering probe.
        n_boot: bootstrap resamples for CIs.
        seed: seeds folds, splits, clip swaps and bootstraps.
        figures: write PNG figures next to the report.
    """

    variant: str = "A1"
    batch_size: int = 16
    dtype: str = "float16"
    n_frames: int = 50
    controls: tuple[str, ...] = ("shuffle", "control_task", "tfidf", "sbert", "residualised")
    ablations: bool = True
    clip_swap: bool = True
    encoder_baseline: bool = True
    causal: bool = True
    causal_items: int = 40
    n_boot: int = 2000
    seed: int = 42
    figures: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
