"""A realistic scenario across the six units, recorded through the same use cases as the API:
tip-off and parcel-screening leads, referrals accepted and declined, a networked case handled
jointly by three counties, a cross-county merge, seizures in several units, a police referral."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from domain.values import Actor, Context, Role, to_sticks
from service.app import JointCaseApp

XINGHE, YANGGAO, TIANZHEN, SHANGYI, HUAIAN, WANQUAN = (
    "150924",
    "140221",
    "140222",
    "130725",
    "130728",
    "130708",
)


@dataclass
class DemoResult:
    leads: int
    cases: list[str]
    case_ids: list[UUID]
    events: int
    last_position: int


def run_demo(app: JointCaseApp, say: Callable[[str], None] = print) -> DemoResult:
    run = uuid4().hex[:8]
    tz = app.timezone
    start = datetime.now(tz)
    step = [0]

    def ctx(county: str, officer: str, role: Role = Role.OFFICER) -> Context:
        step[0] += 1
        return Context(
            Actor(f"{officer}@{county}", county, role),
            datetime.now(tz),
            f"demo-{run}-{step[0]}",
        )

    events = 0
    position = 0

    def note(written_position: int, text: str, n: int = 1) -> None:
        nonlocal events, position
        events += n
        position = written_position
        say(f"  [{written_position:>6}] {text}")

    say("Liaison directory (联络通讯录):")
    liaisons = {
        XINGHE: "王伟",
        YANGGAO: "李强",
        TIANZHEN: "赵敏",
        SHANGYI: "刘洋",
        HUAIAN: "陈静",
        WANQUAN: "孙磊",
    }
    for county, name in liaisons.items():
        unit = app.check_county(county)
        if unit.current_liaison is None or unit.current_liaison.name != name:
            w = app.designate_liaison(
                county,
                name,
                f"0{county[:3]}-5550{county[-3:]}",
                "",
                start.date(),
                ctx(county, "liaison", Role.LIAISON),
            )
            note(w.position, f"{unit.name_zh} designates liaison {name}")
        else:
            say(f"  {unit.name_zh}: liaison {name} (unchanged)")

    say("Leads (线索):")
    tip = app.register_lead(
        ctx(XINGHE, "wang.jicha"),
        summary="Tip-off: a van unloads counterfeit 中华 cartons at night near the 兴和-阳高 road",
        source="tip_off",
        place_county=YANGGAO,
        place_detail="G6 service road, 罗文皂镇 exit",
        suspected_parties=["晋B·7K3xx van", "a wholesaler known as 老马"],
        informant="张某, 138-0000-1234",
        received_at=start - timedelta(days=2),
    )
    note(tip.position, f"兴和 registers a tip-off lead (informant {tip.details['informant_ref']})")
    w = app.refer_lead(
        tip.id, YANGGAO, "the unloading point is in 阳高's jurisdiction", ctx(XINGHE, "wang.jicha")
    )
    note(w.position, "兴和 refers it to 阳高 (acknowledge in 3 days, feedback in 15)")
    w = app.accept_referral(tip.id, ctx(YANGGAO, "li.dajia"))
    note(w.position, "阳高 accepts the referral and becomes responsible")
    w = app.give_feedback(
        tip.id,
        "Surveillance set up; the van was seen twice this week",
        False,
        ctx(YANGGAO, "li.dajia"),
    )
    note(w.position, "阳高 gives feedback to 兴和")

    parcel = app.register_lead(
        ctx(WANQUAN, "sun.wuliu"),
        summary="Parcel screening: 14 parcels of smuggled foreign cigarettes addressed to a shop",
        source="parcel_screening",
        place_county=SHANGYI,
        place_detail="express depot, 南壕堑镇",
        suspected_parties=["收件人 刘某"],
    )
    note(parcel.position, "万全 registers a parcel-screening lead")
    w = app.refer_lead(
        parcel.id, HUAIAN, "the consignee address looked like 怀安", ctx(WANQUAN, "sun.wuliu")
    )
    note(w.position, "万全 refers it to 怀安")
    w = app.decline_referral(
        parcel.id, "the address is in 尚义, not 怀安", ctx(HUAIAN, "chen.jicha")
    )
    note(w.position, "怀安 declines: wrong jurisdiction")
    w = app.refer_lead(parcel.id, SHANGYI, "consignee is in 尚义", ctx(WANQUAN, "sun.wuliu"))
    note(w.position, "万全 refers it to 尚义")
    w = app.accept_referral(parcel.id, ctx(SHANGYI, "liu.jicha"))
    note(w.position, "尚义 accepts")

    market = app.register_lead(
        ctx(TIANZHEN, "zhao.shichang"),
        summary="Market inspection: three retailers sell 中华 below the agreed price",
        source="market_inspection",
        place_county=TIANZHEN,
        place_detail="天镇 county town, 自律互助小组 #4",
    )
    note(market.position, "天镇 registers a market-inspection lead")
    w = app.share_lead(
        market.id,
        [YANGGAO, XINGHE],
        "same packaging as the 兴和 tip-off",
        ctx(TIANZHEN, "zhao.shichang"),
    )
    note(w.position, "天镇 shares it with 阳高 and 兴和 (情报共享)")
    w = app.corroborate_lead(
        market.id, "seen", "same cartons seized in 2024", ctx(XINGHE, "wang.jicha")
    )
    note(w.position, "兴和 corroborates: seen")

    say("Cases (案件):")
    network = app.open_case(
        ctx(YANGGAO, "li.dajia"),
        case_type="counterfeit",
        title="Counterfeit 中华 distribution network along the G6",
        summary="Van deliveries from a workshop outside the province to retailers in three counties",
        lead_ids=[tip.id],
    )
    note(network.position, f"阳高 opens case {network.details['number']} from the tip-off", 3)
    for county in (XINGHE, TIANZHEN, HUAIAN):
        w = app.invite_co_handler(
            network.id, county, "networked case: joint handling", ctx(YANGGAO, "li.dajia")
        )
        note(w.position, f"阳高 invites {app.check_county(county).name_zh} to co-handle")
    w = app.accept_co_handling(network.id, ctx(XINGHE, "wang.jicha"))
    note(w.position, "兴和 joins as co-handler")
    w = app.accept_co_handling(network.id, ctx(TIANZHEN, "zhao.shichang"))
    note(w.position, "天镇 joins as co-handler")
    w = app.decline_co_handling(network.id, "no link found in 怀安", ctx(HUAIAN, "chen.jicha"))
    note(w.position, "怀安 declines the invitation")
    seizures = [
        (YANGGAO, "li.dajia", "中华(硬)", to_sticks(3, "case"), "135000", "G6 service road"),
        (XINGHE, "wang.jicha", "中华(软)", to_sticks(40, "carton"), "36000", "兴和 warehouse"),
        (TIANZHEN, "zhao.shichang", "中华(硬)", to_sticks(120, "carton"), "54000", "天镇 retailer"),
    ]
    for county, officer, brand, sticks, value, place in seizures:
        w = app.record_seizure(
            network.id,
            ctx(county, officer),
            brand=brand,
            sticks=sticks,
            value=value,
            price_basis="provincial",
            seized_at=datetime.now(tz) - timedelta(hours=6),
            place=place,
        )
        note(
            w.position,
            f"{app.check_county(county).name_zh} records a seizure: {brand} {sticks:,}支 ¥{value}",
        )
    w = app.request_assistance(
        network.id,
        SHANGYI,
        "check the 尚义 depot for parcels from the same sender",
        ctx(YANGGAO, "li.dajia"),
    )
    request_id = w.details["request_id"]
    note(w.position, "阳高 asks 尚义 for assistance (协查, 7 days)")
    w = app.answer_assistance(
        network.id,
        request_id,
        "Two parcels from the same sender found and held",
        ctx(SHANGYI, "liu.jicha"),
    )
    note(w.position, "尚义 answers the assistance request")

    retail = app.open_case(
        ctx(TIANZHEN, "zhao.shichang"),
        case_type="counterfeit",
        title="Retailers selling counterfeit 中华 below price",
        lead_ids=[market.id],
    )
    note(retail.position, f"天镇 opens case {retail.details['number']} from its market lead", 3)
    w = app.record_seizure(
        retail.id,
        ctx(TIANZHEN, "zhao.shichang"),
        brand="中华(硬)",
        sticks=to_sticks(25, "carton"),
        value="11250",
        price_basis="provincial",
        disposition="sold",
        seized_at=datetime.now(tz) - timedelta(hours=3),
        place="天镇 retailer #2",
    )
    note(w.position, "天镇 records a seizure in its own case")
    w = app.merge_cases(
        retail.id, network.id, "supplied by the same network", ctx(TIANZHEN, "zhao.shichang")
    )
    note(
        w.position,
        f"天镇 consents to merge {retail.details['number']} into {network.details['number']}",
    )
    w = app.merge_cases(
        retail.id, network.id, "supplied by the same network", ctx(YANGGAO, "li.dajia")
    )
    note(w.position, "阳高 consents: the cases are merged (并案), nothing deleted", 2)

    advice = app.police_advice(network.id)
    say(f"  police referral advice: {'; '.join(advice) or 'none'}")
    w = app.refer_to_police(
        network.id,
        "大同市公安局阳高分局",
        datetime.now(tz),
        "business volume over the 情节严重 threshold",
        ctx(YANGGAO, "li.dajia"),
    )
    note(w.position, "阳高 refers the case to police (移送公安)")
    w = app.record_police_acceptance(
        network.id, datetime.now(tz), "阳公(经)立字[2026]0137号", ctx(YANGGAO, "li.dajia")
    )
    note(w.position, "police acceptance recorded")

    shop = app.open_case(
        ctx(SHANGYI, "liu.jicha"),
        case_type="online_parcel",
        title="Smuggled cigarettes by parcel to a 尚义 shop",
        lead_ids=[parcel.id],
    )
    note(shop.position, f"尚义 opens case {shop.details['number']} from the parcel lead", 3)
    w = app.record_seizure(
        shop.id,
        ctx(SHANGYI, "liu.jicha"),
        brand="Marlboro (foreign)",
        sticks=to_sticks(14, "carton"),
        value="4900",
        price_basis="actual_sale",
        seized_at=datetime.now(tz) - timedelta(days=1),
        place="尚义 shop",
    )
    note(w.position, "尚义 records the parcel seizure")
    w = app.close_case(
        shop.id, "confiscation", "goods confiscated, fine imposed", ctx(SHANGYI, "liu.jicha")
    )
    note(w.position, "尚义 closes its case (confiscation)")

    cases = [
        str(network.details["number"]),
        str(retail.details["number"]),
        str(shop.details["number"]),
    ]
    return DemoResult(
        leads=3,
        cases=cases,
        case_ids=[network.id, retail.id, shop.id],
        events=events,
        last_position=position,
    )
