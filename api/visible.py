"""Path parameters that must name a record the caller may see: one it may not see answers 404,
with the same body as one that does not exist (the rule is the domain's, asked by loading). A
case's detail reads (history, timeline) need the whole case: a caller that sees only its summary
(``domain.access.Visibility``) gets the same 404."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import Depends

from api.deps import CurrentOfficer, ServicesDep


def visible_case(case_id: UUID, services: ServicesDep, officer: CurrentOfficer) -> UUID:
    services.app.get_case(case_id, viewer=officer.actor)
    return case_id


VisibleCaseId = Annotated[UUID, Depends(visible_case)]
