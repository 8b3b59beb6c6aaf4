"""The reward workflow in the console: an officer files the claim from the case page, one
committee member proposes, another approves (the proposer may not), and the payment is recorded."""

from __future__ import annotations

import re

from tests.console.conftest import TIANZHEN, YANGGAO
from tests.console.test_officer_pages import CASE_LINK, post

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
    reward_page = answer.headers["location"]
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
