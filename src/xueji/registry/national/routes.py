"""JSON API of a student's national record: read (sensitive fields on request, audited)
and correct."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from xueji.auth.deps import CurrentPrincipal
from xueji.registry import service
from xueji.registry.national import entry, view
from xueji.web.deps import ClockDep, DbSession
from xueji.web.errors import error_answers

router = APIRouter(prefix="/api/v1", tags=["registry"], responses=error_answers(401, 403, 404, 422))


class RecordPatch(BaseModel):
    """Fields of the record (column → code, label or text; ``""`` clears one) and why."""

    values: dict[str, str] = Field(max_length=200)
    reason: str = Field(min_length=1, max_length=500)


@router.get("/students/{registry_no}/record")
def get_record(
    registry_no: str,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
    reveal: bool = False,
) -> dict[str, Any]:
    located = service.locate(session, clock, principal, registry_no)
    return view.read(session, clock, principal, located, reveal=reveal).as_dict()


@router.patch("/students/{registry_no}/record", responses=error_answers(400, 409, 413))
def correct_record(
    registry_no: str,
    body: RecordPatch,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, Any]:
    located = service.locate(session, clock, principal, registry_no, lock=True)
    changed = entry.correct(
        session, clock, principal, located, values=body.values, reason=body.reason
    )
    return {"changed": changed}
