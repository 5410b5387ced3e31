"""The senseslens model organism: a tiny omnimodal HF model trained on synthetic IMAVB.

Importing this package registers the organism with the transformers Auto classes
(`AutoConfig`, `AutoModelForImageTextToText`, `AutoModelForCausalLM`, `AutoProcessor`).
"""

from __future__ import annotations

from transformers import (AutoConfig, AutoModelForCausalLM, AutoModelForImageTextToText,
                          AutoProcessor)

from .config import SensesOrganismConfig
from .modeling import SensesOrganismForConditionalGeneration
from .processing import SensesOrganismProcessor


def _register() -> None:
    try:
        AutoConfig.register(SensesOrganismConfig.model_type, SensesOrganismConfig)
    except ValueError:  # already registered
        pass
    for auto in (AutoModelForImageTextToText, AutoModelForCausalLM):
        try:
            auto.register(SensesOrganismConfig, SensesOrganismForConditionalGeneration)
        except ValueError:
            pass
    try:
        AutoProcessor.register(SensesOrganismConfig, SensesOrganismProcessor)
    except ValueError:
        pass


_register()

__all__ = ["SensesOrganismConfig", "SensesOrganismForConditionalGeneration", "SensesOrganismProcessor"]
