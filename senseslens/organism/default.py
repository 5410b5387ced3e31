"""`load_organism()`: the shipped model organism as an `OmniModel`, the embedded default."""

from __future__ import annotations

from ..models.loading import load
from ..models.wrapper import OmniModel


def load_organism(device: str = "cpu", backend: str = "nnsight") -> OmniModel:
    """The organism trained on synthetic clips and shipped in the package (about a second).

    It goes through the same `load` path, spec and spans as any HF checkpoint.
    """
    from .shipped import load_shipped

    model, processor = load_shipped(device)
    return load(model, processor, backend=backend, name="senses-organism")
