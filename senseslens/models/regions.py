"""Map character regions of a prompt to token positions in the processed batch.

The processor expands each media placeholder into a run of tokens (and some
families add text around it), so offsets of the templated text do not index the
final ids directly. We tokenize the *unexpanded* templated text with offsets, then
align its ids with the row's final ids (matching blocks of a sequence alignment);
tokens of a region map through the alignment to their final positions.
"""

from __future__ import annotations

import difflib
from typing import Any, Mapping, Sequence

import numpy as np


def region_token_ranges(
    tokenizer: Any,
    templated_text: str,
    user_text: str,
    regions: Mapping[str, tuple[int, int]],
    row_ids: Sequence[int],
    row_offset: int,
) -> dict[str, tuple[int, int]]:
    """Token ranges ``[start, stop)`` in padded-batch coordinates for each region.

    Args:
        tokenizer: a *fast* tokenizer (``return_offsets_mapping`` support).
        templated_text: the chat-templated text given to the processor for this row.
        user_text: the prompt's user text (``Prompt.text``), found inside the template.
        regions: name -> character range inside ``user_text``; ``"prompt"`` is added
            automatically for the whole user text.
        row_ids: the row's final ids without padding.
        row_offset: position of ``row_ids[0]`` in the padded batch (left padding).

    Returns an empty mapping when the user text cannot be located (it never is for
    templates that copy the text verbatim).
    """
    base = templated_text.rfind(user_text)
    if base < 0 or not user_text:
        return {}
    enc = tokenizer(templated_text, return_offsets_mapping=True)
    ids = list(enc["input_ids"])
    offsets = np.asarray(enc["offset_mapping"], dtype=np.int64).reshape(-1, 2)
    mapping = _align(ids, list(row_ids))
    wanted = {"prompt": (0, len(user_text)), **dict(regions)}
    out: dict[str, tuple[int, int]] = {}
    for name, (a, b) in wanted.items():
        lo, hi = base + a, base + b
        toks = np.flatnonzero((offsets[:, 0] < hi) & (offsets[:, 1] > lo) & (offsets[:, 1] > offsets[:, 0]))
        mapped = [mapping[t] for t in toks.tolist() if t in mapping]
        if mapped:
            out[name] = (row_offset + min(mapped), row_offset + max(mapped) + 1)
    return out


def _align(source: list[int], target: list[int]) -> dict[int, int]:
    """Index map source -> target over the matching blocks of the two id sequences."""
    matcher = difflib.SequenceMatcher(None, source, target, autojunk=False)
    out: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            out[block.a + k] = block.b + k
    return out
