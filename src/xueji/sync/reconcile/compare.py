"""The comparison itself, pure on polars frames: every check of the two sides, batch by
batch, keeping only the disagreements (see the package's docstring for the checks)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import polars as pl

from xueji.domain.clock import Clock
from xueji.domain.five_fields import FiveFields, matches
from xueji.sync.reconcile.report import EXAMPLES, LABELS, Finding, Report

GRACE = dt.timedelta(seconds=60)
FIELDS = ("name", "gender", "birth_date", "school_name")


@dataclass
class Once:
    """What is read once rather than per batch: the waiting accounts that may now match
    (with their students), the unusual events and the number of accounts."""

    pending: pl.DataFrame
    events: pl.DataFrame
    accounts: int


#: one batch's registry rows, their projections and their students' active accounts
BatchFrames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]


def _same_five(row: dict[str, Any], prefix: str = "") -> bool:
    """The domain's match (after its normalisation) for rows whose raw text differs."""

    def five(name: str, gender: str, birth_date: str, school_name: str) -> FiveFields:
        return FiveFields(
            "", name or "", gender or "", dt.date.fromisoformat(birth_date), school_name or ""
        )

    entered = five(*(row[f"{prefix}{f}"] for f in FIELDS))
    registry = five(*(row[f] for f in FIELDS))
    return matches(entered, registry)


def _where_same_five(frame: pl.DataFrame, same: bool) -> pl.DataFrame:
    """The rows of ``frame`` whose account and student do (``same``) or do not match."""
    if not frame.height:
        return frame
    keep = [_same_five(row, "a_") == same for row in frame.iter_rows(named=True)]
    return frame.filter(pl.Series(keep, dtype=pl.Boolean))


def _students_of(events: pl.DataFrame) -> pl.Series:
    """The student ids ``events`` are about, import chunks expanded to their ranges."""
    last = pl.coalesce("last_student_id", "student_id")
    ranges = events.select(pl.int_ranges(pl.col("student_id"), last + 1).alias("student_id"))
    return ranges.explode("student_id").get_column("student_id")


class Comparison:
    """All the checks, batch by batch. Each batch adds only its disagreements to the
    findings, so what is held across batches is proportional to the drift, not to the
    students. The unusual events (read once) decide who is in flight for every batch."""

    def __init__(self, events: pl.DataFrame, now: dt.datetime) -> None:
        self.events = events
        self.pending_events = events.filter(~pl.col("handled"))
        # Students whose events are not all applied (waiting, retrying or dead) are not
        # compared: their two sides may rightly differ for now. The waiting ones are in
        # flight; old and dead events are reported below. An import chunk stands for
        # every student of its id range.
        pending = _students_of(self.pending_events)
        self.unsettled = pending.unique().implode()
        dead = set(_students_of(events.filter(pl.col("dead"))).to_list())
        self.in_flight = len(set(pending.to_list()) - dead)
        self.now = now
        self.students = 0
        self.findings = {name: Finding() for name in LABELS}

    def _settled(self, frame: pl.DataFrame) -> pl.LazyFrame:
        """``frame``'s rows of students that are not in flight."""
        return frame.lazy().filter(~pl.col("student_id").is_in(self.unsettled))

    def _add(self, name: str, frame: pl.DataFrame, example_columns: list[str]) -> None:
        """Counts ``frame``'s rows; the examples are the lowest student ids (the batches
        come in id order), so they do not depend on where the batches were cut."""
        finding = self.findings[name]
        finding.count += frame.height
        room = EXAMPLES - len(finding.examples)
        if room > 0 and frame.height:
            first = frame.sort(["student_id", example_columns[0]], nulls_last=True)
            finding.examples.extend(first.head(room).select(example_columns).to_dicts())
        finding.student_ids.extend(
            frame.get_column("student_id").drop_nulls().cast(pl.Int64).to_list()
        )

    def add_batch(
        self, registry: pl.DataFrame, projection: pl.DataFrame, accounts: pl.DataFrame
    ) -> None:
        """One batch of students: their projections and their active accounts."""
        self.students += registry.height
        settled = self._settled(registry)
        joined = settled.join(projection.lazy(), on="student_id", how="left")
        present = joined.filter(pl.col("applied_sequence").is_not_null())
        # one plan, run together on all cores
        missing, stale, behind, raw_differs = pl.collect_all(
            [
                joined.filter(pl.col("applied_sequence").is_null()),
                present.filter(
                    (pl.col("status") != pl.col("p_status"))
                    | (pl.col("school_code") != pl.col("p_school_code"))
                    | (pl.col("region_code") != pl.col("p_region_code"))
                    | ~pl.col("class_id").eq_missing(pl.col("p_class_id"))
                ),
                present.filter(pl.col("applied_sequence") < pl.col("event_sequence")),
                accounts.lazy()
                .join(settled, left_on="a_student_id", right_on="student_id", how="inner")
                .filter(
                    (pl.col("registry_index") != pl.col("registry_index_right"))
                    | pl.any_horizontal(pl.col(f"a_{f}") != pl.col(f) for f in FIELDS)
                ),
            ]
        )
        self._add("projection_missing", missing, ["student_id"])
        self._add(
            "projection_stale",
            stale,
            ["student_id", "status", "p_status", "school_code", "p_school_code"],
        )
        self._add("projection_behind", behind, ["student_id", "event_sequence", "applied_sequence"])
        # rows whose raw text differs: the domain's normalised comparison decides
        mismatch = _where_same_five(raw_differs, same=False)
        self._add(
            "active_account_mismatch",
            mismatch.rename({"a_student_id": "student_id"}),
            ["account_id", "student_id"],
        )

    def add_pending(self, candidates: pl.DataFrame) -> None:
        """Waiting accounts joined with the student holding their registry number (and no
        active account holding it): those whose five fields now match."""
        settled = self._settled(candidates).collect()
        matching = _where_same_five(settled, same=True).unique(
            subset="registry_index", keep="first", maintain_order=True
        )
        self._add("pending_account_matches", matching, ["account_id", "student_id"])

    def result(self) -> dict[str, Finding]:
        never = self.pending_events.filter(
            (pl.col("created_at") < self.now - GRACE) | pl.col("dead")
        )
        twice = self.events.filter(pl.col("apply_count") > 1)
        self._add("events_never_applied", never, ["event_id", "student_id"])
        self._add("events_applied_twice", twice, ["event_id", "student_id", "apply_count"])
        # these two are the consumer's to settle (retry, investigate), not the resync's
        self.findings["events_never_applied"].student_ids = []
        self.findings["events_applied_twice"].student_ids = []
        return self.findings


def compare(once: Once, frames: Iterable[BatchFrames], clock: Clock, started: float) -> Report:
    comparison = Comparison(once.events, clock.now())
    for registry, projection, accounts in frames:
        comparison.add_batch(registry, projection, accounts)
    comparison.add_pending(once.pending)
    findings = comparison.result()
    return Report(
        students=comparison.students,
        accounts=once.accounts,
        in_flight=comparison.in_flight,
        seconds=time.perf_counter() - started,
        findings=findings,
    )
