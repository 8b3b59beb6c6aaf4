"""Officers' pages over HTTP (no browser): each form runs the same use case as the API, a refusal
shows the domain's message next to the form, a record a county may not see is the 404 page."""

from __future__ import annotations

import re
import uuid

from tests.console.conftest import SHANGYI, TIANZHEN, XINGHE, YANGGAO, csrf_of

LEAD_LINK = re.compile(r'href="/leads/([0-9a-f-]{36})"')
CASE_LINK = re.compile(r"/cases/([0-9a-f-]{36})")


def post(client, page_path: str, action: str, data: dict, htmx: bool = False):
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(action, data={"csrf": csrf_of(page.text), **data}, headers=headers)


def register_lead(client, summary: str) -> str:
    answer = post(
        client,
        "/leads/new",
        "/leads/new",
        {
            "summary": summary,
            "source": "tip_off",
            "place_county": YANGGAO,
            "place_detail": "东大街",
            "suspected_parties": "王某\n李某",
            "informant": "张三 13800000000",
            "received_at": "2026-03-02T10:00",
        },
    )
    assert answer.status_code == 303, answer.text[:2000]
    return answer.headers["location"].split("/leads/")[1].split("?")[0]


def test_refer_accept_and_convert_a_lead_across_counties(client_for):
    yanggao = client_for("officer", YANGGAO)
    tianzhen = client_for("officer", TIANZHEN)
    lead_id = register_lead(yanggao, "东大街某店销售假冒中华")
    lead_page = f"/leads/{lead_id}"
    page = yanggao.get(lead_page)
    assert "东大街某店销售假冒中华" in page.text and "张三" not in page.text  # sealed
    answer = post(
        yanggao, lead_page, f"{lead_page}/refer", {"to_county": TIANZHEN, "reason": "货源在天镇"}
    )
    assert answer.status_code == 303 and "at=" in answer.headers["location"]
    # Tianzhen's workspace shows the referral to acknowledge, with its deadline.
    workspace = tianzhen.get("/workspace")
    assert "确认接收移交" in workspace.text and lead_id in workspace.text
    answer = post(tianzhen, lead_page, f"{lead_page}/accept", {"county": TIANZHEN})
    assert answer.status_code == 303
    page = tianzhen.get(lead_page)
    assert "已接收" in page.text
    answer = post(
        tianzhen,
        lead_page,
        f"{lead_page}/convert",
        {"case_type": "counterfeit", "title": "东大街假烟案", "summary": "", "opened_at": ""},
    )
    assert answer.status_code == 303
    case_id = CASE_LINK.search(answer.headers["location"]).group(1)
    case_page = tianzhen.get(f"/cases/{case_id}")
    assert "东大街假烟案" in case_page.text and "140222-" in case_page.text
    # The register finds it by free text, for both counties.
    assert lead_id in yanggao.get("/leads", params={"q": "中华"}).text


def test_a_refused_action_shows_the_domains_message_next_to_the_form(client_for):
    yanggao = client_for("officer", YANGGAO)
    lead_id = register_lead(yanggao, "自己移交给自己")
    lead_page = f"/leads/{lead_id}"
    answer = post(
        yanggao, lead_page, f"{lead_page}/refer", {"to_county": YANGGAO, "reason": "x"}, htmx=True
    )
    assert answer.status_code == 200  # htmx swaps the form with its message
    assert 'id="f-refer"' in answer.text
    error = re.search(r'<p class="error" role="alert" id="f-refer-error">([^<]+)</p>', answer.text)
    assert error and "own county" in error.group(1)
    plain = post(yanggao, lead_page, f"{lead_page}/refer", {"to_county": YANGGAO, "reason": "x"})
    assert plain.status_code == 422


def test_input_is_checked_by_the_apis_request_models(client_for):
    yanggao = client_for("officer", YANGGAO)
    answer = post(
        yanggao,
        "/leads/new",
        "/leads/new",
        {"summary": "", "source": "tip_off", "place_county": YANGGAO},
    )
    assert answer.status_code == 422
    assert 'class="error"' in answer.text


def test_a_lead_another_county_may_not_see_is_the_same_404_as_an_unknown_one(client_for):
    yanggao = client_for("officer", YANGGAO)
    shangyi = client_for("officer", SHANGYI)
    lead_id = register_lead(yanggao, "只有阳高可见")
    hidden = shangyi.get(f"/leads/{lead_id}")
    unknown = shangyi.get("/leads/00000000-0000-4000-8000-000000000000")
    assert hidden.status_code == unknown.status_code == 404
    # The same page but for the address itself (the language switch returns to it).
    assert hidden.text.replace(lead_id, "ID") == unknown.text.replace(
        "00000000-0000-4000-8000-000000000000", "ID"
    )
    assert lead_id not in shangyi.get("/leads").text
    # And a form posted to it is refused the same way, recording nothing.
    page = shangyi.get("/workspace")
    answer = shangyi.post(
        f"/leads/{lead_id}/corroborate",
        data={"csrf": csrf_of(page.text), "result": "seen", "note": ""},
    )
    assert answer.status_code == 404 and "只有阳高可见" not in answer.text


def test_seizures_by_lead_and_co_handler_merge_with_both_consents(client_for):
    yanggao = client_for("officer", YANGGAO)
    xinghe = client_for("officer", XINGHE)
    answer = post(
        yanggao,
        "/cases/new",
        "/cases/new",
        {
            "case_type": "smuggled",
            "title": "走私卷烟网络",
            "summary": "",
            "lead_ids": "",
            "opened_at": "",
        },
    )
    assert answer.status_code == 303, answer.text[:1500]
    case_a = CASE_LINK.search(answer.headers["location"]).group(1)
    page_a = f"/cases/{case_a}"
    answer = post(yanggao, page_a, f"{page_a}/invite", {"county": XINGHE, "note": "网络案件"})
    assert answer.status_code == 303, re.findall(r'class="error"[^>]*>([^<]*)', answer.text)
    answer = post(xinghe, page_a, f"{page_a}/accept-co-handling", {"county": XINGHE})
    assert answer.status_code == 303
    seizure = {
        "brand": "中华",
        "specification": "硬盒",
        "quantity": "2",
        "unit": "case",
        "value": "60000",
        "price_basis": "provincial",
        "disposition": "unsold",
        "place": "仓库",
        "seized_at": "2026-03-03T09:30",
    }
    assert post(yanggao, page_a, f"{page_a}/seizure", seizure).status_code == 303
    assert (
        post(
            xinghe,
            page_a,
            f"{page_a}/seizure",
            {**seizure, "quantity": "10", "unit": "carton", "value": "3000"},
        ).status_code
        == 303
    )
    page = yanggao.get(page_a)
    assert "102,000" in page.text  # 2箱 + 10条 = 100,000 + 2,000 支
    assert "¥63,000.00" in page.text
    # Xinghe's own case, merged into Yanggao's with both consents.
    answer = post(
        xinghe,
        "/cases/new",
        "/cases/new",
        {
            "case_type": "smuggled",
            "title": "兴和关联案",
            "summary": "",
            "lead_ids": "",
            "opened_at": "",
        },
    )
    case_b = CASE_LINK.search(answer.headers["location"]).group(1)
    page_b = f"/cases/{case_b}"
    number_a = re.search(r"140221-\d{4}-\d{4}", page.text).group(0)
    answer = post(xinghe, page_b, f"{page_b}/merge", {"survivor": case_a, "reason": "同一网络"})
    assert answer.status_code == 303, answer.text[:1500]
    # Yanggao sees the proposal in its workspace and consents on the absorbed case's page.
    assert "答复并案提议" in yanggao.get("/workspace").text
    answer = post(
        yanggao,
        page_b,
        f"{page_b}/merge",
        {"survivor": case_a, "reason": "同意", "survivor_key": "1"},
    )
    assert answer.status_code == 303, answer.text[:1500]
    merged = yanggao.get(page_b)
    assert "已并案" in merged.text and number_a in merged.text
    timeline = yanggao.get(page_a).text
    assert "吸收案件" in timeline


def test_a_long_case_shows_its_latest_seizures_and_events_with_a_link_to_all(
    client_for, monkeypatch
):
    from api.console import officers

    monkeypatch.setattr(officers, "CASE_ROWS", 3)
    yanggao = client_for("officer", YANGGAO)
    answer = post(
        yanggao,
        "/cases/new",
        "/cases/new",
        {
            "case_type": "smuggled",
            "title": "长案件",
            "summary": "",
            "lead_ids": "",
            "opened_at": "",
        },
    )
    assert answer.status_code == 303, answer.text[:1500]
    path = f"/cases/{CASE_LINK.search(answer.headers['location']).group(1)}"
    for brand in ("甲牌", "乙牌", "丙牌", "丁牌", "戊牌"):
        seizure = {
            "brand": brand,
            "quantity": "1",
            "unit": "carton",
            "value": "300",
            "price_basis": "provincial",
            "disposition": "unsold",
            "seized_at": "2026-03-03T09:30",
        }
        assert post(yanggao, path, f"{path}/seizure", seizure).status_code == 303
    page = yanggao.get(path).text
    assert "¥1,500.00" in page  # the totals count every seizure
    assert "甲牌" not in page and "乙牌" not in page
    assert all(brand in page for brand in ("丙牌", "丁牌", "戊牌"))
    assert page.count('<tr><td class="num">') == 3  # the latest three events
    assert f'href="{path}?full=true#timeline"' in page
    full = yanggao.get(f"{path}?full=true").text
    assert all(brand in full for brand in ("甲牌", "乙牌", "丙牌", "丁牌", "戊牌"))
    assert full.count('<tr><td class="num">') == 6  # opened + five seizures


def test_an_invited_or_assisting_county_reads_the_case_summary_and_answers_it(client_for):
    yanggao = client_for("officer", YANGGAO)
    xinghe = client_for("officer", XINGHE)
    tianzhen = client_for("officer", TIANZHEN)
    answer = post(
        yanggao,
        "/cases/new",
        "/cases/new",
        {
            "case_type": "smuggled",
            "title": "走私卷烟网络",
            "summary": "夜间卸货",
            "lead_ids": "",
            "opened_at": "",
        },
    )
    case_page = CASE_LINK.search(answer.headers["location"]).group(0)
    seizure = {
        "brand": "中华",
        "specification": "硬盒",
        "quantity": "2",
        "unit": "case",
        "value": "60000",
        "price_basis": "provincial",
        "disposition": "unsold",
        "place": "仓库",
        "seized_at": "2026-03-03T09:30",
    }
    assert post(yanggao, case_page, f"{case_page}/seizure", seizure).status_code == 303
    assert (
        post(yanggao, case_page, f"{case_page}/invite", {"county": XINGHE, "note": "网络案件"})
    ).status_code == 303
    ask = {"to_county": TIANZHEN, "request": "核查仓库租户", "due": ""}
    assert post(yanggao, case_page, f"{case_page}/assistance", ask).status_code == 303
    # Invited: the summary (title, summary, totals) and the invitation, no seizure lines, no timeline
    summary = xinghe.get(case_page)
    assert summary.status_code == 200
    text = summary.text
    assert 'id="case-access"' in text and "走私卷烟网络" in text and "夜间卸货" in text
    assert "¥60,000.00" in text and "仓库" not in text and 'id="timeline"' not in text
    assert "网络案件" in text and "核查仓库租户" not in text  # another county's request
    # Asked for assistance: the summary and its own request, answered on that page
    asked = tianzhen.get(case_page).text
    assert 'id="case-access"' in asked and "核查仓库租户" in asked and "网络案件" not in asked
    request_id = re.search(r'name="request_id" value="([0-9a-f-]{36})"', asked).group(1)
    answer = post(
        tianzhen,
        case_page,
        f"{case_page}/answer-assistance",
        {"request_id": request_id, "answer": "租户为李某"},
    )
    assert answer.status_code == 303, answer.text[:1500]
    assert "租户为李某" in tianzhen.get(case_page).text
    # Joining shows the whole case
    answer = post(xinghe, case_page, f"{case_page}/accept-co-handling", {"county": XINGHE})
    assert answer.status_code == 303
    whole = xinghe.get(case_page).text
    assert 'id="case-access"' not in whole and "仓库" in whole and 'id="timeline"' in whole


def test_a_search_past_the_match_cap_says_more_match_and_lists_the_newest(client_for, monkeypatch):
    from projections import search_text

    yanggao = client_for("officer", YANGGAO)
    code = f"zq{uuid.uuid4().int % 10**9:09d}"
    ids = [register_lead(yanggao, f"{code} 第{i}家店销售假烟") for i in range(3)]
    page = yanggao.get("/leads", params={"q": code})
    assert "共 3 条线索" in page.text and "超过" not in page.text
    monkeypatch.setattr(search_text, "MATCH_CAP", 2)
    page = yanggao.get("/leads", params={"q": code})
    assert "匹配的线索超过 2 条" in page.text and "按接收时间由新到旧排列" in page.text
    assert set(LEAD_LINK.findall(page.text)) == set(ids)  # every match on the page
