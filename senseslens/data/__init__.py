"""The data layer: items, benchmarks, IMAVB I/O, media, prompts, answer parsing and letter ids."""

from .benchmark import CELLS, Benchmark
from .imavb import SPLITS, load_imavb, write_imavb
from .items import ALL_LETTERS, REJECT_LETTER, REJECT_TEXT, Item
from .media import load_audio, load_image, sample_frames, write_png, write_video, write_wav
from .parsing import UNPARSEABLE, parse_answer, parse_choice, parse_true_false
from .prompt import Prompt
from .prompts import A1_INSTRUCTION, PROMPT_VARIANTS, PromptVariant, build_a1, build_prompt
from .scoring import choice_logits, label_token_ids, letter_token_ids
from .synthetic import synthetic_imavb

__all__ = [
    "A1_INSTRUCTION", "ALL_LETTERS", "Benchmark", "CELLS", "Item", "PROMPT_VARIANTS", "Prompt", "PromptVariant",
    "REJECT_LETTER", "REJECT_TEXT", "SPLITS", "UNPARSEABLE", "build_a1", "build_prompt", "choice_logits",
    "label_token_ids", "letter_token_ids", "load_audio", "load_image", "load_imavb", "parse_answer",
    "parse_choice", "parse_true_false", "sample_frames", "synthetic_imavb", "write_imavb", "write_png", "write_video", "write_wav",
]
