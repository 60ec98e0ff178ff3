"""The record of the students an import wrote (``imports.direct.Written``): a few runs
for a million students, yet exact about each one."""

from __future__ import annotations

from xueji.registry.imports.direct import Written


def test_consecutive_ids_for_consecutive_rows_are_one_run_and_a_gap_starts_another() -> None:
    written = Written()
    written.add([101, 102, 103], [2, 3, 4])
    written.add([104, 105, 109], [6, 7, 8])  # row 5 was staged; id 109: another writer's gap
    assert written.count == 6
    assert [written.row_of(i) for i in (101, 103, 104, 105, 109)] == [2, 4, 6, 7, 8]
    assert [written.row_of(i) for i in (100, 106, 108, 110)] == [None] * 4


def test_a_withdrawn_student_is_no_longer_one_of_them() -> None:
    written = Written()
    written.add(list(range(1, 11)), list(range(2, 12)))
    written.withdraw(5)
    assert written.row_of(5) is None and written.row_of(6) == 7
    assert written.count == 9


def test_one_range_per_block_of_ids_without_withdrawn_ends() -> None:
    written = Written()
    written.add(list(range(3, 13)), list(range(2, 12)))  # ids 3..12
    written.add([20, 21], [30, 31])
    for student_id in (3, 9, 10):
        written.withdraw(student_id)
    assert written.chunks(5) == [(4, 4), (5, 8), (11, 12), (20, 21)]
    written.withdraw(4)
    assert written.chunks(5) == [(5, 8), (11, 12), (20, 21)]  # block 0 holds no one now
