"""Who is charged for a deadline (问责): the domain's rule, given the item's deadline, when and
how it ended, and the moment of the scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from domain.accountability import deadline_breach

DUE = datetime(2026, 3, 5, 2, 0, tzinfo=UTC)
LATER = DUE + timedelta(days=10)


def test_a_deadline_still_to_come_or_met_is_no_breach() -> None:
    assert deadline_breach(DUE, None, None, DUE - timedelta(hours=1)) is None
    assert deadline_breach(DUE, DUE - timedelta(days=1), "accepted", LATER) is None
    assert deadline_breach(DUE, DUE, "declined", LATER) is None


def test_a_lapsed_deadline_is_charged_whether_answered_late_or_not_at_all() -> None:
    assert deadline_breach(DUE, None, None, LATER) == "still not done"
    assert deadline_breach(DUE, DUE + timedelta(days=1), "accepted", LATER) == "answered late"


def test_a_cancelled_request_is_never_charged_even_after_its_deadline() -> None:
    assert deadline_breach(DUE, DUE + timedelta(days=1), "cancelled", LATER) is None


def test_a_referral_withdrawn_in_time_is_not_charged_but_one_withdrawn_after_the_lapse_is() -> None:
    assert deadline_breach(DUE, DUE - timedelta(days=1), "withdrawn", LATER) is None
    charged = deadline_breach(DUE, DUE + timedelta(days=4), "withdrawn", LATER)
    assert charged == "not done by the deadline (withdrawn afterwards)"
    closed = deadline_breach(DUE, DUE + timedelta(days=4), "lead closed", LATER)
    assert closed == "not done by the deadline (lead closed afterwards)"
