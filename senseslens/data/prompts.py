"""Prompt variants. A1 is the paper's fixed-order six-option multiple choice.

A1 template (byte-exact, from the paper's protocol)::

    Question:\n{q}\n\nOptions:\nA. {a}\nB. {b}\nC. {c}\nD. {d}\nE. {e}\nF. {f}\n\nAnswer with the option's letter from the given choices directly.

`PROMPT_VARIANTS` holds seven variants (A1, shuffle, A2, A5, warn, cot, modal); each
is described, with its scoring rule, in the table of docs/prompts.md and in its entry
below. `build_prompt` builds one and attaches the item's media.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from typing import Callable, Literal, Mapping, Sequence

import numpy as np

from ..errors import DataError
from .attach import MEDIA_KINDS, attach_media
from .items import ALL_LETTERS, CONTENT_LETTERS, REJECT_LETTER, REJECT_TEXT, Item
from .prompt import Prompt

A1_INSTRUCTION = "Answer with the option's letter from the given choices directly."


def option_texts(item: Item) -> tuple[str, ...]:
    """The six option texts A-F in fixed order (E and F are the reject options)."""
    return (*item.options, REJECT_TEXT["E"], REJECT_TEXT["F"])


def build_a1(item: Item) -> Prompt:
    """The A1 prompt for ``item``, with ``question`` and ``options`` regions."""
    head = "Question:\n"
    q_start = len(head)
    text = head + item.question
    q_stop = len(text)
    text += "\n\nOptions:\n"
    o_start = len(text)
    text += "\n".join(f"{letter}. {opt}" for letter, opt in zip(ALL_LETTERS, option_texts(item)))
    o_stop = len(text)
    text += "\n\n" + A1_INSTRUCTION
    return Prompt(
        text=text,
        regions={"question": (q_start, q_stop), "options": (o_start, o_stop)},
        meta={"item_id": item.item_id, "variant": "A1"},
    )


# ---------------------------------------------------------------------------------------
# Variants. The table in docs/prompts.md and the PromptVariant docstrings below are the
# one description of each variant and its scoring rule.
# ---------------------------------------------------------------------------------------

AnswerKind = Literal["letter6", "letter5", "true_false"]

#: Choice labels a model picks among, per answer kind (the order of choice-logit columns).
LABELS: Mapping[str, tuple[str, ...]] = {
    "letter6": ALL_LETTERS,
    "letter5": ALL_LETTERS[:5],
    "true_false": ("TRUE", "FALSE"),
}

A2_INSTRUCTION = "Is the description in the question accurate for this clip? Answer with TRUE or FALSE directly."
A5_INSTRUCTION = (
    "Is the description in the question accurate for this clip? Start your answer with TRUE or FALSE, "
    "then explain your decision in one or two sentences."
)
WARNING_PREAMBLE = (
    "Note: the question may contain a detail that does not match the clip. If it does, choose the "
    "option stating which detail is incorrect.\n\n"
)
COT_INSTRUCTION = (
    "Think step by step about what you see and hear in the clip, then give your final answer on the "
    "last line as \"Answer: X\", where X is the option's letter."
)


class _Text:
    """Appends text pieces and records the character range of named ones."""

    def __init__(self) -> None:
        self.text = ""
        self.regions: dict[str, tuple[int, int]] = {}

    def add(self, piece: str, region: str | None = None) -> "_Text":
        start = len(self.text)
        self.text += piece
        if region is not None:
            self.regions[region] = (start, len(self.text))
        return self


def _mcq(item: Item, order: Sequence[str], instruction: str, variant: str, seed: int, preamble: str = "") -> Prompt:
    """Multiple choice with the options shown in ``order`` (source letters per displayed slot)."""
    source = dict(zip(ALL_LETTERS, option_texts(item)))
    t = _Text().add(preamble + "Question:\n").add(item.question, "question").add("\n\nOptions:\n")
    t.add("\n".join(f"{shown}. {source[src]}" for shown, src in zip(ALL_LETTERS, order)), "options")
    t.add("\n\n" + instruction)
    meta = {"item_id": item.item_id, "variant": variant, "seed": seed, "option_order": tuple(order)}
    return Prompt(text=t.text, regions=t.regions, meta=meta)


def _item_rng(item: Item, seed: int) -> np.random.Generator:
    digest = hashlib.sha256(f"{seed}:{item.item_id}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def _a1(item: Item, *, seed: int = 0) -> Prompt:
    p = build_a1(item)
    return replace(p, meta={**p.meta, "seed": seed, "option_order": ALL_LETTERS})


def _shuffle(item: Item, *, seed: int = 0) -> Prompt:
    perm = _item_rng(item, seed).permutation(4)
    order = tuple(CONTENT_LETTERS[i] for i in perm) + ("E", "F")
    return _mcq(item, order, A1_INSTRUCTION, "shuffle", seed)


def _true_false(item: Item, instruction: str, variant: str, seed: int) -> Prompt:
    t = _Text().add("Question:\n").add(item.question, "question").add("\n\n" + instruction)
    return Prompt(text=t.text, regions=t.regions, meta={"item_id": item.item_id, "variant": variant, "seed": seed})


def _a2(item: Item, *, seed: int = 0) -> Prompt:
    return _true_false(item, A2_INSTRUCTION, "A2", seed)


def _a5(item: Item, *, seed: int = 0) -> Prompt:
    return _true_false(item, A5_INSTRUCTION, "A5", seed)


def _warn(item: Item, *, seed: int = 0) -> Prompt:
    return _mcq(item, ALL_LETTERS, A1_INSTRUCTION, "warn", seed, preamble=WARNING_PREAMBLE)


def _cot(item: Item, *, seed: int = 0) -> Prompt:
    return _mcq(item, ALL_LETTERS, COT_INSTRUCTION, "cot", seed)


def _modal(item: Item, *, seed: int = 0) -> Prompt:
    return _mcq(item, CONTENT_LETTERS + (REJECT_LETTER[item.modality],), A1_INSTRUCTION, "modal", seed)



@dataclass(frozen=True)
class PromptVariant:
    """One way of asking an item.

    Attributes:
        name: key in `PROMPT_VARIANTS` and ``Prompt.meta["variant"]``.
        description: what the model is shown.
        builder: ``(item, *, seed) -> Prompt`` (text and regions; no media).
        scoring: how an answer is scored against `gold_for`.
        answer_kind: ``"letter6"`` (A-F), ``"letter5"`` (A-E) or ``"true_false"``.
        needs_generation: the answer is only in generated text (next-token choice
            logits are not a valid readout).
    """

    name: str
    description: str
    builder: Callable[..., Prompt]
    scoring: str
    answer_kind: AnswerKind
    needs_generation: bool = False

    @property
    def labels(self) -> tuple[str, ...]:
        """The labels a model chooses among, in choice-logit column order."""
        return LABELS[self.answer_kind]

    def build(self, item: Item, *, seed: int = 0) -> Prompt:
        return self.builder(item, seed=seed)

    def _shown(self, prompt: Prompt, source_letter: str) -> str:
        order = prompt.meta.get("option_order")
        if order is None:
            raise DataError(f"prompt of variant {prompt.meta.get('variant')!r} has no option_order in meta; "
                            f"build it with variant {self.name!r}.")
        if source_letter not in order:
            raise DataError(f"option {source_letter!r} is not shown in this {self.name!r} prompt.")
        return ALL_LETTERS[list(order).index(source_letter)]

    def gold_for(self, item: Item, prompt: Prompt) -> str:
        """The correct label for ``item`` as asked in ``prompt`` (follows shuffled options)."""
        if self.answer_kind == "true_false":
            return "FALSE" if item.is_misleading else "TRUE"
        return self._shown(prompt, item.gold)

    def reject_for(self, item: Item, prompt: Prompt) -> str:
        """The label that rejects the premise in the item's own modality."""
        if self.answer_kind == "true_false":
            return "FALSE"
        return self._shown(prompt, REJECT_LETTER[item.modality])

    def reject_labels(self, prompt: Prompt) -> tuple[str, ...]:
        """Every label that rejects a premise (either modality)."""
        if self.answer_kind == "true_false":
            return ("FALSE",)
        order = prompt.meta["option_order"]
        return tuple(ALL_LETTERS[i] for i, src in enumerate(order) if src in ("E", "F"))


_LETTER_RULE = ("MMMU-style parse of the text (or argmax of the choice logits) must equal the gold letter; "
                "unparseable counts as wrong.")
_TF_RULE = ("TRUE/FALSE parse (first word, else first sentence) must equal the gold: TRUE for standard, "
            "FALSE for misleading items; unparseable counts as wrong.")

PROMPT_VARIANTS: Mapping[str, PromptVariant] = {
    v.name: v
    for v in (
        PromptVariant("A1", "Paper's fixed-order six-option MCQ: A-D content, E visual reject, F audio reject.",
                      _a1, _LETTER_RULE + " Gold: A-D standard, E mis_v, F mis_a.", "letter6"),
        PromptVariant("shuffle", "A1 with A-D shuffled per item (seeded by seed and item_id); E and F stay "
                      "in place so the reject letters keep their meaning.", _shuffle,
                      _LETTER_RULE + " Gold is the new letter of the originally correct option.", "letter6"),
        PromptVariant("A2", "Binary: the question, then 'Is the description in the question accurate for this "
                      "clip? Answer with TRUE or FALSE directly.'", _a2, _TF_RULE, "true_false"),
        PromptVariant("A5", "Binary with explanation: TRUE or FALSE first, then one or two sentences of reasons.",
                      _a5, _TF_RULE + " The explanation is kept in the text, not judged.", "true_false",
                      needs_generation=True),
        PromptVariant("warn", "A1 preceded by a warning that the question may contain a detail that does not "
                      "match the clip.", _warn, _LETTER_RULE + " Gold as A1.", "letter6"),
        PromptVariant("cot", "A1 options; asks for step-by-step reasoning and a final line 'Answer: X'.", _cot,
                      _LETTER_RULE + " The last explicit 'Answer: X' wins. Gold as A1.", "letter6",
                      needs_generation=True),
        PromptVariant("modal", "Five options: A-D plus only the reject option of the item's own modality, "
                      "shown as E (the option's text names the modality).", _modal,
                      _LETTER_RULE + " Gold: A-D standard, E misleading (either modality).", "letter5"),
    )
}


def get_variant(variant: str | PromptVariant) -> PromptVariant:
    if isinstance(variant, PromptVariant):
        return variant
    if variant not in PROMPT_VARIANTS:
        raise DataError(f"unknown prompt variant {variant!r}; choose one of {sorted(PROMPT_VARIANTS)}.")
    return PROMPT_VARIANTS[variant]


def build_prompt(
    item: Item,
    variant: str | PromptVariant = "A1",
    seed: int = 0,
    *,
    n_frames: int = 50,
    frame_size: int | tuple[int, int] | None = None,
    media: Sequence[str] = MEDIA_KINDS,
    sampling_rate: int = 16_000,
) -> Prompt:
    """The prompt of ``variant`` for ``item`` with the item's media attached.

    ``media`` selects which of ``"image"``, ``"video"``, ``"audio"`` to attach (drop
    one to ablate a modality). Video frames come from ``item.frames`` or are sampled
    (``n_frames``, uniform; paper: 50) from ``item.video``; audio from
    ``item.waveform``, ``item.audio_path`` or the video's audio track at
    ``sampling_rate`` Hz; images from ``item.image`` or ``item.image_path``.
    """
    v = get_variant(variant)
    prompt = v.build(item, seed=seed)
    return attach_media(prompt, item, media=media, n_frames=n_frames, frame_size=frame_size,
                        sampling_rate=sampling_rate)
