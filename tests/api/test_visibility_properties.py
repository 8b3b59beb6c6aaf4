"""The read models show every county exactly what the one rule says ("Who sees what").

Hypothesis generates histories of referrals (accepted, declined, withdrawn), shares, co-handling
invitations (accepted, declined), assistance requests (answered, cancelled by closing the case),
merge proposals (consented, declined), merges (chains included) and un-merges, joint operations
with attached cases, and seizures, over one lead and three cases, run through the use cases on
PostgreSQL (refused commands included: they must change nothing). Then, for every county, each
read model lets it see what ``domain.access`` says, at the level it says (a case whole, or only
its summary: an invited co-handler, a county asked for assistance, a party to an open merge
proposal):

- the lead register and the case search list a record exactly when the county may read it by id;
  a case's row is whole exactly when the county reads the whole case by id, else it holds only
  the summary's fields, and by id it reads the summary (``domain.case_summary``), whose history
  is not found;
- every open item of its workspace, and every open case it lists, names a record it may read;
- a case's contributions are not found exactly when the case is not, and hold only its own
  unless it handles the case; its ledger holds only its own contributions;
- it reads a joint operation (list and by id) exactly when it takes part in it;
- the audit trail (the event feed and exports are this query) gives it exactly the events it
  reads in the history of a lead or of a case it sees whole (``Store.case_history``, the
  domain's walk of merges and releases; none of a case it sees only as its summary), and each
  timeline it may read equals that history.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from domain.access import Visibility, can_see_joint_work, can_see_lead
from domain.case_summary import SUMMARY_FIELDS, CaseSummary
from domain.errors import DomainError, NotFound
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
    "assistance_answered",
    "close",
    "seizure",
    "merge",
    "merge_proposed",
    "merge_declined",
    "unmerge",
    "operation",
)
STEPS = st.lists(
    st.tuples(
        st.sampled_from(KINDS),
        st.sampled_from(OTHERS),
        st.integers(0, len(CASE_COUNTIES) - 1),
        st.integers(0, len(CASE_COUNTIES) - 1),
    ),
    min_size=1,
    max_size=12,
)
SEIZURE = {
    "brand": "中华(硬)",
    "sticks": 2000,
    "value": "1200.00",
    "price_basis": "provincial",
    "place": "G6",
}


def ctx(county: str, role: Role = Role.OFFICER) -> Context:
    return Context(Actor(f"prop-{county}", county, role), datetime.now(UTC), str(uuid.uuid4()))


def run(app, step, lead, cases, operations) -> None:
    kind, other, i, j = step
    case, into = cases[i], cases[j]
    mine, theirs = CASE_COUNTIES[i], CASE_COUNTIES[j]
    refer = lambda: app.refer_lead(lead, other, "the depot is there", ctx(XINGHE))  # noqa: E731
    invite = lambda: app.invite_co_handler(case, other, "help", ctx(mine))  # noqa: E731
    ask = lambda: app.request_assistance(case, other, "check", ctx(mine))  # noqa: E731

    def propose() -> None:
        # a county proposes only into a case it may see: if it may not, it is asked for help
        proposer = Actor(f"prop-{mine}", mine, Role.OFFICER)
        if not app._visible(proposer, app.get_case(into)):
            attempt(lambda: app.request_assistance(into, mine, "same supplier?", ctx(theirs)))
        attempt(lambda: app.merge_cases(case, into, "same supplier", ctx(mine)))

    def answer() -> None:
        for request_id, request in app.get_case(case).assistance.items():
            if request.to_county == other:
                attempt(
                    lambda: app.answer_assistance(case, uuid.UUID(request_id), "yes", ctx(other))
                )

    def operation() -> None:
        today = datetime.now(UTC).date()
        written = app.plan_operation(
            ctx(mine),
            name="clean sweep",
            participants=[other],
            starts_on=today - timedelta(days=2),
            ends_on=today + timedelta(days=2),
            target_area="G6",
            plan="checkpoints",
        )
        operations.append(written.id)
        attempt(lambda: app.attach_case_to_operation(written.id, case, ctx(mine)))

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
        "assistance": [ask],
        "assistance_answered": [ask, answer],
        "close": [lambda: app.close_case(case, "penalty", "fined", ctx(mine))],
        "seizure": [
            lambda: app.record_seizure(
                case, ctx(mine), seized_at=datetime.now(UTC) - timedelta(hours=1), **SEIZURE
            )
        ],
        "merge": [propose, lambda: app.merge_cases(case, into, "same", ctx(theirs))],
        "merge_proposed": [propose],
        "merge_declined": [propose, lambda: app.decline_merge(case, into, "no", ctx(theirs))],
        "unmerge": [lambda: app.unmerge_case(case, "wrong", ctx(mine))],
        "operation": [operation],
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
    every = (
        views.leads,
        views.case_search,
        views.workspace,
        views.contributions,
        views.operations,
        views.audit,
    )
    deadline = time.monotonic() + 60
    while any(v.position() < position for v in every):
        assert time.monotonic() < deadline, "the views did not catch up"
        time.sleep(0.01)


def keys(events) -> set[tuple[str, int]]:
    """Events named by record and version (the same from the log and from the trail)."""
    return {(str(e.originator_id), e.originator_version) for e in events}


def row_keys(rows) -> set[tuple[str, int]]:
    return {(str(r["aggregate_id"]), r["version"]) for r in rows}


# Each example runs through the use cases and waits for six views: slow on a busy machine.
@pytest.mark.timeout(900)
@settings(
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=STEPS)
# the county of an absorbed case reads the survivor only through the merge (its invitation
# to co-handle the survivor declined after the merge)
@example(
    steps=[
        ("invite", YANGGAO, 0, 0),
        ("merge", YANGGAO, 2, 0),
        ("invite_decline", YANGGAO, 0, 0),
        ("seizure", YANGGAO, 0, 0),
    ]
)
# a chain of merges (A into B, B into C across counties): C's counties read A too
@example(
    steps=[
        ("seizure", TIANZHEN, 0, 0),
        ("merge", TIANZHEN, 0, 1),
        ("invite_accept", TIANZHEN, 2, 2),
        ("merge", TIANZHEN, 1, 2),
    ]
)
# ... then B released from C and A from B: what each records afterwards stays its own
@example(
    steps=[
        ("seizure", TIANZHEN, 0, 0),
        ("merge", TIANZHEN, 0, 1),
        ("invite_accept", TIANZHEN, 2, 2),
        ("merge", TIANZHEN, 1, 2),
        ("unmerge", TIANZHEN, 1, 1),
        ("seizure", TIANZHEN, 1, 1),
        ("unmerge", TIANZHEN, 0, 0),
        ("seizure", TIANZHEN, 0, 0),
    ]
)
# each level at once: an open invitation, an assistance request answered, an open merge
# proposal (summary), a joined co-handler (whole), a merge within a county
@example(
    steps=[
        ("invite", TIANZHEN, 0, 0),
        ("assistance_answered", WANQUAN, 0, 0),
        ("merge_proposed", YANGGAO, 1, 2),
        ("invite_accept", WANQUAN, 2, 2),
        ("seizure", WANQUAN, 0, 0),
        ("merge", WANQUAN, 0, 1),
    ]
)
def test_every_read_model_shows_each_county_what_the_rule_says(api: Api, steps) -> None:
    app = api.services.app
    lead = app.register_lead(ctx(XINGHE), summary="prop", source="tip_off", place_county=YANGGAO).id
    cases = [
        app.open_case(ctx(county), case_type="counterfeit", title="prop").id
        for county in CASE_COUNTIES
    ]
    operations: list[uuid.UUID] = []
    for step in steps:
        run(app, step, lead, cases, operations)
    caught_up(api)
    views = api.services.views
    the_lead = app.get_lead(lead)
    lead_events = keys(app.events.get(lead))
    histories = {case_id: keys(app.case_history(case_id)) for case_id in cases}
    records = [lead, *cases, *operations]
    for county in COUNTIES:
        actor = Actor(f"reader-{county}", county, Role.OFFICER)
        sees_lead = can_see_lead(actor, the_lead)
        seen = {c: app._visible(actor, app.get_case(c)) for c in cases}
        visible = {c for c in cases if seen[c] >= Visibility.SUMMARY}
        whole = {c for c in cases if seen[c] == Visibility.FULL}
        why = (county, steps)

        # by id: the whole case, its summary, or not found; the history only when whole
        for case_id in cases:
            try:
                read = app.read_case(case_id, viewer=actor)
            except NotFound:
                assert case_id not in visible, why
                continue
            assert isinstance(read, CaseSummary) == (case_id not in whole), why
            try:
                app.case_history(case_id, viewer=actor)
                assert case_id in whole, why
            except NotFound:
                assert case_id not in whole, why

        # the lead register and the case search
        listed = {
            str(row["lead_id"])
            for row in views.leads.search(visible_to=county, text="prop", limit=200)[1]
        }
        assert (str(lead) in listed) == sees_lead, why
        # the lists without free text (a county's rows of the search tables)
        unfiltered = {str(row["lead_id"]) for row in views.leads.search(visible_to=county)[1]}
        assert (str(lead) in unfiltered) == sees_lead, why
        case_list = {row["case_id"]: row for row in views.case_search.search(visible_to=county)[1]}
        assert {c for c in cases if c in case_list} == visible, why
        assert {c for c in cases if case_list.get(c, {}).get("access") == "full"} == whole, why
        for case_id in cases:
            number = app.get_case(case_id).number
            rows = views.case_search.search(visible_to=county, text=number)[1]
            found = [row for row in rows if str(row["case_id"]) == str(case_id)]
            assert bool(found) == (case_id in visible), why
            for row in found:
                if case_id in whole:
                    assert row["access"] == "full", why
                else:
                    assert row["access"] == "summary", why
                    assert set(row) == {"case_id", "access", *SUMMARY_FIELDS}, why

        # the workspace: what it must act on names records it may read
        now = datetime.now(UTC)
        for item in views.workspace.items(county, now):
            if item["lead_id"] == lead:
                assert sees_lead, (item, why)
            if item["case_id"] in cases:
                assert item["case_id"] in visible, (item, why)
        for row in views.case_search.co_handled(county):
            if row["case_id"] in cases:
                assert row["case_id"] in visible, why

        # contributions: a case's, and the county's own ledger
        for case_id in cases:
            try:
                ledger = app.case_contributions(case_id, None, viewer=actor)
            except NotFound:
                assert case_id not in visible, why
                continue
            assert case_id in visible, why
            if app.get_case(case_id).county != county:
                assert {c.county for c in ledger.items} <= {county}, why
        own = views.contributions.county_ledger_for(actor, None, 0, 1000)
        assert {row["county"] for row in own["items"]} <= {county}, why

        # joint operations: listed and read exactly by those taking part
        _, every_op = views.operations.list_for(actor, limit=10_000)  # every example's
        listed_ops = {row["operation_id"] for row in every_op}
        for operation_id in operations:
            takes_part = can_see_joint_work(actor, app.get_operation(operation_id).participants)
            assert (operation_id in listed_ops) == takes_part, why
            try:
                app.get_operation(operation_id, viewer=actor)
                assert takes_part, why
            except NotFound:
                assert not takes_part, why

        # the audit trail (event feed, exports): exactly the events of its readable histories
        expected = set(lead_events) if sees_lead else set()
        for case_id in whole:
            expected |= histories[case_id]
        for operation_id in operations:
            expected |= {
                (str(e.originator_id), e.originator_version)
                for e in app.events.get(operation_id)
                if e.actor.county == county
            }
        trail: set[tuple[str, int]] = set()
        for record in records:
            trail |= row_keys(views.audit.trail(visible_to=county, aggregate_id=record, limit=1000))
        assert trail == expected, why
        for case_id in whole:
            timeline = row_keys(views.audit.timeline(case_id, visible_to=county))
            assert timeline == histories[case_id], why
