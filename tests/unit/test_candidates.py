"""Candidate ranking for a wrong registry number: the likely record first, strangers out."""

from __future__ import annotations

import datetime as dt

from xueji.domain.candidates import Candidate, Typed, number_similarity, rank

BIRTH = dt.date(2016, 2, 11)
REAL = Candidate(1, "G440604201602110012", "陈小明", "1", BIRTH)
NEIGHBOUR = Candidate(2, "G440604201602110039", "陈晓敏", "2", BIRTH)
STRANGER = Candidate(3, "G440106201509230021", "王芳", "2", dt.date(2015, 9, 23))


def test_two_swapped_digits_still_rank_the_real_record_first() -> None:
    typed = Typed("G440604201602110021", "陈小明", "1", BIRTH)
    ranked = rank(typed, [STRANGER, NEIGHBOUR, REAL])
    assert ranked[0].candidate.key == 1
    assert ranked[0].differing_digits == 2
    assert 3 not in [r.candidate.key for r in ranked]


def test_a_homophone_name_with_a_wrong_digit_still_finds_the_record() -> None:
    typed = Typed("G440604201602110013", "陈晓明", "1", BIRTH)
    assert rank(typed, [REAL, STRANGER])[0].candidate.key == 1


def test_nobody_alike_gives_no_candidates() -> None:
    typed = Typed("G110101200001010010", "赵大海", "1", dt.date(2000, 1, 1))
    assert rank(typed, [REAL, NEIGHBOUR, STRANGER]) == []


def test_number_similarity_is_case_blind_and_graded() -> None:
    assert number_similarity("g44060420160211001x", "G44060420160211001X") == 100
    assert 90 < number_similarity("G440604201602110012", "G440604201602110013") < 100
