"""senseslens: does the model *see* what it fails to *say*?

Interpretability for omnimodal and vision-language models: modality-aware wrappers,
probes with controls, logit lens, patching, knockout, steering, and PGLA.

    import senseslens as sl
    model = sl.load_organism()
    bench = sl.data.synthetic_imavb(n_clips=50, seed=0)
    result = sl.behavior(model, bench)

Public names resolve lazily, so ``import senseslens`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: public name -> (module, attribute)
_PUBLIC: dict[str, tuple[str, str]] = {
    # model layer
    "load": ("senseslens.models.loading", "load"),
    "register_spec": ("senseslens.models.registry", "register_spec"),
    "supported_architectures": ("senseslens.models.registry", "supported_architectures"),
    "ModelSpec": ("senseslens.models.spec", "ModelSpec"),
    "MediaSpec": ("senseslens.models.spec", "MediaSpec"),
    "OmniModel": ("senseslens.models.wrapper", "OmniModel"),
    "Batch": ("senseslens.models.batch", "Batch"),
    "ModalitySpans": ("senseslens.models.spans", "ModalitySpans"),
    "Span": ("senseslens.models.spans", "Span"),
    "Site": ("senseslens.models.sites", "Site"),
    "Edit": ("senseslens.models.sites", "Edit"),
    "Knockout": ("senseslens.models.sites", "Knockout"),
    "Prompt": ("senseslens.data.prompt", "Prompt"),
    "load_organism": ("senseslens.organism.default", "load_organism"),
    # capture
    "extract": ("senseslens.capture.extract", "extract"),
    "open_store": ("senseslens.capture.store", "open_store"),
    # analyses
    "behavior": ("senseslens.analysis.behavior", "behavior"),
    "BehaviorResult": ("senseslens.analysis.behavior", "BehaviorResult"),
    "probe_layers": ("senseslens.analysis.probes", "probe_layers"),
    "gap_report": ("senseslens.analysis.gap", "gap_report"),
    "pgla": ("senseslens.analysis.pgla", "pgla"),
    "paper_probes": ("senseslens.analysis.probes", "paper_probes"),
    "LinearProbe": ("senseslens.analysis.probe_estimators", "LinearProbe"),
    "clip_swap_control": ("senseslens.analysis.controls", "clip_swap_control"),
    "logit_lens": ("senseslens.analysis.lens", "logit_lens"),
    "patch": ("senseslens.analysis.patching", "patch"),
    "knockout": ("senseslens.analysis.knockout", "knockout"),
    "steer": ("senseslens.analysis.steering", "steer"),
    # TransformerLens vocabulary
    "hook_name": ("senseslens.models.backends.tl_sites", "hook_name"),
    "site_from_hook": ("senseslens.models.backends.tl_sites", "site_from_hook"),
    # the whole study
    "study": ("senseslens.study.pipeline", "study"),
    "StudyConfig": ("senseslens.study.config", "StudyConfig"),
}
_SUBMODULES = ("data", "models", "analysis", "capture", "figures", "paper", "organism", "viz", "widgets")


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        module, attr = _PUBLIC[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        target = "senseslens.viz.widgets" if name == "widgets" else f"senseslens.{name}"
        module = importlib.import_module(target)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'senseslens' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_PUBLIC) | set(_SUBMODULES))


__all__ = sorted([*_PUBLIC, *_SUBMODULES, "__version__"])
