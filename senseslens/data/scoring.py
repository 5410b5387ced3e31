"""Option letters as sets of token ids, and choice logits over them.

A letter's set holds every *single* token that spells it, with optional leading
space or word-start marker (``" A"``, ``"ĠA"``, ``"▁A"``), an optional opening
bracket before it (``"(A"``, ``"[A"``) and an optional closing ``.`` ``)`` ``:`` ``]``
after it (``"A."``, ``"(A)"``). Case matters: ``"a"`` is not ``"A"``. Special
tokens never count. The sets are found two ways and united: by scanning the
vocabulary (each short token decoded with the tokenizer's own
``convert_tokens_to_string``) and by encoding candidate strings and keeping those
that come out as one token.

A choice logit is ``logsumexp`` of the logits over a set, so a softmax over choice
logits gives each label the probability summed over its spellings.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
from jaxtyping import Float

from ..errors import InputError

_WRAP = re.compile(r"^[(\[]?(?P<core>.+?)[.):\]]?$")
_OPEN = ("", "(", "[")
_CLOSE = ("", ".", ")", ":", "]")
_MAX_TOKEN_CHARS = 8  # longer raw tokens cannot be a decorated single letter/word of interest


def _normalise(decoded: str) -> str:
    """Strip whitespace and one layer of brackets / trailing punctuation."""
    m = _WRAP.match(decoded.strip())
    return m.group("core") if m else ""


def _special_ids(tokenizer: Any) -> set[int]:
    ids = set(getattr(tokenizer, "all_special_ids", []) or [])
    for tid, tok in (getattr(tokenizer, "added_tokens_decoder", {}) or {}).items():
        if getattr(tok, "special", False):
            ids.add(int(tid))
    return ids


def _vocab_scan(tokenizer: Any, spelling: Mapping[str, str], special: set[int]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {lab: set() for lab in spelling.values()}
    longest = max(len(core) for core in spelling)
    for raw, tid in tokenizer.get_vocab().items():
        if tid in special or len(raw) > longest + _MAX_TOKEN_CHARS or not any(c in raw for c in spelling):
            continue
        try:
            decoded = tokenizer.convert_tokens_to_string([raw])
        except Exception:  # some tokenizers cannot render lone pieces
            continue
        core = _normalise(decoded)
        if core in spelling:
            found[spelling[core]].add(int(tid))
    return found


def _encode_scan(tokenizer: Any, spelling: Mapping[str, str], special: set[int]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {lab: set() for lab in spelling.values()}
    for core, lab in spelling.items():
        for space in ("", " "):
            for o in _OPEN:
                for c in _CLOSE:
                    ids = tokenizer.encode(f"{space}{o}{core}{c}", add_special_tokens=False)
                    if len(ids) == 1 and int(ids[0]) not in special:
                        found[lab].add(int(ids[0]))
    return found


def label_token_ids(
    tokenizer: Any, labels: Iterable[str], aliases: Mapping[str, Sequence[str]] | None = None
) -> dict[str, tuple[int, ...]]:
    """Every single-token spelling of each label (letters, or words like ``TRUE``).

    ``aliases`` adds other cores per label (e.g. ``{"TRUE": ("True", "true")}``).
    Returns label -> sorted token ids. Raises `InputError` if a label has no
    single-token spelling or two labels share a token.
    """
    labels = list(dict.fromkeys(labels))
    if not labels or any(not lab for lab in labels):
        raise InputError(f"labels must be non-empty strings, got {labels!r}.")
    spelling = {lab: lab for lab in labels}
    for lab, extra in (aliases or {}).items():
        spelling.update({core: lab for core in extra if lab in spelling})
    special = _special_ids(tokenizer)
    scanned = _vocab_scan(tokenizer, spelling, special)
    encoded = _encode_scan(tokenizer, spelling, special)
    out = {lab: tuple(sorted(scanned[lab] | encoded[lab])) for lab in labels}
    empty = [lab for lab, ids in out.items() if not ids]
    if empty:
        raise InputError(f"the tokenizer has no single-token spelling of {empty}; "
                         "read these answers from generated text instead (score_generations).")
    seen: dict[int, str] = {}
    for lab, ids in out.items():
        for tid in ids:
            if tid in seen:
                raise InputError(f"token id {tid} spells both {seen[tid]!r} and {lab!r}.")
            seen[tid] = lab
    return out


def letter_token_ids(tokenizer: Any, letters: str | Sequence[str] = "ABCDEF") -> dict[str, tuple[int, ...]]:
    """Every single-token spelling of each option letter: letter -> sorted token ids."""
    return label_token_ids(tokenizer, list(letters))


#: Extra spellings read as the same answer when a variant's labels are TRUE / FALSE.
TRUE_FALSE_ALIASES: Mapping[str, tuple[str, ...]] = {"TRUE": ("True", "true"), "FALSE": ("False", "false")}


def choice_logits(
    logits: Float[Any, "batch vocab"], letter_ids: Mapping[str, Sequence[int]]
) -> Float[Any, "batch n_labels"]:
    """``logsumexp`` of ``logits`` over each id set, columns in ``letter_ids`` order.

    Accepts a torch tensor (returns a float32 torch tensor on the same device) or
    a numpy array (returns float64 numpy).
    """
    sets = [list(ids) for ids in letter_ids.values()]
    if not sets or any(not s for s in sets):
        raise InputError("letter_ids must map every label to at least one token id.")
    if hasattr(logits, "logsumexp"):  # torch
        if logits.ndim != 2:
            raise InputError(f"logits must be [B, V], got shape {tuple(logits.shape)}.")
        return _torch_stack(logits.float(), sets)
    x = np.asarray(logits, dtype=np.float64)
    if x.ndim != 2:
        raise InputError(f"logits must be [B, V], got shape {x.shape}.")
    cols = []
    for s in sets:
        sub = x[:, s]
        m = sub.max(axis=1, keepdims=True)
        cols.append((m + np.log(np.exp(sub - m).sum(axis=1, keepdims=True)))[:, 0])
    return np.stack(cols, axis=1)


def _torch_stack(x: Any, sets: list[list[int]]) -> Any:
    import torch

    return torch.stack([x[:, s].logsumexp(dim=1) for s in sets], dim=1)
