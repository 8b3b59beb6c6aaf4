"""The seizures (查获) of each case, as recorded: what a case shows of them (the case itself keeps
only their ids and running totals, so it loads as fast with thousands of seizures as with none).

One row per ``Case.SeizureRecorded`` with the case's version at that event, so a case read at a
version (time travel) shows exactly the seizures it had then."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from domain.case import Case
from projections.base import Batch, BatchProjection, View, clean

#: The case and its version, then the seizure's details (``Case.SeizureRecorded.details``).
COLUMNS = (
    "case_id, case_version, seizure_id, county, officer_id, brand, specification, sticks, value,"
    " price_basis, disposition, place, seized_at, recorded_at"
)
#: How the COPY writes each column (given once: psycopg otherwise looks up a dumper per value).
COPY_TYPES = (
    *("uuid", "int4", "uuid", "text", "text", "text", "text", "int8", "numeric", "text"),
    *("text", "text", "timestamptz", "timestamptz"),
)


class SeizuresView(View):
    name = "seizures"
    tables = ("case_seizures",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS case_seizures (
            case_id uuid NOT NULL,
            case_version integer NOT NULL,
            seizure_id uuid NOT NULL,
            county text NOT NULL,
            officer_id text NOT NULL,
            brand text NOT NULL,
            specification text NOT NULL,
            sticks bigint NOT NULL,
            value numeric NOT NULL,
            price_basis text NOT NULL,
            disposition text NOT NULL,
            place text NOT NULL,
            seized_at timestamptz NOT NULL,
            recorded_at timestamptz NOT NULL,
            PRIMARY KEY (case_id, case_version)
        )""",
    )

    def apply(self, cursor: psycopg.Cursor[Any], batch: Batch) -> None:
        rows = [
            (n.originator_id, n.originator_version, *e.details().values())
            for e, _, n in batch
            if isinstance(e, Case.SeizureRecorded)
        ]
        if not rows:
            return
        with cursor.copy(f"COPY case_seizures ({COLUMNS}) FROM STDIN") as copy:
            copy.set_types(COPY_TYPES)
            for row in rows:
                copy.write_row(clean(row))

    # --- queries ---------------------------------------------------------------------------------
    def of_case(self, case_id: UUID, version: int) -> list[dict[str, Any]]:
        """The case's own seizures recorded up to its ``version``, oldest first."""
        return self.query(
            f"SELECT {COLUMNS} FROM case_seizures WHERE case_id = %s AND case_version <= %s"
            " ORDER BY case_version",
            (case_id, version),
        )


class SeizuresProjection(BatchProjection):
    name = "seizures"
