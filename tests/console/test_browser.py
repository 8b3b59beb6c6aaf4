# ruff: noqa: RUF001  (the pages' Chinese labels use full-width punctuation)
"""The console in a real browser: Debian's Chromium driven by Playwright (never its own browser
download), against the app served by uvicorn on a free loopback port. One scenario across
counties (refer -> accept -> open a case -> invite a co-handler -> seizures by both -> merge with
both consents -> bulletin), an auditor verifying, keyboard use and labelled inputs. Screenshots
of each main page go to tests/console/screenshots/ (git-ignored)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from tests.console.conftest import PASSWORD, TIANZHEN, XINGHE, YANGGAO

CHROMIUM = os.environ.get("JOINTCASE_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).parent / "screenshots"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install -y chromium fonts-noto-cjk)",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def server(console_app, people) -> Iterator[str]:
    port = _free_port()
    config = uvicorn.Config(
        console_app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not uv.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    uv.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(exist_ok=True)
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Person:
    """One person's browser tab, signed in."""

    def __init__(self, browser, base: str, login: str) -> None:
        self.context = browser.new_context(
            base_url=base, locale="zh-CN", viewport={"width": 1280, "height": 900}
        )
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.base = base
        self.page.goto("/login")
        self.page.get_by_label("登录名").fill(login)
        self.page.get_by_label("密码").fill(PASSWORD)
        self.page.get_by_role("button", name="登录").click()
        self.page.wait_for_url(re.compile(r"/(workspace|audit/events|committee|admin/officers)"))

    def shot(self, name: str) -> None:
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def form(self, form_id: str):
        return self.page.locator(f"#{form_id}")

    def submit(self, form_id: str, button: str) -> None:
        with self.page.expect_navigation():
            self.form(form_id).get_by_role("button", name=button).click()

    def close(self) -> None:
        self.context.close()


def _labelled(page) -> None:
    """Every visible input, select and textarea has a label a screen reader announces."""
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
            .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
            .map(e => e.name || e.id)"""
    )
    assert unlabelled == [], f"inputs without a label: {unlabelled}"


def test_a_cross_county_case_from_referral_to_bulletin(server, browser):
    yanggao = Person(browser, server, f"officer-{YANGGAO}")
    tianzhen = Person(browser, server, f"officer-{TIANZHEN}")
    xinghe = Person(browser, server, f"officer-{XINGHE}")
    try:
        # Yanggao registers a lead and refers it to Tianzhen.
        page = yanggao.page
        page.goto("/leads/new")
        _labelled(page)
        page.get_by_label("摘要").fill("天镇方向运来假冒卷烟")
        page.get_by_label("地点：详细").fill("G6 高速阳高出口")
        page.get_by_label("接收时间").fill("2026-03-02T10:00")
        yanggao.submit("f-new-lead", "登记")
        assert "/leads/" in page.url
        lead_url = page.url.split("?")[0]
        yanggao.form("f-refer").get_by_label("目标单位").select_option(TIANZHEN)
        yanggao.form("f-refer").get_by_label("理由").fill("货源在天镇")
        yanggao.submit("f-refer", "移交")
        assert page.get_by_text("待接收").first.is_visible()
        yanggao.shot("lead")

        # Tianzhen sees it in its workspace, with a deadline counting down, and accepts.
        t = tianzhen.page
        t.goto("/workspace")
        assert t.get_by_role("cell", name="确认接收移交").first.is_visible()
        assert t.get_by_text(re.compile(r"剩余 \d+ 天")).first.is_visible()
        tianzhen.shot("workspace")
        t.goto(lead_url)
        tianzhen.submit(f"f-accept-{TIANZHEN}", "接收")
        tianzhen.form("f-convert").get_by_label("标题").fill("G6 假烟运输案")
        tianzhen.submit("f-convert", "立案")
        assert "/cases/" in t.url
        case_url = t.url.split("?")[0]
        number = re.search(r"140222-\d{4}-\d{4}", t.content()).group(0)

        # Tianzhen invites Xinghe to co-handle.
        tianzhen.form("f-invite").get_by_label("单位").select_option(XINGHE)
        tianzhen.form("f-invite").get_by_label("备注").fill("网络案件，协同办理")
        tianzhen.submit("f-invite", "邀请")
        # Inviting it again is refused: the domain's message shows next to the form (htmx
        # swaps in only that form; the page stays).
        tianzhen.form("f-invite").get_by_label("单位").select_option(XINGHE)
        tianzhen.form("f-invite").get_by_role("button", name="邀请").click()
        error = tianzhen.form("f-invite").locator(".error")
        error.wait_for()
        assert error.inner_text().strip() and t.url.split("?")[0] == case_url
        x = xinghe.page
        x.goto("/workspace")
        x.get_by_role("link", name=re.compile("G6 假烟运输案")).first.click()
        xinghe.submit(f"f-accept-co-handling-{XINGHE}", "加入")
        for person, quantity, unit, value in (
            (tianzhen, "3", "case", "90000"),
            (xinghe, "50", "carton", "15000"),
        ):
            person.page.goto(case_url)
            seizure = person.form("f-seizure")
            seizure.get_by_label("品牌").fill("中华")
            seizure.get_by_label("数量", exact=True).fill(quantity)
            seizure.get_by_label("单位（支/条/件/箱）").select_option(unit)
            seizure.get_by_label("案值（元）").fill(value)
            seizure.get_by_label("查获时间").fill("2026-03-03T09:30")
            person.submit("f-seizure", "保存查获记录")
        t.goto(case_url)
        assert t.locator("#case-value").inner_text() == "¥105,000.00"
        assert t.locator("#case-quantity").inner_text().startswith("160,000")
        tianzhen.shot("case")

        # Xinghe's own case is merged into Tianzhen's: Xinghe proposes, Tianzhen consents.
        x.goto("/cases/new")
        x.get_by_label("标题").fill("兴和关联运输案")
        xinghe.submit("f-new-case", "立案")
        absorbed_url = x.url.split("?")[0]
        xinghe.form("f-merge").get_by_label("主案（案件编号或内部编号）").fill(
            case_url.rsplit("/", 1)[1]
        )
        xinghe.form("f-merge").get_by_label("理由").fill("同一运输网络")
        xinghe.submit("f-merge", "提议或并案")
        t.goto("/workspace")
        assert t.get_by_role("cell", name="答复并案提议").first.is_visible()
        t.goto(absorbed_url)
        tianzhen.form("f-merge-1").get_by_label("理由").fill("同意并案")
        tianzhen.submit("f-merge-1", "同意并并案")
        assert t.locator("#case-status").inner_text().startswith("已并案")
        t.goto(case_url)
        assert t.get_by_role("cell", name="吸收案件").first.is_visible()

        # The bulletin of Tianzhen's quarter counts the case; Tianzhen issues it.
        t.goto(f"/bulletins/{TIANZHEN}/2026/1")
        frame = t.frame_locator("iframe")
        frame.locator("body").wait_for()
        assert "天镇" in frame.locator("body").inner_text()
        tianzhen.shot("bulletin")
        tianzhen.submit("f-issue", "发布")
        assert t.locator("#bulletin-sha").is_visible()
        # The case search finds the case by its number.
        y = yanggao.page
        y.goto("/cases")
        y.get_by_label("搜索").fill(number)
        y.get_by_label("搜索").press("Enter")
        y.locator("#results").get_by_role("link", name=number).wait_for()
        yanggao.shot("cases")
        y.goto("/leads")
        yanggao.shot("leads")
    finally:
        for person in (yanggao, tianzhen, xinghe):
            person.close()


def test_an_auditor_verifies_the_log(server, browser):
    auditor = Person(browser, server, f"auditor-{YANGGAO}")
    try:
        page = auditor.page
        assert "/audit/events" in page.url
        auditor.shot("audit-events")
        page.get_by_role("link", name="审计校验").click()
        page.wait_for_url("**/audit/verify")
        assert "日志完整" in page.locator("#verify-result").inner_text()
        auditor.shot("audit-verify")
    finally:
        auditor.close()


def test_the_console_works_from_the_keyboard(server, browser):
    """Sign in and reach a page with the keyboard alone; a visible focus and a skip link."""
    from playwright.sync_api import Page

    context = browser.new_context(base_url=server, locale="zh-CN")
    try:
        page: Page = context.new_page()
        page.goto("/login")
        _labelled(page)
        # The login name has the focus when the page opens; Tab goes to the password.
        assert page.evaluate("document.activeElement.id") == "login"
        page.keyboard.type(f"admin-{YANGGAO}")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.id") == "password"
        page.keyboard.type(PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/admin/officers")
        _labelled(page)
        page.screenshot(path=str(SHOTS / "admin-officers.png"), full_page=True)
        # The first Tab reaches the skip link, and Enter on it moves the focus to the content.
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip"
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
        # Tab then reaches the first control in the page, with a visible focus ring.
        page.keyboard.press("Tab")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none"
    finally:
        context.close()


def test_two_committee_members_take_a_reward_from_proposal_to_payment(
    server, browser, console_services, people
):
    from datetime import UTC, datetime
    from decimal import Decimal

    from domain.values import Actor, CaseType, Context, PriceBasis, Role

    officer = people["officer", YANGGAO]
    ctx = Context(Actor(officer.officer_id, YANGGAO, Role.OFFICER), datetime.now(UTC), "b")
    app = console_services.app
    case = app.open_case(ctx, case_type=CaseType.COUNTERFEIT, title="奖励浏览器案件")
    app.record_seizure(
        case.id,
        ctx,
        brand="中华",
        sticks=50_000,
        value=Decimal("30000"),
        price_basis=PriceBasis.PROVINCIAL,
        seized_at=datetime.now(UTC),
    )
    claim = app.file_reward_claim(case.id, "一案一奖", ctx)
    first = Person(browser, server, f"committee-{YANGGAO}")
    second = Person(browser, server, f"committee-{TIANZHEN}")
    try:
        first.page.goto(f"/rewards/{claim.id}")
        first.submit("f-propose", "提出方案")
        assert first.page.locator("#reward-status").inner_text() == "已提出方案"
        # The member who proposed is refused approval, next to the form.
        first.form("f-approve").get_by_role("button", name="批准").click()
        first.form("f-approve").locator(".error").wait_for()
        second.page.goto(f"/rewards/{claim.id}")
        second.form("f-approve").get_by_label("理由").fill("核对无误")
        second.submit("f-approve", "批准")
        assert second.page.locator("#reward-status").inner_text() == "已批准"
        second.form("f-pay").get_by_label("兑付日期").fill("2026-05-10")
        second.form("f-pay").get_by_label("付款凭证号").fill("凭证 2026-117")
        second.submit("f-pay", "登记兑付")
        assert second.page.locator("#reward-status").inner_text() == "已兑付"
        second.shot("reward")
    finally:
        first.close()
        second.close()


def test_a_committee_member_adjusts_a_proposal_in_the_browser(
    server, browser, console_services, people
):
    """The proposer's adjustment is refused next to the form (htmx swaps it in); another
    member's adjustment within the caps becomes version 2 of the proposal."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from domain.values import Actor, CaseType, Context, PriceBasis, Role

    officer = people["officer", TIANZHEN]
    ctx = Context(Actor(officer.officer_id, TIANZHEN, Role.OFFICER), datetime.now(UTC), "b")
    app = console_services.app
    case = app.open_case(ctx, case_type=CaseType.COUNTERFEIT, title="调整浏览器案件")
    app.record_seizure(
        case.id,
        ctx,
        brand="中华",
        sticks=50_000,
        value=Decimal("30000"),
        price_basis=PriceBasis.PROVINCIAL,
        seized_at=datetime.now(UTC),
    )
    claim = app.file_reward_claim(case.id, "一案一奖", ctx)
    first = Person(browser, server, f"committee-{TIANZHEN}")
    second = Person(browser, server, f"committee-{XINGHE}")
    try:
        first.page.goto(f"/rewards/{claim.id}")
        first.submit("f-propose", "提出方案")
        adjust = first.form("f-adjust")
        adjust.get_by_label("书面理由").fill("自己调整")
        adjust.get_by_role("button", name="记录调整后的方案").click()
        first.form("f-adjust").locator(".error").wait_for()
        second.page.goto(f"/rewards/{claim.id}")
        _labelled(second.page)
        adjust = second.form("f-adjust")
        adjust.get_by_label("金额（元）").first.fill("1200.00")
        adjust.get_by_label("书面理由").fill("联席会议议定")
        second.submit("f-adjust", "记录调整后的方案")
        assert second.page.locator("#reward-version").inner_text() == "2"
        assert "联席会议议定" in second.page.locator("#reward-adjustment").inner_text()
        second.shot("reward-adjusted")
    finally:
        first.close()
        second.close()
