"""/v1/jurisdictions and /v1/liaisons: the participating units and the liaison directory."""

from __future__ import annotations

from fastapi import APIRouter, Response

from api.deps import CurrentOfficer, ServicesDep, WriteDep, etag
from api.errors import READ, WRITE_WITH_BODY, problems
from api.offload import OffloadedRoute
from api.schemas import JurisdictionCreate, JurisdictionEnd, LiaisonCreate, WriteResult
from api.schemas.reference import (
    JurisdictionListPublic,
    JurisdictionPublic,
    LiaisonDirectoryPublic,
)
from domain.jurisdiction import UnitData, check_code

router = APIRouter(route_class=OffloadedRoute, prefix="/v1", tags=["reference data"])
WRITES = problems(*WRITE_WITH_BODY)


@router.get("/jurisdictions", response_model=JurisdictionListPublic, responses=problems(401))
def list_jurisdictions(services: ServicesDep, officer: CurrentOfficer) -> object:
    """Every unit of the cooperation, with validity dates and current liaison."""
    return {"items": [u.public_state() for u in services.app.list_jurisdictions()]}


@router.get("/jurisdictions/{code}", response_model=JurisdictionPublic, responses=problems(*READ))
def get_jurisdiction(
    code: str, services: ServicesDep, officer: CurrentOfficer, response: Response
) -> object:
    """One unit, with its liaison history."""
    unit = services.app.check_county(check_code(code))
    response.headers["ETag"] = etag(unit.version)
    return unit.public_state()


@router.post("/jurisdictions", status_code=201, response_model=WriteResult, responses=WRITES)
def add_jurisdiction(body: JurisdictionCreate, w: WriteDep) -> object:
    """Add a unit (e.g. 丰镇市 150981): reference data, no code change. Administrators only."""
    unit = UnitData(body.code, body.name, body.name_zh, body.city, body.province)
    return w.run(
        lambda: w.services.app.register_jurisdiction(unit, body.valid_from, w.ctx),
        status=201,
        location=lambda _: f"/v1/jurisdictions/{body.code}",
    )


@router.post("/jurisdictions/{code}/end", response_model=WriteResult, responses=WRITES)
def end_jurisdiction(code: str, body: JurisdictionEnd, w: WriteDep) -> object:
    """Record that a unit leaves the cooperation on a date. Administrators only."""
    return w.run(
        lambda: w.services.app.end_jurisdiction(check_code(code), body.valid_to, body.reason, w.ctx)
    )


@router.get("/liaisons", response_model=LiaisonDirectoryPublic, responses=problems(401))
def liaison_directory(services: ServicesDep, officer: CurrentOfficer) -> object:
    """The liaison directory (联络通讯录): each unit's current liaison and the history."""
    items = []
    for unit in services.app.list_jurisdictions():
        state = unit.public_state()
        items.append(
            {
                "county": unit.code,
                "unit": unit.name_zh or unit.name,
                "current": state["liaison"],
                "history": state["liaison_history"],
            }
        )
    return {"items": items}


@router.post("/liaisons", status_code=201, response_model=WriteResult, responses=WRITES)
def designate_liaison(body: LiaisonCreate, w: WriteDep) -> object:
    """Designate a unit's information liaison (信息联络员); the previous one's term ends."""
    return w.run(
        lambda: w.services.app.designate_liaison(
            body.county, body.name, body.phone, body.email, body.since, w.ctx
        ),
        status=201,
    )
