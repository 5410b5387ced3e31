"""Letter token ids on real (offline-built) tokenizers, and choice logits."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import PreTrainedTokenizerFast

from senseslens.data import choice_logits, label_token_ids, letter_token_ids
from senseslens.data.scoring import TRUE_FALSE_ALIASES
from senseslens.errors import InputError


@pytest.fixture(scope="module")
def bpe_tokenizer():
    """Byte-level BPE (GPT-2 / Qwen2 style) with merged letter spellings."""
    vocab = {ch: i for i, ch in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))}
    merges = []

    def merge(a, b):
        vocab.setdefault(a + b, len(vocab))
        merges.append((a, b))

    for letter in "ABCDEF":
        merge("Ġ", letter)
        merge("(", letter)
        merge(letter, ".")
    merge("Ġ", "(")
    merge("Ġ(", "A")  # " (A" as one token, only for A
    merge("T", "R"), merge("TR", "U"), merge("TRU", "E"), merge("Ġ", "TRUE")
    merge("F", "A"), merge("FA", "L"), merge("FAL", "S"), merge("FALS", "E")
    merge("T", "r"), merge("Tr", "u"), merge("Tru", "e")
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    fast = PreTrainedTokenizerFast(tokenizer_object=tok)
    fast.add_special_tokens({"eos_token": "<|A|>"})  # special tokens never count, even if they mention A
    return fast


@pytest.fixture(scope="module")
def metaspace_tokenizer():
    """SentencePiece-style word-start marker '▁' (Llama / Gemma style)."""
    words = ["<unk>", "▁A", "▁B", "A", "B", "▁(A)", "B.", "▁the", "▁answer", "▁is", "▁a"]
    tok = Tokenizer(models.WordLevel(vocab={w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    return PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="<unk>")


def _spellings(tok, ids):
    return {k: sorted(tok.convert_ids_to_tokens(list(v))) for k, v in ids.items()}


def test_bpe_letter_sets(bpe_tokenizer):
    ids = letter_token_ids(bpe_tokenizer)
    assert list(ids) == list("ABCDEF")
    sp = _spellings(bpe_tokenizer, ids)
    assert sp["A"] == sorted(["A", "ĠA", "(A", "A.", "Ġ(A"])
    assert sp["B"] == sorted(["B", "ĠB", "(B", "B."])
    special = set(bpe_tokenizer.all_special_ids)
    assert not special & {i for v in ids.values() for i in v}
    all_ids = [i for v in ids.values() for i in v]
    assert len(all_ids) == len(set(all_ids))


def test_encoding_agrees_with_the_sets(bpe_tokenizer):
    ids = letter_token_ids(bpe_tokenizer, "AB")
    single = 0
    for text in ("A", " A", "(A", "A.", " (A", "A)"):
        enc = bpe_tokenizer.encode(text, add_special_tokens=False)
        if len(enc) == 1:  # the pre-tokenizer splits some of these ("(" | "A"); the vocab scan still finds them
            single += 1
            assert enc[0] in ids["A"]
    assert single >= 2


def test_metaspace_letter_sets(metaspace_tokenizer):
    ids = letter_token_ids(metaspace_tokenizer, "AB")
    sp = _spellings(metaspace_tokenizer, ids)
    assert sp["A"] == sorted(["▁A", "A", "▁(A)"])
    assert sp["B"] == sorted(["▁B", "B", "B."])
    assert "▁a" not in sp["A"]  # case matters


def test_true_false_with_aliases(bpe_tokenizer):
    ids = label_token_ids(bpe_tokenizer, ["TRUE", "FALSE"], aliases=TRUE_FALSE_ALIASES)
    sp = _spellings(bpe_tokenizer, ids)
    assert sp["TRUE"] == sorted(["TRUE", "ĠTRUE", "True"])
    assert sp["FALSE"] == ["FALSE"]


def test_missing_letter_is_an_input_error(metaspace_tokenizer):
    with pytest.raises(InputError, match=r"\['C'\]"):
        letter_token_ids(metaspace_tokenizer, "ABC")


def test_choice_logits_is_logsumexp_and_probabilities_sum_over_sets():
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(3, 20))
    sets = {"A": (1, 4), "B": (7,), "C": (2, 9, 11)}
    got = choice_logits(logits, sets)
    assert got.shape == (3, 3)
    expected = np.stack([np.log(np.exp(logits[:, list(s)]).sum(1)) for s in sets.values()], 1)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    mass = np.stack([p[:, list(s)].sum(1) for s in sets.values()], 1)
    soft = np.exp(got) / np.exp(got).sum(1, keepdims=True)
    np.testing.assert_allclose(soft, mass / mass.sum(1, keepdims=True), rtol=1e-10)
    t = choice_logits(torch.tensor(logits, dtype=torch.float32), sets)
    assert isinstance(t, torch.Tensor) and t.shape == (3, 3)
    np.testing.assert_allclose(t.numpy(), expected, rtol=1e-5)


def test_choice_logits_shape_errors():
    with pytest.raises(InputError):
        choice_logits(np.zeros((2, 3, 4)), {"A": (0,)})
    with pytest.raises(InputError):
        choice_logits(np.zeros((2, 4)), {"A": ()})
