"""The simulated world: the six counties and their officers, the years of the bulk history, the
words of its leads and cases; and the targets."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from domain.values import Actor, Role

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")
OFFICERS_PER_COUNTY = 12
TARGET_REBUILD_RATIO = 0.40
TARGET_QUERY_P99_MS = 20.0
TARGET_LAG_P99_MS = 250.0
OTHER_BENCHES = r"bench[./](app_vs_raw|http_vs_direct|load|rebuild)|pytest"
#: The bulk history runs over the two years before this one; the seed set (use cases) is recorded
#: now. Stories run on for weeks after they start; no bulk case is opened in this year, whose
#: case-number sequences the use cases own.
BULK_YEARS_BEFORE = datetime.now(UTC).year
BULK_FROM = datetime(BULK_YEARS_BEFORE - 2, 1, 1, tzinfo=UTC)
BULK_TO = datetime(BULK_YEARS_BEFORE - 1, 11, 30, tzinfo=UTC)

BRANDS = ("中华", "玉溪", "芙蓉王", "黄鹤楼", "云烟", "利群", "南京", "红塔山", "苏烟", "双喜")
PLACES = (
    "城关镇",
    "新华路",
    "物流园",
    "火车站",
    "客运站",
    "批发市场",
    "城郊",
    "开发区",
    "高速服务区",
)
SOURCES = ("tip_off", "market_inspection", "parcel_screening", "online", "bureau_notice")
CASE_TYPES = ("counterfeit", "smuggled", "illegal_circulation", "unlicensed", "online_parcel")
OUTCOMES = ("penalty", "confiscation", "referred", "unfounded")
SEARCH_WORDS = ("中华", "物流", "假烟", "走私", "2025-0", "-2024-01", "批发市场", "快递")


def officer(county: str, rng: random.Random) -> Actor:
    return Actor(f"{county}-o{rng.randrange(OFFICERS_PER_COUNTY):02d}", county, Role.OFFICER)


def other_county(county: str, rng: random.Random) -> str:
    return rng.choice([c for c in COUNTIES if c != county])
