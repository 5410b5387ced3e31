"""Activation capture: `extract` a benchmark through a model into an on-disk `ActivationStore`.

``extract(model, benchmark, out=DIR)`` writes sharded safetensors plus ``manifest.json``;
``open_store(DIR)`` reads them back lazily (memory-mapped). See ``docs/capture.md``.
"""

from __future__ import annotations

from .extract import DEFAULT_SHARD_SIZE, extract
from .sites import default_sites
from .store import ActivationStore, LayerStack, open_store

__all__ = ["ActivationStore", "DEFAULT_SHARD_SIZE", "LayerStack", "default_sites", "extract", "open_store"]
