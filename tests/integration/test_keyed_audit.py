"""The audit chain is keyed and anchored: someone who can write the database but lacks
the master key cannot rewrite it unseen, and someone who has the key (or only deletes
the newest entries) is caught by an anchor kept elsewhere."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from tests import audit_links
from tests.registry_world import World, build_world, drop_append_only_triggers, number, register
from xueji.audit import service as audit
from xueji.audit.chain import entry_hash
from xueji.audit.models import AuditEntry
from xueji.audit.repository import AuditRepository
from xueji.domain.clock import FixedClock
from xueji.domain.errors import ValidationFailed


@pytest.fixture
def world(session: Session, clock: FixedClock) -> World:
    world = build_world(session, clock)
    for sequence in ("001", "002", "003"):
        register(session, clock, world, registry_no=number(sequence=sequence))
    return world


def relink(session: Session, start: int, link: object) -> None:
    """Recompute every link from entry ``start`` on with ``link(previous, row)`` and set
    the head to match, as a forger would."""
    session.expire_all()
    rows = list(AuditRepository(session).raw_entries())
    previous = rows[start - 2].entry_hash if start > 1 else "0" * 64
    for row in rows[start - 1 :]:
        new = link(previous, row._replace(prev_hash=previous))  # type: ignore[operator]
        session.execute(
            text("UPDATE audit_log SET prev_hash = :p, entry_hash = :h WHERE id = :i"),
            {"p": previous, "h": new, "i": row.id},
        )
        previous = new
    session.execute(
        text("UPDATE audit_head SET last_id = :i, last_hash = :h"),
        {"i": rows[-1].id, "h": previous},
    )
    session.expire_all()


def unkeyed_link(previous: str, row: object) -> str:
    return audit_links.unkeyed_link(row)


def keyed_link(previous: str, row: object) -> str:
    return entry_hash(row)  # type: ignore[arg-type]


def test_rewriting_an_entry_and_its_chain_without_the_key_is_detected(
    session: Session, clock: FixedClock, world: World
) -> None:
    assert audit.verify(session).ok
    drop_append_only_triggers(session)
    session.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE id = 3"))
    relink(session, 3, unkeyed_link)
    result = audit.verify(session)
    assert not result.ok and result.first_bad_id == 3 and result.checked == 2


def test_entries_removed_at_the_end_with_the_head_moved_back_break_the_anchor(
    session: Session, clock: FixedClock, world: World
) -> None:
    anchor = audit.take_anchor(session, clock)
    assert audit.verify(session, [anchor]).ok
    drop_append_only_triggers(session)
    last = anchor.entries
    session.execute(text("DELETE FROM audit_log WHERE id >= :i"), {"i": last - 1})
    relink(session, last - 2, keyed_link)  # the head now points at the new last entry
    assert audit.verify(session).ok  # without the anchor nothing shows
    result = audit.verify(session, [anchor])
    assert not result.ok and f"锚点记录了 {last} 条" in (result.problem or "")


def test_a_rewrite_by_someone_holding_the_key_breaks_the_anchor(
    session: Session, clock: FixedClock, world: World
) -> None:
    anchor = audit.take_anchor(session, clock)
    register(session, clock, world, registry_no=number(sequence="004"))  # grows: still fine
    assert audit.verify(session, [anchor]).ok
    drop_append_only_triggers(session)
    session.execute(text("UPDATE audit_log SET subject = 'student:999' WHERE id = 2"))
    relink(session, 2, keyed_link)
    assert audit.verify(session).ok
    result = audit.verify(session, [anchor])
    assert not result.ok and result.first_bad_id == anchor.entries
    assert "改写、删除或重新编号" in (result.problem or "")


def test_renumbered_entries_break_the_anchor(
    session: Session, clock: FixedClock, world: World
) -> None:
    anchor = audit.take_anchor(session, clock)
    drop_append_only_triggers(session)
    session.execute(text("DELETE FROM audit_log WHERE id = 2"))
    session.execute(text("UPDATE audit_log SET id = id - 1 WHERE id > 2"))
    relink(session, 2, keyed_link)
    count = session.scalar(select(func.count()).select_from(AuditEntry))
    assert count == anchor.entries - 1 and audit.verify(session).ok
    assert not audit.verify(session, [anchor]).ok


def test_the_latest_anchor_is_kept_for_the_operators_page(
    session: Session, clock: FixedClock, world: World
) -> None:
    first = audit.take_anchor(session, clock)
    register(session, clock, world, registry_no=number(sequence="004"))
    second = audit.take_anchor(session, clock)
    latest = audit.latest_anchor(session)
    assert latest is not None and (latest.entries, latest.head) == (second.entries, second.head)
    assert second.entries > first.entries


@pytest.mark.parametrize(
    "content",
    ["", "not json", '{"entries": 3}', '{"entries": -1, "head": "' + "a" * 64 + '"}',
     '{"entries": 3, "head": "xyz"}'],
)  # fmt: skip
def test_an_anchor_file_that_is_not_an_anchor_is_refused(content: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        audit.parse_anchors(content)
    assert refused.value.code == "ANCHOR_INVALID"
