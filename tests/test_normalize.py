"""What a person typed, read as the value the rules check (workbook.normalize).

Each case is (what the cell holds, the value read, the problem code or None). Numbers the
Norwegian way, Ja/Nei in any case and spacing, dates and texts that look like numbers.
"""

from __future__ import annotations

import datetime as dt

import pytest

from workbook.normalize import (
    is_chosen,
    is_empty,
    normalise,
    to_choice,
    to_int,
    to_text,
    to_yesno,
)

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(("typed", "expected"), [
    (51619, 51619),
    (27000000000.0, 27000000000),  # a number cell: spreadsheets store every number as a float
    ("51619", 51619),  # a number typed as text
    ("  42 ", 42),
    ("27 000 000 000", 27000000000),
    ("27 000 000 000 kr", 27000000000),
    (f"27{NBSP}000{NBSP}000{NBSP}000", 27000000000),
    (f"27{NNBSP}000{NNBSP}000{NNBSP}000{NBSP}kr", 27000000000),
    ("27 000 000 000 NOK", 27000000000),
    ("kr 27 000", 27000),
    ("kr. 1 500", 1500),
    ("12 500,-", 12500),
    ("12 500,00", 12500),
    ("27.000.000", 27000000),
    ("1.500", 1500),
    ("2 000 kroner", 2000),
    ("-5", -5),  # a number all the same: the rules' minimum speaks about it
    ("+7", 7),
    (0, 0),
    ("0", 0),
])
def test_whole_numbers_are_read_as_people_type_them(typed, expected):
    value, code = to_int(typed)
    assert (value, code) == (expected, None)
    assert type(value) is int


@pytest.mark.parametrize(("typed", "code"), [
    ("ca. 300", "not-a-number"),
    ("cirka 27 milliarder", "not-a-number"),
    ("abc", "not-a-number"),
    ("12 500 kr eks. mva", "not-a-number"),
    ("1 2", "not-a-number"),  # space-separated digits that are not thousands groups
    ("300 40", "not-a-number"),
    ("27,000,000", "not-a-number"),
    ("1e5", "not-a-number"),
    ("−5", "not-a-number"),  # U+2212 MINUS SIGN is not a number to the reader
    (True, "not-a-number"),  # TRUE typed into a number cell
    (False, "not-a-number"),
    ("1,5", "not-whole-number"),
    ("2.5", "not-whole-number"),
    (1.7, "not-whole-number"),
    ("1 500,50 kr", "not-whole-number"),
    (dt.datetime(2024, 3, 5), "date-not-number"),
    (dt.date(2024, 3, 5), "date-not-number"),
    (dt.time(12, 30), "date-not-number"),
])
def test_anything_else_in_a_number_field_is_a_problem_never_a_silent_zero(typed, code):
    value, found = to_int(typed)
    assert found == code
    assert value is not None and value is not False or typed is False  # kept as typed, for the message
    assert type(value) is not int or isinstance(typed, bool)


def test_an_unreadable_number_keeps_what_was_typed():
    assert to_int(" ca. 300 ") == (" ca. 300 ", "not-a-number")  # exactly, outer spaces too


@pytest.mark.parametrize("typed", [None, ""])
def test_an_empty_cell_is_no_answer_in_every_kind(typed):
    assert is_empty(typed)
    for kind in ("text", "longtext", "int", "yesno", "choice"):
        assert normalise(kind, typed, ("Rammeavtale",)) == (None, None)


@pytest.mark.parametrize("typed", ["   ", NBSP, f"{NNBSP} \t", "\n"])
def test_white_space_only_is_no_answer_and_says_so_in_every_kind(typed):
    assert is_empty(typed)
    for kind in ("text", "longtext", "int", "yesno", "choice"):
        assert normalise(kind, typed, ("Rammeavtale",)) == (None, "blank-answer")


@pytest.mark.parametrize(("typed", "expected"), [
    ("Ja", True), ("ja", True), ("JA", True), (" Ja ", True), (f"Ja{NBSP}", True), ("j", True),
    ("Nei", False), ("nei", False), ("NEI", False), (" Nei\t", False), ("n", False),
    (True, True), (False, False),  # Excel's TRUE / FALSE
])
def test_ja_and_nei_in_any_case_and_spacing(typed, expected):
    assert to_yesno(typed) == (expected, None)


@pytest.mark.parametrize(("typed", "shown"), [("Yes", "Yes"), ("kanskje", "kanskje"), (1, "1"), ("Ja takk", "Ja takk")])
def test_other_answers_to_a_yes_no_question_are_a_problem(typed, shown):
    assert to_yesno(typed) == (shown, "not-yesno")


@pytest.mark.parametrize(("typed", "expected"), [
    ("  Oslo kommune \n", "  Oslo kommune \n"),  # outer white space is kept
    (" \tinnrykk", " \tinnrykk"),
    ("_x0041_", "_x0041_"),
    ("007", "007"),
    ("1e5", "1e5"),
    ("=SUM(A1)", "=SUM(A1)"),
    ("linje 1\nlinje 2", "linje 1\nlinje 2"),
    ("linje 1\r\nlinje 2\rlinje 3", "linje 1\nlinje 2\nlinje 3"),  # one kind of line break, whoever saved it
    (95929190, "95929190"),  # a phone number typed as a number
    (95929190.0, "95929190"),
    (2.5, "2.5"),
    (True, "Ja"),
    (False, "Nei"),
    (dt.datetime(2024, 3, 5), "05.03.2024"),  # a date typed in a text field reads as dd.mm.yyyy
    (dt.date(2024, 3, 5), "05.03.2024"),
    (dt.datetime(2024, 3, 5, 14, 30), "05.03.2024 14:30"),
])
def test_text_is_read_as_typed(typed, expected):
    assert to_text(typed) == (expected, None)
    assert normalise("longtext", typed) == (expected, None)


@pytest.mark.parametrize(("typed", "expected"), [
    ("Rammeavtale", "Rammeavtale"), ("rammeavtale", "Rammeavtale"), (" ENKELTKONTRAKT ", "Enkeltkontrakt"),
])
def test_a_choice_is_matched_without_regard_to_case_and_spaces(typed, expected):
    assert to_choice(typed, ("Rammeavtale", "Enkeltkontrakt", "Annet")) == (expected, None)


def test_a_choice_outside_the_list_is_kept_as_typed():
    assert to_choice(" Avtale ", ("Rammeavtale", "Annet")) == (" Avtale ", "not-allowed")


@pytest.mark.parametrize(("typed", "expected"), [
    ("Ja", (True, None)), ("x", (True, None)), ("X", (True, None)), ("✓", (True, None)), (True, (True, None)),
    ("Nei", (False, None)), (None, (False, None)), ("", (False, None)), (False, (False, None)),
    ("kanskje", ("kanskje", "not-yesno")),
])
def test_an_option_of_a_choices_question_is_chosen_by_ja_or_x(typed, expected):
    assert is_chosen(typed) == expected


def test_normalise_dispatches_on_the_kind():
    assert normalise("int", "1 500 kr") == (1500, None)
    assert normalise("yesno", " ja ") == (True, None)
    assert normalise("choice", "annet", ("Annet",)) == ("Annet", None)
    assert normalise("text", 7) == ("7", None)
