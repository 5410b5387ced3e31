"""Turn generated text into an answer label, MMMU-style, or the explicit `UNPARSEABLE`.

There is no random fallback: text that names no option is `UNPARSEABLE` and is
scored as wrong (and counted separately).

Letter rules, tried in order (the first that finds a letter decides; when a rule
finds several different letters, the one occurring *last* wins, as in MMMU, since
reasoning usually ends with the final answer):

1. the whole reply is a letter, optionally bracketed or followed by ``.`` ``)`` ``:``
   (``"B"``, ``"(B)"``, ``"B."``);
2. an explicit statement: ``answer``/``option``/``choice`` followed by optional
   ``is``/``:`` and the letter (``"The answer is B"``, ``"Answer: (B)"``);
3. a bracketed letter ``"(B)"`` anywhere;
4. a letter at the start of a line followed by ``.`` ``)`` or ``:`` (``"B. a dog"``);
5. a standalone capital letter (not part of a word; a capital ``A`` followed by a
   lower-case word is the article and is ignored);
6. option content: the text of exactly one option occurs in the reply (case- and
   punctuation-insensitive; when several do, the longest match, then the last).

TRUE/FALSE: the first word decides (``true``/``yes`` -> TRUE, ``false``/``no`` ->
FALSE, any case); otherwise the first sentence if it names only one of the two;
otherwise the whole reply if it names only one; otherwise `UNPARSEABLE`.
"""

from __future__ import annotations

import re
from typing import Final, Mapping, Sequence

#: The outcome for a reply that names no option. Compare with ``==`` or ``is``.
UNPARSEABLE: Final[str] = "UNPARSEABLE"

_PUNCT = re.compile(r"[^\w\s]")
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", _PUNCT.sub(" ", text.lower())).strip()


def _last(matches: list[tuple[int, str]]) -> str | None:
    return max(matches)[1] if matches else None


def _options_map(options: Sequence[str] | Mapping[str, str] | None, letters: str) -> dict[str, str]:
    if options is None:
        return {}
    if isinstance(options, Mapping):
        return {k: v for k, v in options.items() if k in letters}
    return dict(zip(letters, options))


def parse_choice(
    text: str,
    options: Sequence[str] | Mapping[str, str] | None = None,
    letters: str | Sequence[str] = "ABCDEF",
) -> str:
    """The option letter a reply names, or `UNPARSEABLE`.

    Args:
        text: the generated reply.
        options: option texts in letter order (or a mapping letter -> text), used
            by the content-match rule only.
        letters: the valid letters (single upper-case characters).
    """
    letters = "".join(letters)
    if not letters or any(len(c) != 1 or not c.isupper() for c in letters):
        raise ValueError(f"letters must be single upper-case characters, got {letters!r}")
    L = re.escape(letters)
    reply = text.strip()
    if not reply:
        return UNPARSEABLE
    m = re.fullmatch(rf"[\s\"'*`]*\(?([{L}])\)?[.:)]?[\s\"'*`.]*", reply)
    if m:
        return m.group(1)
    rules = (
        rf"(?i:\b(?:answer|option|choice)\b)(?:\s*(?i:is|would be|should be))?\s*[:\-]?\s*\**\(?([{L}])\)?(?![A-Za-z])",
        rf"\(([{L}])\)",
        rf"(?m)^[\s*\"'`]*([{L}])[.):]",
        rf"(?<![A-Za-z0-9])([{L}])(?![A-Za-z0-9])(?!\s+[a-z])",
    )
    for pattern in rules:
        found = _last([(mm.start(1), mm.group(1)) for mm in re.finditer(pattern, reply)])
        if found is not None:
            return found
    return _content_match(reply, _options_map(options, letters))


def _content_match(reply: str, options: dict[str, str]) -> str:
    padded = f" {_norm(reply)} "
    hits = []
    for letter, opt in options.items():
        key = _norm(opt)
        if key:
            pos = padded.rfind(f" {key} ")
            if pos >= 0:
                hits.append((len(key), pos, letter))
    return max(hits)[2] if hits else UNPARSEABLE


_TF_WORDS = {"true": "TRUE", "yes": "TRUE", "false": "FALSE", "no": "FALSE"}


def parse_true_false(text: str) -> str:
    """``"TRUE"``, ``"FALSE"`` or `UNPARSEABLE` (rules in the module docstring)."""
    words = _norm(text).split()
    if not words:
        return UNPARSEABLE
    if words[0] in _TF_WORDS:
        return _TF_WORDS[words[0]]
    first_sentence = re.split(r"[.!?\n]", text.strip(), maxsplit=1)[0]
    for span in (first_sentence, text):
        named = {_TF_WORDS[w] for w in _norm(span).split() if w in ("true", "false")}
        if len(named) == 1:
            return named.pop()
    return UNPARSEABLE


def parse_answer(text: str, answer_kind: str, options: Sequence[str] | None = None) -> str:
    """Dispatch on a prompt variant's ``answer_kind`` (``letter6``, ``letter5``, ``true_false``)."""
    table = {
        "letter6": lambda: parse_choice(text, options, "ABCDEF"),
        "letter5": lambda: parse_choice(text, options, "ABCDE"),
        "true_false": lambda: parse_true_false(text),
    }
    if answer_kind not in table:
        raise ValueError(f"unknown answer_kind {answer_kind!r}; expected one of {sorted(table)}")
    return table[answer_kind]()
