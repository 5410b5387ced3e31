"""Build a fresh (untrained) organism and its processor with consistent ids and sizes."""

from __future__ import annotations

from typing import Any

from ..data import synthetic as syn
from ..data.items import REJECT_TEXT
from ..data.prompts import A1_INSTRUCTION
from .config import SensesOrganismConfig
from .modeling import SensesOrganismForConditionalGeneration
from .processing import AUDIO_TOKEN, IMAGE_TOKEN, SensesOrganismProcessor, build_tokenizer, vocabulary

#: Texts whose words make up the vocabulary (anything else maps to ``<unk>``).
VOCAB_TEXTS: tuple[str, ...] = (
    "Question:\n Options:\n A. B. C. D. E. F. G. H.", A1_INSTRUCTION, *REJECT_TEXT.values(),
    *syn.QUADRANTS, *syn.SLOTS, *syn.COLOURS, *syn.SHAPES, *syn.PITCHES, *syn.TIMBRES,
    syn.VISION_QUESTION, syn.AUDIO_QUESTION,
    "TRUE FALSE True False yes no Yes No", "Is the description accurate? Answer TRUE or FALSE.",
    "Is the premise of the question correct? Answer yes or no.",
)

#: Architecture defaults (the shipped organism uses these unless the recipe overrides them).
ARCH: dict[str, Any] = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                            intermediate_size=128, vision_hidden_size=64, audio_hidden_size=64)


def default_processor() -> SensesOrganismProcessor:
    """The organism's processor (vocabulary from `VOCAB_TEXTS`)."""
    tok = build_tokenizer(vocabulary(VOCAB_TEXTS))
    return SensesOrganismProcessor(tok, image_size=syn.IMAGE_SIZE, image_tokens=4,
                                   audio_samples=syn.AUDIO_SAMPLES, hop_length=syn.AUDIO_SAMPLES // 16,
                                   audio_tokens=4)


def default_config(processor: SensesOrganismProcessor, **overrides: Any) -> SensesOrganismConfig:
    """A config whose vocabulary, placeholder ids and media sizes match ``processor``."""
    tok = processor.tokenizer
    kw = {**ARCH, **overrides}
    return SensesOrganismConfig(
        vocab_size=len(tok), image_token_id=tok.convert_tokens_to_ids(IMAGE_TOKEN),
        audio_token_id=tok.convert_tokens_to_ids(AUDIO_TOKEN), pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id, image_size=processor.image_size, patch_size=processor.image_size // 2,
        audio_bins=processor.hop_length // 2 + 1, audio_frames=processor.audio_samples // processor.hop_length,
        audio_stride=processor.audio_samples // processor.hop_length // processor.audio_tokens, **kw)


def build_organism(seed: int = 0, **overrides: Any) -> tuple[SensesOrganismForConditionalGeneration,
                                                             SensesOrganismProcessor]:
    """An untrained organism (weights drawn with ``torch.manual_seed(seed)``) and its processor."""
    import torch

    proc = default_processor()
    torch.manual_seed(seed)
    model = SensesOrganismForConditionalGeneration(default_config(proc, **overrides))
    return model.eval(), proc
