"""The list of rewards (奖励) and where each stands in the workflow, for the committee and
auditors."""

from __future__ import annotations

from typing import Any

from domain.access import require_committee_reader
from domain.values import Actor
from projections.base import BatchProjection
from projections.statements import Handler, Statement, StatementView


def _reward(status: str) -> Handler:
    def handler(e: Any, position: int) -> list[Statement]:
        if status == "claimed":
            return [
                (
                    "INSERT INTO rewards VALUES (%s, %s, %s, %s, 'claimed', NULL, %s)",
                    (e.originator_id, e.case_id, e.case_number, e.claimant_county, e.timestamp),
                )
            ]
        total = getattr(e, "total", None)
        return [
            (
                "UPDATE rewards SET status = %s, total = coalesce(%s, total), updated_at = %s"
                " WHERE reward_id = %s",
                (status, total, e.timestamp, e.originator_id),
            )
        ]

    return handler


class RewardsView(StatementView):
    name = "rewards"
    tables = ("rewards",)
    ddl = (
        """CREATE TABLE IF NOT EXISTS rewards (
            reward_id uuid PRIMARY KEY,
            case_id uuid NOT NULL,
            case_number text NOT NULL,
            claimant_county text NOT NULL,
            status text NOT NULL,
            total numeric(16, 2),
            updated_at timestamptz NOT NULL
        )""",
    )
    handlers = {
        "Reward.ClaimFiled": _reward("claimed"),
        "Reward.ProposalComputed": _reward("proposed"),
        "Reward.Approved": _reward("approved"),
        "Reward.ProposalAdjusted": _reward("proposed"),
        "Reward.Adjusted": _reward("approved"),
        "Reward.PaymentRecorded": _reward("paid"),
    }

    def list_for(
        self, viewer: Actor, status: str | None = None, *, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of the rewards (of a status), for the committee and auditors, the latest
        changed first; and how many (``page``)."""
        require_committee_reader(viewer)
        return self.page(
            "rewards",
            "*",
            "%(status)s::text IS NULL OR status = %(status)s",
            "updated_at DESC, reward_id",
            {"status": status, "limit": limit, "offset": offset},
        )


class RewardsProjection(BatchProjection):
    name = "rewards"
