"""MMMU-style answer parsing: formats, option content, and never a guess."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senseslens.data import UNPARSEABLE, parse_answer, parse_choice, parse_true_false

OPTIONS = ["a red car", "a blue bike", "a barking dog", "a sleeping cat",
           "The visual detail in the question is incorrect", "The audio detail in the question is incorrect"]

TEMPLATES = ["{L}", "({L})", "{L}.", "{L})", " {L}: ", "The answer is {L}", "The answer is ({L}).",
             "Answer: {L}", "answer: **{L}**", "Option {L}", "{L}. some text", "I choose {L}.",
             "Looking at the clip, the man waves.\nAnswer: {L}", "The correct choice is {L}"]


@settings(max_examples=150, deadline=None)
@given(letter=st.sampled_from("ABCDEF"), template=st.sampled_from(TEMPLATES))
def test_letter_formats(letter, template):
    assert parse_choice(template.format(L=letter), OPTIONS) == letter


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet="ghijklmnopqrstuvwxyz GHIJKLMNOPQRSTUVWXYZ.,!?\n0123456789", max_size=80))
def test_text_without_letters_or_options_is_unparseable(text):
    assert parse_choice(text, OPTIONS) == UNPARSEABLE


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_output_is_always_a_letter_or_unparseable_and_deterministic(text):
    first = parse_choice(text, OPTIONS)
    assert first in set("ABCDEF") | {UNPARSEABLE}
    assert parse_choice(text, OPTIONS) == first


@settings(max_examples=80, deadline=None)
@given(index=st.integers(0, 5), prefix=st.sampled_from(["", "I think it is ", "Clearly: "]),
       suffix=st.sampled_from(["", ".", " for sure", "!"]))
def test_option_content_match(index, prefix, suffix):
    assert parse_choice(prefix + OPTIONS[index].lower() + suffix, OPTIONS) == "ABCDEF"[index]


@pytest.mark.parametrize("text,expected", [
    ("A man walks in. The answer is C.", "C"),        # article 'A' is not an answer
    ("A man walks in", UNPARSEABLE),
    ("First I thought (B), but the final answer is (D).", "D"),  # last bracketed letter
    ("B or maybe C", "C"),                             # several letters: the last, as MMMU
    ("a barking dog, not a red car", "C"),             # content: the longest, then last match
    ("", UNPARSEABLE),
    ("answer is a", UNPARSEABLE),                      # lower-case letters are not options
    ("G", UNPARSEABLE),
])
def test_documented_cases(text, expected):
    assert parse_choice(text, OPTIONS) == expected


def test_letters_restrict_the_choice():
    assert parse_choice("F", letters="ABCDE") == UNPARSEABLE
    assert parse_answer("E", "letter5") == "E"
    with pytest.raises(ValueError):
        parse_choice("A", letters="ab")


@settings(max_examples=100, deadline=None)
@given(word=st.sampled_from(["TRUE", "True", "true", "yes", "Yes", "FALSE", "False", "false", "no", "No"]),
       rest=st.sampled_from(["", ".", ", because the shirt is blue.", "! The man is there."]))
def test_true_false_first_word(word, rest):
    expected = "TRUE" if word.lower() in ("true", "yes") else "FALSE"
    assert parse_true_false(word + rest) == expected


@pytest.mark.parametrize("text,expected", [
    ("The description is false. The shirt is maroon.", "FALSE"),
    ("I believe this is true. Nothing is false here.", "TRUE"),
    ("It is true that a man walks but false that he sings", UNPARSEABLE),
    ("Hard to say", UNPARSEABLE),
    ("", UNPARSEABLE),
])
def test_true_false_sentences(text, expected):
    assert parse_true_false(text) == expected
    assert parse_answer(text, "true_false") == expected
