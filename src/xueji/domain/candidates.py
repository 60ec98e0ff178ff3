"""Ranking registry records that a student with a wrong registry number may really be.

When the number a student typed is not in the registry (or points at another child), the
school sees the records of its own students ranked by likeness to what was typed. The
ranking is a suggestion for a person to check against the 学籍基本信息表; nothing is ever
linked automatically.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Hamming

from xueji.domain import names

#: weights of the parts of the score (sum 1): the number and the name say the most.
WEIGHTS = {"registry_no": 0.4, "name": 0.35, "birth_date": 0.15, "gender": 0.1}
MIN_SCORE = 60.0
LIMIT = 5


@dataclass(frozen=True, slots=True)
class Typed:
    registry_no: str
    name: str
    gender: str
    birth_date: dt.date


@dataclass(frozen=True, slots=True)
class Candidate:
    key: int
    registry_no: str
    name: str
    gender: str
    birth_date: dt.date


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: Candidate
    score: float
    #: digits that differ between the typed and the candidate's number (same length)
    differing_digits: int | None


def number_similarity(typed: str, candidate: str) -> float:
    """0–100. A slip of one or two digits (or two digits swapped) in a 19-character number
    should still rank high, so this is an edit ratio, not equality."""
    return float(fuzz.ratio(typed.upper(), candidate.upper()))


def rank(typed: Typed, candidates: list[Candidate], *, limit: int = LIMIT) -> list[Ranked]:
    """The best ``limit`` candidates scoring at least ``MIN_SCORE`` (0–100), best first."""
    ranked = []
    for candidate in candidates:
        score = (
            WEIGHTS["registry_no"] * number_similarity(typed.registry_no, candidate.registry_no)
            + WEIGHTS["name"] * names.similarity(candidate.name, typed.name)
            + WEIGHTS["birth_date"] * (100.0 if candidate.birth_date == typed.birth_date else 0.0)
            + WEIGHTS["gender"] * (100.0 if candidate.gender == typed.gender else 0.0)
        )
        if score >= MIN_SCORE:
            same_length = len(candidate.registry_no) == len(typed.registry_no)
            differing = (
                int(Hamming.distance(typed.registry_no.upper(), candidate.registry_no.upper()))
                if same_length
                else None
            )
            ranked.append(Ranked(candidate, round(score, 1), differing))
    ranked.sort(key=lambda r: (-r.score, r.candidate.key))
    return ranked[:limit]
