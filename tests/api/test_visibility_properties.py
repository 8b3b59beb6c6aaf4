"""The read models show every county exactly what the one rule says ("Who sees what").

Hypothesis generates histories of referrals (accepted, declined, withdrawn), shares, co-handling
invitations (accepted, declined), assistance requests, merge proposals (consented, declined),
merges and un-merges over one lead and three cases, run through the use cases on PostgreSQL
(refused commands included: they must change nothing). Then, for every county, the lead
register and the case search list a record exactly when ``domain.access`` lets that county
read it by id (what a history holds after an un-merge: tests/api/test_visibility.py)."""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.access import can_see_lead
from domain.errors import DomainError
from domain.values import Actor, Context, Role
from tests.api.conftest import COUNTIES, TIANZHEN, WANQUAN, XINGHE, YANGGAO, Api

#: Three cases: two of XINGHE (A, B), one of YANGGAO (C); the lead is XINGHE's.
CASE_COUNTIES = (XINGHE, XINGHE, YANGGAO)
OTHERS = (YANGGAO, TIANZHEN, WANQUAN)
#: Each step is one command or a short exchange (a referral and its answer...), so that the
#: histories reach the interesting states rather than mostly refusals.
KINDS = (
    "refer",
    "refer_accept",
    "refer_decline",
    "refer_withdraw",
    "share",
    "invite",
    "invite_accept",
    "invite_decline",
    "assistance",
    "merge",
    "merge_proposed",
    "merge_declined",
    "unmerge",
)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(OTHERS),
        st.integers(0, len(CASE_COUNTIES) - 1),
        st.integers(0, len(CASE_COUNTIES) - 1),
    ),
    min_size=1,
    max_size=10,
)


def ctx(county: str, role: Role = Role.OFFICER) -> Context:
    return Context(Actor(f"prop-{county}", county, role), datetime.now(UTC), str(uuid.uuid4()))


def run(app, step, lead, cases) -> None:
    kind, other, i, j = step
    case, into = cases[i], cases[j]
    mine, theirs = CASE_COUNTIES[i], CASE_COUNTIES[j]
    refer = lambda: app.refer_lead(lead, other, "the depot is there", ctx(XINGHE))  # noqa: E731
    invite = lambda: app.invite_co_handler(case, other, "help", ctx(mine))  # noqa: E731

    def propose() -> None:
        if theirs != mine:  # a county proposes only into a case it may see
            attempt(lambda: app.request_assistance(into, mine, "same supplier?", ctx(theirs)))
        attempt(lambda: app.merge_cases(case, into, "same supplier", ctx(mine)))

    exchanges = {
        "refer": [refer],
        "refer_accept": [refer, lambda: app.accept_referral(lead, ctx(other))],
        "refer_decline": [refer, lambda: app.decline_referral(lead, "not ours", ctx(other))],
        "refer_withdraw": [
            refer,
            lambda: app.withdraw_referral(lead, other, "mistake", ctx(XINGHE)),
        ],
        "share": [lambda: app.share_lead(lead, [other], "same brand", ctx(XINGHE))],
        "invite": [invite],
        "invite_accept": [invite, lambda: app.accept_co_handling(case, ctx(other))],
        "invite_decline": [invite, lambda: app.decline_co_handling(case, "no staff", ctx(other))],
        "assistance": [lambda: app.request_assistance(case, other, "check", ctx(mine))],
        "merge": [propose, lambda: app.merge_cases(case, into, "same", ctx(theirs))],
        "merge_proposed": [propose],
        "merge_declined": [propose, lambda: app.decline_merge(case, into, "no", ctx(theirs))],
        "unmerge": [lambda: app.unmerge_case(case, "wrong", ctx(mine))],
    }
    for command in exchanges[kind]:
        attempt(command)


def attempt(command) -> None:
    """A command the history may make at a bad moment: refused, it must change nothing."""
    with contextlib.suppress(DomainError):
        command()


def caught_up(api: Api) -> None:
    position = api.services.app.log_position()
    views = api.services.views
    deadline = time.monotonic() + 30
    while any(v.position() < position for v in (views.leads, views.case_search)):
        assert time.monotonic() < deadline, "the views did not catch up"
        time.sleep(0.01)


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
def test_every_read_model_shows_each_county_what_the_rule_says(api: Api, steps) -> None:
    app = api.services.app
    lead = app.register_lead(ctx(XINGHE), summary="prop", source="tip_off", place_county=YANGGAO).id
    cases = [
        app.open_case(ctx(county), case_type="counterfeit", title="prop").id
        for county in CASE_COUNTIES
    ]
    for step in steps:
        run(app, step, lead, cases)
    caught_up(api)
    views = api.services.views
    the_lead = app.get_lead(lead)
    for county in COUNTIES:
        actor = Actor(f"reader-{county}", county, Role.OFFICER)
        listed = {
            str(row["lead_id"])
            for row in views.leads.search(visible_to=county, text="prop", limit=200)[1]
        }
        assert (str(lead) in listed) == can_see_lead(actor, the_lead), (county, steps)
        for case_id in cases:
            number = app.get_case(case_id).number
            rows = views.case_search.search(visible_to=county, text=number)[1]
            in_search = any(str(row["case_id"]) == str(case_id) for row in rows)
            assert in_search == app._visible(actor, app.get_case(case_id)), (county, steps)
