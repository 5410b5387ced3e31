"""A small offline word-level fast tokenizer for the tiny model zoo.

The vocabulary is built in memory (no download): the family's placeholder strings sit at the
exact ids its config uses, and the remaining ids are filled with option letters, digits,
punctuation and a few hundred frequent English words. Unknown words map to ``<unk>``.

Pre-tokenisation splits on whitespace, isolates every punctuation character and every digit, so
``"(A)"`` is ``["(", "A", ")"]`` and answer letters are always single tokens. Special tokens are
matched before pre-tokenisation and are never split. Decoding joins tokens with single spaces.
"""

from __future__ import annotations

import string
from collections.abc import Mapping

from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from senseslens.errors import InputError

UNK = "<unk>"

_LETTERS = tuple(string.ascii_uppercase) + tuple(string.ascii_lowercase)
_DIGITS = tuple(string.digits)
_PUNCT = tuple(".,;:!?()[]{}'\"-_/\\+*=<>|@#$%&^~`")
_WORDS = tuple(
    """
    user assistant system model USER ASSISTANT SYSTEM User Assistant System Audio Image Video
    Answer Question Options Option Choose Select What Which Who
    Where When Why How Is Are Does Do Did The A An There It This That None Yes No Not
    the a an is are was were be been being am do does did done have has had not no yes
    what which who whom whose where when why how of in on at to and or but if then than
    this that these those there here it its they them their he she his her him we you your
    i me my our us one two three four five six seven eight nine ten first second third last
    video clip image picture photo frame frames scene audio sound sounds sonic noise speech
    voice music song singing speaking talking playing heard hear hearing see seen shown show
    shows visible appear appears appearing present absent heard silent silence loud quiet
    person people man woman men women child children boy girl dog dogs cat cats bird birds
    car cars train bus horse animal animals guitar piano drum drums violin phone bell water
    rain wind fire door street room kitchen table ball tree trees sky sea river city road
    red blue green yellow black white brown orange purple pink gray grey color colour
    big small large little many few more most some any all none both either neither each
    question answer answers option options choice choices choose select pick letter correct
    incorrect true false right wrong premise contradict contradicts contradicted mismatch
    can cannot could would should will may might must with without for from by as about
    into onto over under before after during while between behind above below near far
    left right top bottom front back inside outside up down again also only just very
    make makes made take takes took give gives gave get gets got go goes went come comes
    say says said tell tells told ask asks asked describe described happening happens
    object objects thing things something nothing anything everything instrument instruments
    time times second seconds minute minutes start end beginning middle count number
    because so such same different other another real actually really exactly please
    """.split()
)


def build_word_tokenizer(
    special_tokens: Mapping[str, int],
    vocab_size: int,
    *,
    named_tokens: Mapping[str, str] | None = None,
    chat_template: str | None = None,
    pad_token: str = "<pad>",
    bos_token: str | None = None,
    eos_token: str | None = None,
    padding_side: str = "left",
    fill_below: int | None = None,
) -> PreTrainedTokenizerFast:
    """Build a fast WordLevel tokenizer with ``special_tokens`` at fixed ids.

    Args:
        special_tokens: token string -> id; every family placeholder, BOS/EOS/pad and chat
            delimiter. Ids must lie in ``[0, vocab_size)`` and be unique.
        vocab_size: total vocabulary size; must equal the model config's ``vocab_size``.
        named_tokens: attribute name -> token string, exposed on the tokenizer as
            ``tokenizer.<name>`` and ``tokenizer.<name>_id`` (e.g. ``{"image_token": "<image>"}``).
        chat_template: jinja template stored on the tokenizer (the processor keeps its own copy).
        pad_token, bos_token, eos_token: must be keys of ``special_tokens`` (or ``<unk>``/``<pad>``,
            which are placed at the first free ids when absent).
        padding_side: ``"left"`` by default, as for batched generation.
        fill_below: put ordinary words only at ids below this (Gemma 3n reserves the ids from its
            vision / audio vocabulary offsets for multimodal tokens); other free ids are unused.
    """
    specials = dict(special_tokens)
    taken = set(specials.values())
    if len(taken) != len(specials) or any(not 0 <= i < vocab_size for i in taken):
        raise InputError(
            f"special token ids {sorted(specials.values())} must be unique and inside the vocabulary "
            f"[0, {vocab_size}); choose distinct ids below vocab_size"
        )
    free = (i for i in range(fill_below or vocab_size) if i not in taken)
    for required in (UNK, pad_token):
        if required not in specials:
            specials[required] = next(free)
            taken.add(specials[required])
    vocab: dict[str, int] = dict(specials)
    fillers = [t for t in dict.fromkeys((*_LETTERS, *_DIGITS, *_PUNCT, *_WORDS)) if t not in vocab]
    for token_id, token in zip(free, fillers):
        vocab[token] = token_id
    used = set(vocab.values())
    for token_id in range(vocab_size):
        if token_id not in used:
            vocab[f"<unused_{token_id}>"] = token_id
    if not set(_LETTERS[:6]) <= set(vocab):
        raise InputError(f"vocab_size={vocab_size} is too small to hold the option letters; use >= 128")

    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token=UNK))
    core.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.WhitespaceSplit(),
            pre_tokenizers.Punctuation(behavior="isolated"),
            pre_tokenizers.Digits(individual_digits=True),
        ]
    )
    core.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    kwargs: dict = {
        "tokenizer_object": core,
        "unk_token": UNK,
        "pad_token": pad_token,
        "padding_side": padding_side,
        "model_max_length": 4096,
    }
    if bos_token is not None:
        kwargs["bos_token"] = bos_token
    if eos_token is not None:
        kwargs["eos_token"] = eos_token
    if named_tokens:
        kwargs["extra_special_tokens"] = dict(named_tokens)
    tokenizer = PreTrainedTokenizerFast(**kwargs)
    extra = [t for t in special_tokens if t not in (UNK, pad_token, bos_token, eos_token)]
    extra += [t for t in (named_tokens or {}).values() if t not in extra]
    tokenizer.add_tokens(extra, special_tokens=True)
    if chat_template is not None:
        tokenizer.chat_template = chat_template
    wrong = {t: tokenizer.convert_tokens_to_ids(t) for t in special_tokens}
    wrong = {t: i for t, i in wrong.items() if i != special_tokens[t]}
    if wrong:
        raise InputError(f"special tokens landed at unexpected ids {wrong}; check for duplicate strings")
    return tokenizer
