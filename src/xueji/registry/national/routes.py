"""JSON API of a student's national record: read (sensitive fields on request, audited),
correct, and the J number given up for the resident ID the student obtained."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from xueji.auth.deps import CurrentPrincipal
from xueji.domain.masking import mask
from xueji.registry import service
from xueji.registry.national import entry, renumber, view
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


class ResidentIdIn(BaseModel):
    resident_id: str = Field(min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=500)


@router.post("/students/{registry_no}/resident-id", responses=error_answers(400, 409, 413))
def give_resident_id(
    registry_no: str,
    body: ResidentIdIn,
    session: DbSession,
    clock: ClockDep,
    principal: CurrentPrincipal,
) -> dict[str, str]:
    """A student with a J (or L) number obtained a resident ID: the same record takes
    its G number. Answers the new number masked, like every other answer."""
    located = service.locate(session, clock, principal, registry_no, lock=True)
    new = renumber.convert(
        session, clock, principal, located, resident_id=body.resident_id, reason=body.reason
    )
    return {"registry_no": mask(new)}
