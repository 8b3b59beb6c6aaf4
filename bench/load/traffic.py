"""The traffic: the six units' officers as asyncio tasks doing a realistic mix of reads and
writes over HTTP, with what was accepted, refused and how long the views took to show it."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter, defaultdict
from typing import Any

import httpx

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")
NEIGHBOURS = {
    "150924": ("140221", "140222", "130725"),
    "140221": ("150924", "140222", "130728"),
    "140222": ("140221", "130728", "130708"),
    "130725": ("150924", "130708", "130728"),
    "130728": ("140221", "140222", "130725", "130708"),
    "130708": ("130725", "130728", "140222"),
}
EXPECTED_REFUSALS = {409}  # races between officers (a referral answered twice, a stale case)


class Load:
    def __init__(self, base: str, tokens: dict[str, list[str]], seconds: float, seed: int) -> None:
        self.base = base
        self.tokens = tokens
        self.deadline = time.monotonic() + seconds
        self.rng = random.Random(seed)
        self.accepted: dict[str, int] = {}  # correlation id -> position, for accepted writes
        self.refused: list[str] = []
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.visible_after: list[float] = []
        self.leads: dict[str, list[str]] = defaultdict(list)  # responsible county -> lead ids
        self.cases: dict[str, list[str]] = defaultdict(list)  # county -> case ids
        self.sequence = 0

    async def call(
        self, http: httpx.AsyncClient, kind: str, token: str, method: str, path: str, **kw: Any
    ) -> httpx.Response:
        self.sequence += 1
        correlation = f"load-{self.sequence}"
        headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": correlation}
        started = time.perf_counter()
        r = await http.request(method, path, headers=headers, **kw)
        self.latency[kind].append(time.perf_counter() - started)
        self.statuses[(kind, r.status_code)] += 1
        if method == "POST":
            if r.status_code in (200, 201):
                self.accepted[correlation] = r.json().get("position", 0)
            else:
                self.refused.append(correlation)
        return r

    async def follow(self, http: httpx.AsyncClient, token: str, position: int) -> None:
        """How long until the read models show a write (read-your-writes)."""
        started = time.perf_counter()
        r = await http.get(
            "/v1/workspace",
            params={"wait_for": position},
            headers={"Authorization": f"Bearer {token}"},
        )
        if r.status_code == 200:
            self.visible_after.append(time.perf_counter() - started)

    async def user(self, http: httpx.AsyncClient, county: str, token: str) -> None:
        rng = self.rng
        while time.monotonic() < self.deadline:
            roll = rng.random()
            if roll < 0.14:
                r = await self.call(
                    http,
                    "register_lead",
                    token,
                    "POST",
                    "/v1/leads",
                    json={
                        "summary": f"线索 {self.sequence}: cartons at a depot",
                        "source": rng.choice(
                            ["tip_off", "market_inspection", "parcel_screening", "online"]
                        ),
                        "place_county": county,
                        "informant": "举报人 13800000000" if rng.random() < 0.3 else None,
                    },
                )
                if r.status_code == 201:
                    self.leads[county].append(r.json()["id"])
            elif roll < 0.24 and self.leads[county]:
                lead = rng.choice(self.leads[county])
                await self.call(
                    http,
                    "refer_lead",
                    token,
                    "POST",
                    f"/v1/leads/{lead}/referrals",
                    json={
                        "to_county": rng.choice(NEIGHBOURS[county]),
                        "reason": "crosses the border",
                    },
                )
            elif roll < 0.34:
                ws = await self.call(http, "read_workspace", token, "GET", "/v1/workspace")
                items = [
                    i for i in ws.json().get("items", []) if i["kind"] == "acknowledge_referral"
                ]
                if items:
                    item = rng.choice(items)
                    if rng.random() < 0.8:
                        r = await self.call(
                            http,
                            "accept_referral",
                            token,
                            "POST",
                            f"/v1/leads/{item['lead_id']}/referrals/{county}/acceptance",
                        )
                        if r.status_code == 200:
                            self.leads[county].append(item["lead_id"])
                    else:
                        await self.call(
                            http,
                            "decline_referral",
                            token,
                            "POST",
                            f"/v1/leads/{item['lead_id']}/referrals/{county}/declination",
                            json={"reason": "not in our area"},
                        )
            elif roll < 0.42:
                if self.leads[county] and rng.random() < 0.6:
                    lead = self.leads[county].pop(rng.randrange(len(self.leads[county])))
                    r = await self.call(
                        http,
                        "convert_lead",
                        token,
                        "POST",
                        f"/v1/leads/{lead}/conversion",
                        json={"case_type": "counterfeit", "title": "from a lead"},
                    )
                else:
                    r = await self.call(
                        http,
                        "open_case",
                        token,
                        "POST",
                        "/v1/cases",
                        json={
                            "case_type": rng.choice(
                                ["counterfeit", "smuggled", "illegal_circulation"]
                            ),
                            "title": "market inspection case",
                        },
                    )
                if r.status_code == 201:
                    self.cases[county].append(r.json()["id"])
            elif roll < 0.75 and self.cases[county]:
                case = rng.choice(self.cases[county][-30:])
                r = await self.call(
                    http,
                    "record_seizure",
                    token,
                    "POST",
                    f"/v1/cases/{case}/seizures",
                    json={
                        "brand": rng.choice(["中华(硬)", "玉溪", "芙蓉王", "Marlboro"]),
                        "quantity": str(rng.randint(1, 60)),
                        "unit": "carton",
                        "value": f"{rng.randint(100, 30000)}.00",
                        "price_basis": "provincial",
                        "seized_at": "2026-03-02T03:10:00+08:00",
                    },
                )
                if r.status_code == 201 and rng.random() < 0.1:
                    await self.follow(http, token, r.json()["position"])
            elif roll < 0.78 and self.cases[county]:
                case = rng.choice(self.cases[county][-30:])
                await self.call(
                    http,
                    "invite_co_handler",
                    token,
                    "POST",
                    f"/v1/cases/{case}/co-handlers",
                    json={"county": rng.choice(NEIGHBOURS[county])},
                )
            elif roll < 0.9:
                await self.call(
                    http,
                    "search_cases",
                    token,
                    "GET",
                    "/v1/cases",
                    params={"status": "open", "limit": 20},
                )
            elif self.cases[county]:
                await self.call(
                    http, "read_case", token, "GET", f"/v1/cases/{rng.choice(self.cases[county])}"
                )


async def drive(base: str, tokens: dict[str, list[str]], seconds: float, seed: int) -> Load:
    load = Load(base, tokens, seconds, seed)
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        await asyncio.gather(
            *(load.user(http, county, token) for county, ts in tokens.items() for token in ts)
        )
    return load
