"""The committee's pages: the reward workflow (claim from the case page, proposal, adjustment,
approval by another member, payment), the contribution ledger by case and by county, findings
with their evidence and decisions, joint operations, meetings and price inspections."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from api.console.web import PAGE_SIZE
from domain.values import Actor, Context, Role
from tests.console.conftest import (
    HUAIAN,
    SHANGYI,
    TIANZHEN,
    WANQUAN,
    XINGHE,
    YANGGAO,
    csrf_of,
)
from tests.console.test_officer_pages import CASE_LINK, post, register_lead

REWARD_LINK = re.compile(r"/rewards/([0-9a-f-]{36})")


def test_two_committee_members_take_a_reward_from_proposal_to_payment(client_for):
    officer = client_for("officer", YANGGAO)
    answer = post(
        officer,
        "/cases/new",
        "/cases/new",
        {
            "case_type": "counterfeit",
            "title": "奖励案件",
            "summary": "",
            "lead_ids": "",
            "opened_at": "",
        },
    )
    case_page = f"/cases/{CASE_LINK.search(answer.headers['location']).group(1)}"
    post(
        officer,
        case_page,
        f"{case_page}/seizure",
        {
            "brand": "中华",
            "quantity": "1",
            "unit": "case",
            "value": "30000",
            "price_basis": "provincial",
            "seized_at": "2026-03-03T09:30",
        },
    )
    answer = post(officer, case_page, f"{case_page}/reward-claim", {"note": "一案一奖"})
    assert answer.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', answer.text)
    reward_page = answer.headers["location"].split("?")[0]  # the reward, without ?at=
    reward_id = REWARD_LINK.search(reward_page).group(1)

    first = client_for("committee", YANGGAO)
    second = client_for("committee", TIANZHEN)
    assert reward_id in first.get("/committee").text
    answer = post(first, reward_page, f"{reward_page}/propose", {})
    assert answer.status_code == 303
    page = first.get(answer.headers["location"])  # the page after the step, with ?at=
    assert page.status_code == 200
    assert "已提出方案" in page.text and 'id="reward-total"' in page.text
    # Whoever proposed may not approve: the domain's message next to the form.
    refused = post(first, reward_page, f"{reward_page}/approve", {"reason": "自己批准"})
    assert refused.status_code == 422
    assert re.search(r'id="f-approve-error">[^<]+<', refused.text)
    assert (
        post(second, reward_page, f"{reward_page}/approve", {"reason": "核对无误"}).status_code
        == 303
    )
    answer = post(
        second,
        reward_page,
        f"{reward_page}/pay",
        {"amount": "1000.00", "paid_on": "2026-05-10", "reference": "凭证 2026-117"},
    )
    assert answer.status_code in (303, 422)
    if answer.status_code == 422:  # the amount must be the decided one: pay that
        total = re.search(r'name="amount" type="text" required\s+value="([^"]+)"', answer.text)
        assert total, answer.text[-3000:]
        answer = post(
            second,
            reward_page,
            f"{reward_page}/pay",
            {"amount": total.group(1), "paid_on": "2026-05-10", "reference": "凭证 2026-117"},
        )
    assert answer.status_code == 303
    assert "已兑付" in second.get(reward_page).text


def errors_of(html: str) -> list[str]:
    return re.findall(r'class="error" role="alert" id="[^"]+">([^<]*)<', html)


def test_an_adjusted_proposal_is_approved_only_by_a_member_who_neither_proposed_nor_adjusted(
    client_for,
):
    """阳高 refers a lead to 天镇, which makes it a case and seizes; the case's contributions
    show both counties. Member A proposes, A may not adjust, B's adjustment above the case cap
    is refused and changes nothing, B's adjustment within the caps is version 2, neither A nor
    B may approve it, C does."""
    yanggao = client_for("officer", YANGGAO)
    tianzhen = client_for("officer", TIANZHEN)
    lead_id = register_lead(yanggao, "调整奖励的线索")
    lead_page = f"/leads/{lead_id}"
    post(yanggao, lead_page, f"{lead_page}/refer", {"to_county": TIANZHEN, "reason": "货在天镇"})
    post(tianzhen, lead_page, f"{lead_page}/accept", {"county": TIANZHEN})
    answer = post(
        tianzhen,
        lead_page,
        f"{lead_page}/convert",
        {"case_type": "counterfeit", "title": "两县贡献案", "summary": "", "opened_at": ""},
    )
    case_page = f"/cases/{CASE_LINK.search(answer.headers['location']).group(1)}"
    answer = post(
        tianzhen,
        case_page,
        f"{case_page}/seizure",
        {
            "brand": "中华",
            "quantity": "1",
            "unit": "case",
            "value": "30000",
            "price_basis": "provincial",
            "seized_at": "2026-03-03T09:30",
        },
    )
    assert answer.status_code == 303, errors_of(answer.text)
    claim = None
    for claimant in (yanggao, tianzhen):  # the domain says who is entitled to claim
        claim = post(claimant, case_page, f"{case_page}/reward-claim", {"note": "两县"})
        if claim.status_code == 303:
            break
    assert claim is not None and claim.status_code == 303, errors_of(claim.text)
    reward_page = claim.headers["location"].split("?")[0]  # the reward, without ?at=

    first = client_for("committee", YANGGAO)
    second = client_for("committee", TIANZHEN)
    third = client_for("committee", SHANGYI)
    assert post(first, reward_page, f"{reward_page}/propose", {}).status_code == 303

    # The case's contributions, by county: both counties, for the committee.
    ledger = first.get(f"{case_page}/contributions")
    assert ledger.status_code == 200
    rows = re.findall(r'<tr class="county-row"><td>([^<]*)</td><td>([^<]*)</td>', ledger.text)
    counties = [name for name, _ in rows]
    assert len(counties) == 2
    assert any(YANGGAO in c for c in counties) and any(TIANZHEN in c for c in counties)
    assert "登记线索" in dict(rows)[next(c for c in counties if YANGGAO in c)]
    assert "主办案件" in dict(rows)[next(c for c in counties if TIANZHEN in c)]
    assert 'id="ledger-value">¥30,000.00<' in ledger.text

    def lines(amounts: dict[str, str]) -> dict:
        return {
            "county": list(amounts),
            "officer_id": ["" for _ in amounts],
            "share": ["handling" if c == TIANZHEN else "lead_provider" for c in amounts],
            "amount": list(amounts.values()),
        }

    before = first.get(reward_page).text
    total_before = re.search(r'id="reward-total">([^ ]+)', before).group(1)
    # The proposer may not adjust: the domain's message next to the form.
    refused = post(
        first,
        reward_page,
        f"{reward_page}/adjust",
        {**lines({TIANZHEN: "1000", YANGGAO: "500"}), "reason": "自己调整"},
    )
    assert refused.status_code == 422
    assert re.search(r'id="f-adjust-error">[^<]*proposed[^<]*<', refused.text)
    # Above the policy's case cap: refused with the domain's message, nothing changes.
    refused = post(
        second,
        reward_page,
        f"{reward_page}/adjust",
        {**lines({TIANZHEN: "150000", YANGGAO: "500"}), "reason": "超上限"},
    )
    assert refused.status_code == 422
    assert re.search(r'id="f-adjust-error">[^<]*cap[^<]*<', refused.text)
    assert "150000" in refused.text  # what was sent stays in the form
    after = second.get(reward_page).text
    assert 'id="reward-version">1<' in after
    assert re.search(r'id="reward-total">([^ ]+)', after).group(1) == total_before
    # Within the caps, with a reason: version 2 of the proposal, the reason and who adjusted.
    answer = post(
        second,
        reward_page,
        f"{reward_page}/adjust",
        {**lines({TIANZHEN: "1000.00", YANGGAO: "600.00"}), "reason": "联席会议议定"},
    )
    assert answer.status_code == 303, errors_of(answer.text)
    adjusted = second.get(answer.headers["location"]).text
    assert 'id="reward-version">2<' in adjusted
    assert 'id="reward-total">¥1,600.00' in adjusted
    assert "联席会议议定" in adjusted
    # Whoever proposed or adjusted it may not approve it.
    for member in (second, first):
        refused = post(member, reward_page, f"{reward_page}/approve", {"reason": "同意"})
        assert refused.status_code == 422
        assert re.search(r'id="f-approve-error">[^<]+<', refused.text)
        assert "已提出方案" in member.get(reward_page).text
    answer = post(third, reward_page, f"{reward_page}/approve", {"reason": "核对无误"})
    assert answer.status_code == 303, errors_of(answer.text)
    decided = third.get(reward_page).text
    assert "已批准" in decided and "调整 ¥1,600.00" in decided


def test_a_county_ledger_is_its_own_unless_committee(client_for):
    officer = client_for("officer", YANGGAO)
    register_lead(officer, "台账里的线索")
    own = officer.get("/contributions")
    assert own.status_code == 200 and "登记线索" in own.text
    assert officer.get("/contributions", params={"county": TIANZHEN}).status_code == 403
    committee = client_for("committee", SHANGYI)
    page = committee.get("/contributions", params={"county": YANGGAO})
    assert page.status_code == 200 and "登记线索" in page.text


def test_a_late_acknowledgement_is_found_with_its_evidence_and_decided(
    client_for, console_services, monkeypatch
):
    """阳高 refers a lead to 怀安, which accepts it after the deadline; the committee's scan
    records the finding citing the referral and the late acceptance by position, 怀安 reads it,
    阳高 does not, and the committee records its decision once."""
    yanggao = client_for("officer", YANGGAO)
    lead_id = register_lead(yanggao, "怀安逾期确认的线索")
    lead_page = f"/leads/{lead_id}"
    post(yanggao, lead_page, f"{lead_page}/refer", {"to_county": HUAIAN, "reason": "货在怀安"})
    real = console_services.clock
    monkeypatch.setattr(console_services, "clock", lambda: real() + timedelta(days=10))
    huaian = client_for("officer", HUAIAN)  # signed in when the clock says
    assert post(huaian, lead_page, f"{lead_page}/accept", {"county": HUAIAN}).status_code == 303
    committee = client_for("committee", WANQUAN)
    scanned = post(committee, "/findings", "/findings/scan", {})
    assert scanned.status_code == 303
    listing = committee.get(scanned.headers["location"]).text
    row = next(r for r in listing.split("<tr>") if "怀安逾期确认的线索" in r)
    assert "移交未按时确认接收" in row and HUAIAN in row
    finding_page = re.search(r'href="(/findings/[0-9a-f-]{36})"', row).group(1)
    page = committee.get(finding_page).text
    evidence = page.split('id="evidence"')[1]
    assert "Lead.Referred" in evidence and "Lead.ReferralAccepted" in evidence
    assert "逾期答复" in evidence and "期限" in evidence
    assert re.search(r"日志位置</dt>\s*<dd>\d+</dd>", evidence)
    assert huaian.get(finding_page).status_code == 200  # the county it is about
    # 阳高 (signed in again: the clock moved past its session) may not read it.
    assert client_for("officer", YANGGAO).get(finding_page).status_code == 404
    assert 'id="f-decide"' not in huaian.get(finding_page).text
    refused = post(
        huaian, finding_page, f"{finding_page}/decision", {"decision": "excused", "reason": "x"}
    )
    assert refused.status_code == 422 and errors_of(refused.text)
    # No reason: the request model's message, nothing recorded.
    refused = post(
        committee, finding_page, f"{finding_page}/decision", {"decision": "excused", "reason": ""}
    )
    assert refused.status_code == 422 and errors_of(refused.text)
    assert "尚未决定" in committee.get(finding_page).text
    answer = post(
        committee,
        finding_page,
        f"{finding_page}/decision",
        {"decision": "excused", "reason": "系统故障"},
    )
    assert answer.status_code == 303
    decided = committee.get(finding_page).text
    assert re.search(r'id="finding-decision">免责 · 系统故障', decided)
    again = committee.post(
        f"{finding_page}/decision",
        data={"csrf": csrf_of(decided), "decision": "criticism", "reason": "再次"},
    )
    assert again.status_code == 422 and errors_of(again.text)
    assert "免责" in committee.get(finding_page).text


def test_a_joint_meeting_is_recorded_and_read_by_those_who_attended(client_for):
    host = client_for("officer", YANGGAO)
    refused = post(
        host,
        "/meetings",
        "/meetings/new",
        {"held_on": "2026-04-02", "attendees": [YANGGAO], "minutes": "只有一家", "decisions": ""},
    )
    assert refused.status_code == 422 and errors_of(refused.text)
    answer = post(
        host,
        "/meetings",
        "/meetings/new",
        {
            "held_on": "2026-04-02",
            "attendees": [YANGGAO, TIANZHEN],
            "minutes": "交换一季度通报",
            "decisions": "下季度由天镇主办\n春季联合行动",
        },
    )
    assert answer.status_code == 303, errors_of(answer.text)
    assert "交换一季度通报" in client_for("officer", TIANZHEN).get(answer.headers["location"]).text
    assert "春季联合行动" in client_for("committee", XINGHE).get("/meetings").text
    assert "交换一季度通报" not in client_for("officer", SHANGYI).get("/meetings").text


def test_the_meetings_page_shows_a_page_at_a_time_with_a_link_to_the_next(
    client_for, console_services, people
):
    """More meetings than a page holds: the newest on the first page with a link to the next,
    which goes on with the older ones and links back."""
    host = people["officer", HUAIAN]
    ctx = Context(Actor(host.officer_id, HUAIAN, Role.OFFICER), datetime.now(UTC), "paging")
    for day in range(PAGE_SIZE + 1):
        written = console_services.app.record_meeting(
            ctx,
            held_on=date(2025, 1, 1) + timedelta(days=day),
            attendees=[HUAIAN, WANQUAN],
            minutes=f"分页会议-{day}-",
            decisions=[],
        )
    reader = client_for("officer", WANQUAN)
    first = reader.get(f"/meetings?at={written.position}").text
    assert f"分页会议-{PAGE_SIZE}-" in first and "分页会议-0-" not in first
    assert len(re.findall(r"<td>分页会议-", first)) <= PAGE_SIZE
    following = re.search(rf'<a href="(\?[^"]*offset={PAGE_SIZE})">下一页</a>', first)
    assert following, "no link to the next page"
    second = reader.get("/meetings" + following.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    assert "分页会议-0-" in second.text and f"分页会议-{PAGE_SIZE}-" not in second.text
    assert re.search(r'<a href="[^"]*offset=0">上一页</a>', second.text)


def test_a_price_inspection_is_recorded_with_its_deviation(client_for):
    inspector = client_for("officer", TIANZHEN)
    sent = {
        "inspected_county": TIANZHEN,
        "area": "城关",
        "group_name": "自律互助小组 #2",
        "brand": "中华(硬)",
        "agreed_price": "450",
        "observed_price": "430",
        "inspected_at": "2026-04-12T10:00",
        "note": "两家低于约定价",
    }
    refused = post(inspector, "/price-inspections", "/price-inspections/new", sent)
    assert refused.status_code == 422 and errors_of(refused.text)  # not in its own county
    refused = post(
        inspector,
        "/price-inspections",
        "/price-inspections/new",
        {**sent, "inspected_county": YANGGAO, "agreed_price": "-1"},
    )
    assert refused.status_code == 422 and errors_of(refused.text)
    answer = post(
        inspector,
        "/price-inspections",
        "/price-inspections/new",
        {**sent, "inspected_county": YANGGAO},
    )
    assert answer.status_code == 303, errors_of(answer.text)
    listing = client_for("committee", HUAIAN).get("/price-inspections").text
    row = next(r for r in listing.split("<tr>") if "两家低于约定价" in r)
    assert "¥-20.00" in row and "2026-04-12 10:00" in row


def test_a_joint_operation_rolls_up_the_cases_attached_to_it(client_for):
    planner = client_for("officer", YANGGAO)
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    answer = post(
        planner,
        "/operations",
        "/operations/new",
        {
            "name": "冬季集中整治",
            "participants": [YANGGAO, TIANZHEN],
            "starts_on": str(today - timedelta(days=1)),
            "ends_on": str(today + timedelta(days=30)),
            "target_area": "G6 沿线",
            "plan": "周末联合检查",
        },
    )
    assert answer.status_code == 303, errors_of(answer.text)
    operation = answer.headers["location"].split("?")[0]
    answer = post(
        planner,
        "/cases/new",
        "/cases/new",
        {
            "case_type": "counterfeit",
            "title": "行动中的案件",
            "summary": "",
            "lead_ids": "",
            "opened_at": "",
        },
    )
    case_id = CASE_LINK.search(answer.headers["location"]).group(1)
    number = re.search(r"\d{6}-\d{4}-\d+", planner.get(f"/cases/{case_id}").text).group(0)
    refused = post(
        client_for("officer", TIANZHEN), operation, f"{operation}/cases", {"case": number}
    )
    assert refused.status_code == 422 and errors_of(refused.text)  # not the county that leads it
    answer = post(planner, operation, f"{operation}/cases", {"case": number})
    assert answer.status_code == 303, errors_of(answer.text)
    page = client_for("committee", XINGHE).get(answer.headers["location"]).text
    assert number in page and re.search(r"<dt>案件</dt><dd>1</dd>", page)
    assert client_for("officer", SHANGYI).get(operation).status_code == 404
    answer = post(planner, operation, f"{operation}/conclusion", {"summary": "一案"})
    assert answer.status_code == 303
    assert "已结束" in planner.get(operation).text


def test_the_bulletin_page_shows_the_digest_of_the_page_it_shows_while_the_log_grows(client_for):
    """The bulletin's digest and its printable page are of one position: a seizure recorded in
    between changes the latest bulletin, not the one on the page."""
    officer = client_for("officer", XINGHE)
    committee = client_for("committee", YANGGAO)
    now = datetime.now(ZoneInfo("Asia/Shanghai"))
    shown = committee.get(f"/bulletins/{XINGHE}/{now.year}/{(now.month - 1) // 3 + 1}")
    assert shown.status_code == 200
    sha = re.search(r'id="bulletin-sha">([0-9a-f]{64})<', shown.text).group(1)
    printable = re.search(r'<iframe[^>]* src="([^"]+)"', shown.text).group(1)
    assert "as_of_position=" in printable

    answer = post(
        officer,
        "/cases/new",
        "/cases/new",
        {"case_type": "smuggled", "title": "通报期间立案", "summary": "", "lead_ids": ""},
    )
    assert answer.status_code == 303
    framed = committee.get(printable.replace("&amp;", "&"))
    assert framed.status_code == 200
    assert framed.headers["X-Bulletin-SHA256"] == sha
    for _ in range(100):  # the audit trail takes the new case in the background
        latest = committee.get(printable.split("?")[0])
        if latest.headers["X-Bulletin-SHA256"] != sha:
            break
        time.sleep(0.1)
    assert latest.headers["X-Bulletin-SHA256"] != sha
    assert committee.get(printable.replace("&amp;", "&")).headers["X-Bulletin-SHA256"] == sha
    assert committee.get(f"{printable.split('?')[0]}?as_of_position=abc").status_code == 422
