"""Chinese free-text search over the case search and the lead register: what the index finds
equals a substring scan of the same visible rows, the best matches come first, visibility is
unchanged, and an informant is never indexed."""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st

from domain.access import ALL
from domain.case import Case
from domain.jurisdiction import CaseNumberSequence
from domain.lead import Lead
from domain.values import Actor, Context, Role
from jointcase.storage import init_database
from projections import search_text
from projections.base import BatchRunner
from projections.search_text import MAX_LEXEME, document, exact, like_patterns, query
from tests.pg import scratch_database
from tests.projections.conftest import Store

COUNTIES = ("150924", "140221", "140222", "130725", "130728", "130708")
PLACES = (
    "兴和县",
    "天镇县",
    "阳高县",
    "尚义县",
    "怀安县",
    "万全区",
    "城关镇",
    "物流园",
    "批发市场",
)
BRANDS = ("中华", "玉溪", "芙蓉王", "黄鹤楼", "云烟", "利群", "红塔山", "ZH-84", "Yx9901")
DEEDS = ("售烟", "走私", "销售假烟", "无证经营", "快递寄递", "兴和售烟点", "夹带", "私运")
PLATE_PREFIXES = ("蒙J", "蒙A", "晋B", "冀G")


def plate(rng: random.Random) -> str:
    return rng.choice(PLATE_PREFIXES) + "".join(rng.choice("0123456789ABK") for _ in range(5))


def waybill(rng: random.Random) -> str:
    return rng.choice(("SF", "YT", "jd")) + str(rng.randrange(10**11, 10**12))


def sentence(rng: random.Random) -> str:
    parts = [
        rng.choice(PLACES),
        rng.choice(("发现", "查获", "")),
        rng.choice(DEEDS),
        rng.choice(BRANDS),
        rng.choice(
            (f"\uff0c车牌{plate(rng)}", f" 运单{waybill(rng)}", f"{rng.randrange(1, 90)}条", "")
        ),
        rng.choice(("。", " ", "、", "")),
    ]
    return "".join(parts)


def ctx(county: str, at: datetime) -> Context:
    return Context(Actor(f"{county}-o1", county, Role.OFFICER), at, f"t-{uuid.uuid4().hex[:8]}")


@pytest.fixture
def corpus(store: Store) -> dict[str, Any]:
    """200 cases and 300 leads of generated Chinese text over the six counties; some leads
    shared with a neighbour, some carrying a sealed informant."""
    rng = random.Random(20261203)
    at = datetime(2024, 3, 1, tzinfo=UTC)
    sequences = {c: CaseNumberSequence.start(c, 2024, ctx(c, at)) for c in COUNTIES}
    aggregates: list[Any] = list(sequences.values())
    informants = []
    for i in range(300):
        county = rng.choice(COUNTIES)
        at += timedelta(minutes=rng.randrange(1, 300))
        lead_id = uuid.uuid4()
        sealed = ref = None
        if i % 4 == 0:
            name = f"举报人{rng.choice('赵钱孙李周吴郑王')}{rng.choice('伟芳敏静强磊')}"
            sealed, ref = store.app.cipher.seal(name, lead_id)
            informants.append((name, ref))
        lead = Lead.register(
            lead_id=lead_id,
            ctx=ctx(county, at),
            summary=sentence(rng) + sentence(rng),
            source="tip_off",
            place_county=county,
            place_detail=f"{rng.choice(PLACES)}{rng.randrange(1, 300)}号",
            suspected_parties=[f"嫌疑人{rng.randrange(10**4)}" for _ in range(rng.randrange(3))],
            informant_ciphertext=sealed,
            informant_ref=ref,
            received_at=at - timedelta(hours=1),
        )
        if i % 5 == 0:
            lead.share([rng.choice([c for c in COUNTIES if c != county])], "通报", ctx(county, at))
        aggregates.append(lead)
    for _ in range(200):
        county = rng.choice(COUNTIES)
        at += timedelta(minutes=rng.randrange(1, 300))
        case_id = uuid.uuid4()
        c = ctx(county, at)
        aggregates.append(
            Case.open(
                case_id=case_id,
                number=sequences[county].issue(case_id, c),
                year=2024,
                ctx=c,
                case_type=rng.choice(("counterfeit", "smuggled")),
                title=f"{rng.choice(PLACES)}{rng.choice(BRANDS)}案",
                summary=sentence(rng) + sentence(rng),
                opened_at=at,
            )
        )
    store.app.save(*aggregates)
    store.runner().catch_up()
    return {"informants": informants, "rng": rng}


def case_text(row: dict[str, Any]) -> str:
    return f"{row['title']} {row['summary']} {row['number']}"


def lead_text(row: dict[str, Any]) -> str:
    parties = " ".join(row["suspected_parties"])
    return f"{row['summary']} {row['place_county']} {row['place_detail']} {parties}"


def substring_scan(rows: list[dict[str, Any]], text: Any, q: str, key: str) -> set[Any]:
    terms = q.lower().split()
    return {r[key] for r in rows if all(t in text(r).lower() for t in terms)}


def query_terms(rows: list[str], rng: random.Random) -> list[str]:
    """Fixed terms (one and two characters, plates, codes, numbers, several words, none) and
    random pieces of the stored texts, of one to eight characters."""
    fixed = [
        "售烟",
        "兴和",
        "走私",
        "烟",
        "售",
        "蒙J",
        "蒙j1",
        "j1",
        "ZH-84",
        "zh",
        "84",
        "yx99",
        "x990",
        "SF",
        "sf1",
        "140221-2024-00",
        "2024-001",
        "-2024-",
        "批发市场",
        "兴和 走私",
        "走私 蒙J",
        "芙蓉王案",
        "号 嫌疑人",
        "无此词语",
        "Q",
        "%",
        "_",
        "、",
    ]
    pieces = []
    for _ in range(250):
        text = rng.choice(rows)
        start = rng.randrange(len(text))
        pieces.append(text[start : start + rng.randrange(1, 9)])
    return fixed + [p for p in pieces if p.strip()]


def test_case_search_finds_exactly_what_a_substring_scan_finds(
    store: Store, corpus: dict[str, Any]
) -> None:
    view = store.views.case_search
    rng = corpus["rng"]
    everything = view.search(visible_to=ALL, limit=10_000)[1]
    assert len(everything) == 200
    terms = query_terms([case_text(r) for r in everything], rng)
    checked = 0
    for reader in (ALL, *COUNTIES):
        visible = view.search(visible_to=reader, limit=10_000)[1]
        for q in terms if reader == ALL else rng.sample(terms, 40):
            expected = substring_scan(visible, case_text, q, "case_id")
            total, rows = view.search(visible_to=reader, text=q, limit=10_000)
            assert {r["case_id"] for r in rows} == expected, (reader, q)
            assert total == len(expected)
            checked += bool(expected)
    assert checked > 100  # most terms find something


def test_lead_register_finds_exactly_what_a_substring_scan_finds(
    store: Store, corpus: dict[str, Any]
) -> None:
    view = store.views.leads
    rng = corpus["rng"]
    everything = view.search(visible_to=ALL, limit=10_000)[1]
    assert len(everything) == 300
    terms = query_terms([lead_text(r) for r in everything], rng)
    for reader in (ALL, *COUNTIES):
        visible = view.search(visible_to=reader, limit=10_000)[1]
        assert reader == ALL or 0 < len(visible) < 300
        for q in terms if reader == ALL else rng.sample(terms, 40):
            expected = substring_scan(visible, lead_text, q, "lead_id")
            total, rows = view.search(visible_to=reader, text=q, limit=10_000)
            assert {r["lead_id"] for r in rows} == expected, (reader, q)
            assert total == len(expected)


def test_the_index_alone_finds_every_substring_match(store: Store, corpus: dict[str, Any]) -> None:
    """The ILIKE check only removes rows: the tsquery must already find every row that holds the
    terms (else the check would hide a lost row)."""
    rng = corpus["rng"]
    for table, key, text in (
        ("case_search", "case_id", case_text),
        ("lead_register", "lead_id", lead_text),
    ):
        rows = store.views.case_search.query(f"SELECT * FROM {table}")
        for q in query_terms([text(r) for r in rows], rng):
            expected = substring_scan(rows, text, q, key)
            match = query(q).match
            if match is None:
                continue
            found = store.views.case_search.query(
                f"SELECT {key} FROM {table} WHERE search_vec @@ %s::tsquery", (match,)
            )
            assert expected <= {r[key] for r in found}, (table, q)


def test_an_informant_is_never_indexed(store: Store, corpus: dict[str, Any]) -> None:
    view = store.views.leads
    assert corpus["informants"]
    stored = " ".join(r["v"] for r in view.query("SELECT search_vec::text AS v FROM lead_register"))
    for name, ref in corpus["informants"]:
        assert view.search(visible_to=ALL, text=name)[0] == 0
        assert view.search(visible_to=ALL, text=name[-2:])[0] == 0
        assert ref.lower() not in stored
        assert view.search(visible_to=ALL, text=ref)[0] == 0


def _open(store: Store, county: str, at: datetime, title: str, summary: str) -> uuid.UUID:
    case_id = uuid.uuid4()
    c = ctx(county, at)
    sequence = CaseNumberSequence.start(county, at.year, c)
    store.app.save(
        sequence,
        Case.open(
            case_id=case_id,
            number=sequence.issue(case_id, c),
            year=at.year,
            ctx=c,
            case_type="smuggled",
            title=title,
            summary=summary,
        ),
    )
    return case_id


def test_best_matches_first_then_newest_then_id(store: Store) -> None:
    at = datetime(2025, 5, 1, tzinfo=UTC)
    in_summary = _open(store, "150924", at, "一般案件", "车上查获走私卷烟")
    in_title = _open(store, "140221", at - timedelta(days=3), "走私卷烟案", "查获卷烟")
    twice = _open(store, "140222", at - timedelta(days=2), "走私案", "走私卷烟再次走私")
    newer = _open(store, "130725", at + timedelta(days=1), "其他", "车上查获走私卷烟")
    store.runner().catch_up()
    view = store.views.case_search
    _, rows = view.search(visible_to=ALL, text="走私")
    order = [r["case_id"] for r in rows]
    assert order[0] == twice and order[1] == in_title
    # Equal rank: the newer first, the same answer every time.
    assert order[2:] == [newer, in_summary]
    assert [r["case_id"] for r in view.search(visible_to=ALL, text="走私")[1]] == order
    # An explicit sort still sorts (by number here), and paging follows the ranked order.
    _, by_number = view.search(visible_to=ALL, text="走私", sort="number", descending=False)
    assert [r["number"] for r in by_number] == sorted(r["number"] for r in rows)
    assert [r["case_id"] for r in view.search(visible_to=ALL, text="走私", offset=1)[1]] == (
        order[1:]
    )
    # The count is of every match, also for a page past the last one.
    assert view.search(visible_to=ALL, text="走私", limit=1)[0] == 4
    assert view.search(visible_to=ALL, text="走私", offset=10) == (4, [])
    # With no sort given and no free text: newest first, as before.
    assert view.search(visible_to=ALL)[1][0]["case_id"] == newer


def _register(store: Store, county: str, at: datetime, summary: str) -> Lead:
    lead = Lead.register(
        lead_id=uuid.uuid4(),
        ctx=ctx(county, at),
        summary=summary,
        source="tip_off",
        place_county=county,
    )
    store.app.save(lead)
    return lead


def test_visibility_is_unchanged(store: Store) -> None:
    at = datetime(2025, 6, 1, tzinfo=UTC)
    own = _open(store, "150924", at, "兴和售烟点案", "蒙J12345 运单SF123456789012")
    lead = _register(store, "150924", at, "兴和售烟点 蒙J12345 运单SF123456789012")
    store.runner().catch_up()
    cases, leads = store.views.case_search, store.views.leads
    for q in ("售烟", "J123", "2345", "sf1234", "兴和"):
        assert [r["case_id"] for r in cases.search(visible_to="150924", text=q)[1]] == [own]
        assert cases.search(visible_to="140221", text=q) == (0, [])
        assert [r["lead_id"] for r in leads.search(visible_to="150924", text=q)[1]] == [lead.id]
        assert leads.search(visible_to="140221", text=q) == (0, [])
        assert leads.search(visible_to=None, text=q) == (0, [])
    lead.share(["140221"], "通报", ctx("150924", at + timedelta(hours=1)))
    store.app.save(lead)
    store.runner().catch_up()
    assert [r["lead_id"] for r in leads.search(visible_to="140221", text="售烟")[1]] == [lead.id]
    assert leads.search(visible_to="140222", text="售烟") == (0, [])


def test_document_and_query_tokens() -> None:
    """The tokens themselves: unigrams, bigrams, rjieba's longer words, alphanumeric tails;
    a query needs every bigram of a Chinese run and each alphanumeric part as a prefix."""
    stored = document(("兴和县售烟点 蒙J12345", "A"))
    lexemes = {part.split(":")[0].strip("'") for part in stored.split(" ")}
    assert {"兴", "和", "兴和", "和县", "售烟", "烟点", "蒙", "j12345", "12345", "45"} <= lexemes
    assert "兴和县" in lexemes  # a word rjieba cuts
    assert "5" not in lexemes and "兴和县售烟点" not in lexemes
    assert query("兴和 走私").match == "'兴和' & '走私'"
    assert query("蒙J123").match == "'蒙' & 'j123':*"
    assert query("售").match == "'售'"
    assert query("-2024-0").match == "'2024':*"  # the lone 0 is left to the ILIKE check
    assert query("% _ x").match is None
    assert query("批发市场").rank == "('批发' & '发市' & '市场') | '批发市场'"
    with pytest.raises(ValueError):
        document(("x", "E"))


def test_a_database_from_before_the_tokens_upgrades_with_init_and_rebuild(store: Store) -> None:
    """`jointcase db init` adds the column and its index to views made before them, and
    `jointcase projections rebuild case_search lead_register` fills them."""
    case_id = _open(store, "150924", datetime(2025, 7, 1, tzinfo=UTC), "兴和售烟点案", "走私")
    store.runner().catch_up()
    view = store.views.case_search
    with view.datastore.transaction(commit=True) as curs:
        for table in ("case_search", "lead_register"):
            curs.execute(f"ALTER TABLE {table} DROP COLUMN search_vec")
        curs.execute("DROP TABLE case_text, lead_text")
    app, _ = init_database(store.settings)  # what `jointcase db init` runs
    app.close()
    indexes = {r["indexname"] for r in view.query("SELECT indexname FROM pg_indexes")}
    assert {"case_text_match", "lead_text_match"} <= indexes
    assert view.search(visible_to=ALL, text="售烟") == (0, [])  # not yet rebuilt: not found
    listed = view.search(visible_to="150924")  # but listed, from its rows without words
    assert [r["case_id"] for r in listed[1]] == [case_id] and listed[0] == 1
    chosen = store.views.named(["case_search", "lead_register"])
    for v in chosen:  # what `jointcase projections rebuild case_search lead_register` runs
        v.reset()
    BatchRunner(store.app, chosen).catch_up()
    assert [r["case_id"] for r in view.search(visible_to=ALL, text="售烟")[1]] == [case_id]


def test_a_database_from_before_the_search_tables_gets_them_filled_by_init(store: Store) -> None:
    """A database whose views hold the words but not yet the search tables per reader: `jointcase
    db init` makes the tables from the views' own rows, so search works at once, for exactly the
    counties that see each record, and the worker keeps them up to date from there."""
    at = datetime(2025, 7, 1, tzinfo=UTC)
    case_id = _open(store, "150924", at, "兴和售烟点案", "走私")
    lead = _register(store, "150924", at, "兴和县售烟点")
    store.runner().catch_up()
    cases, leads = store.views.case_search, store.views.leads
    before = cases.query("SELECT case_id, reader FROM case_text ORDER BY 1, 2")
    with cases.datastore.transaction(commit=True) as curs:
        curs.execute("DROP TABLE case_text, lead_text")
    app, _ = init_database(store.settings)  # what `jointcase db init` runs
    app.close()
    assert cases.query("SELECT case_id, reader FROM case_text ORDER BY 1, 2") == before
    assert [r["case_id"] for r in cases.search(visible_to="150924", text="售烟")[1]] == [case_id]
    assert cases.search(visible_to="140221", text="售烟") == (0, [])
    assert [r["lead_id"] for r in leads.search(visible_to="150924", text="售烟")[1]] == [lead.id]
    assert [r["lead_id"] for r in leads.search(visible_to=ALL, text="售烟")[1]] == [lead.id]
    assert leads.search(visible_to="140221", text="售烟") == (0, [])
    lead.share(["140221"], "通报", ctx("150924", at + timedelta(hours=1)))  # and from there on
    store.app.save(lead)
    store.runner().catch_up()
    assert [r["lead_id"] for r in leads.search(visible_to="140221", text="售烟")[1]] == [lead.id]


def test_a_database_from_before_whole_case_readers_gets_them_folded_by_init(store: Store) -> None:
    """A case search built before the rows kept the counties that see each case whole: `jointcase
    db init` folds them (as the worker does), so a county reads the survivor of its merged case
    whole at once, and the county that only assists reads it as before."""
    at = datetime.now(UTC)
    app = store.app
    survivor = app.open_case(ctx("140221", at), case_type="counterfeit", title="合并批发点案")
    absorbed = app.open_case(ctx("150924", at), case_type="counterfeit", title="合并零售点案")
    app.request_assistance(survivor.id, "150924", "同一上家", ctx("140221", at))
    app.request_assistance(survivor.id, "130725", "协查", ctx("140221", at))
    for county in ("150924", "140221"):
        app.merge_cases(absorbed.id, survivor.id, "同一上家", ctx(county, at))
    store.runner().catch_up()
    view = store.views.case_search
    folded = "SELECT case_id, readers, full_readers FROM case_search ORDER BY case_id"
    before = view.query(folded)
    assert {r["case_id"]: r["full_readers"] for r in before}[survivor.id] == ["140221", "150924"]
    with view.datastore.transaction(commit=True) as curs:
        curs.execute("ALTER TABLE case_search DROP COLUMN full_readers")
    init, _ = init_database(store.settings)  # what `jointcase db init` runs
    init.close()
    assert view.query(folded) == before
    number = app.get_case(survivor.id).number
    seen = {
        county: [r["access"] for r in view.search(visible_to=county, text=number)[1]]
        for county in ("140221", "150924", "130725")
    }
    assert seen == {"140221": ["full"], "150924": ["full"], "130725": ["summary"]}


def test_exact_terms_are_one_or_two_chinese_characters_or_an_ascii_code() -> None:
    """Only these skip the ILIKE check; anything else the index may over-match."""
    for term in ("售", "售烟", "j1", "sf123456789012", "a" * MAX_LEXEME, "2024"):
        assert exact(term), term
    for term in ("兴和县", "蒙j1", "j", "zh-84", "-2024-", "a" * (MAX_LEXEME + 1), "é1", "%", "_"):
        assert not exact(term), term
    assert query("兴和 蒙J1 SF12").checked == ("蒙j1",)
    assert query("兴和县 售烟").checked == ("兴和县",)


#: Texts of a few Chinese characters, ASCII letters of both cases, digits and separators, so
#: that terms drawn from them often occur, and alphanumeric runs grow past MAX_LEXEME.
_HAN = "兴和售烟走私"
_ASCII = "aJk19"
_TEXT = st.text(alphabet=_HAN + _ASCII + " -、_%", max_size=120)


@st.composite
def _text_and_terms(draw: Any) -> tuple[str, list[str]]:
    """A text, and exact terms: pieces of the text and made-up ones."""
    text = draw(_TEXT)
    terms = draw(
        st.lists(
            st.one_of(
                st.text(_HAN, min_size=1, max_size=2), st.text(_ASCII, min_size=2, max_size=40)
            ),
            max_size=4,
        )
    )
    for _ in range(draw(st.integers(0, 6))):
        if text:
            start = draw(st.integers(0, len(text) - 1))
            terms.append(text[start : start + draw(st.integers(1, MAX_LEXEME + 2))])
    return text, [t for t in terms if exact(t.lower())]


@pytest.fixture(scope="module")
def pg() -> Iterator[psycopg.Connection[Any]]:
    """A connection to an empty database: the tokens are checked by PostgreSQL itself."""
    with scratch_database("jointcase_tokens") as scratch:
        assert scratch.database_url
        with psycopg.connect(scratch.database_url) as conn:
            yield conn


@settings(derandomize=True, database=None, deadline=None, max_examples=400)
@for_all(_text_and_terms())
def test_an_exact_term_finds_exactly_what_a_substring_scan_finds(
    pg: psycopg.Connection[Any], text_and_terms: tuple[str, list[str]]
) -> None:
    """For an ``exact`` term, the ``tsquery`` against the stored tokens answers what ``ILIKE``
    and Python's substring test answer, so the views may skip the ILIKE check."""
    text, terms = text_and_terms
    stored = document((text, "A"))
    for term in terms:
        found = query(term)
        assert found.checked == () and found.match is not None
        row = pg.execute(
            "SELECT %s::tsvector @@ %s::tsquery, %s ILIKE %s",
            (stored, found.match, text, like_patterns([term.lower()])[0]),
        ).fetchone()
        assert row is not None
        assert row[0] == row[1] == (term.lower() in text.lower()), (text, term)


def test_past_the_match_cap_the_count_says_more_and_paging_reaches_every_match(
    store: Store, corpus: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Beyond MATCH_CAP a free-text search counts the cap plus one and lists the newest
    first; every match is still on some page, once; at or below the cap, exact and ranked."""
    monkeypatch.setattr(search_text, "MATCH_CAP", 7)
    for walk, view, text, key in (
        (search_text.WALK_ROWS, store.views.case_search, case_text, "case_id"),
        (search_text.WALK_ROWS, store.views.leads, lead_text, "lead_id"),
        # A walk of the newest rows that ends before the page is full: every match sorted.
        (3, store.views.case_search, case_text, "case_id"),
        (3, store.views.leads, lead_text, "lead_id"),
    ):
        monkeypatch.setattr(search_text, "WALK_ROWS", walk)
        everything = view.search(visible_to=ALL, limit=10_000)[1]
        for q in ("走私", "兴和", "中华", "售烟 案", "号", "蒙j", "芙蓉王案"):
            expected = substring_scan(everything, text, q, key)
            total, first = view.search(visible_to=ALL, text=q, limit=5)
            assert total == min(len(expected), 8), (q, total, len(expected))
            paged: list[Any] = []
            for offset in range(0, len(expected) + 5, 5):
                counted, rows = view.search(visible_to=ALL, text=q, limit=5, offset=offset)
                assert counted == total
                paged += [r[key] for r in rows]
            assert sorted(paged, key=str) == sorted(expected, key=str), q
            if len(expected) > 7:  # the newest first, in the order of the list without text
                newest_first = [r[key] for r in everything if r[key] in expected]
                assert [r[key] for r in first] == newest_first[:5], (q, walk)
                assert [
                    r[key] for r in view.search(visible_to=ALL, text=q, limit=5, offset=5)[1]
                ] == newest_first[5:10], (q, walk)


def test_compacting_keeps_every_row_and_frees_the_pages_of_old_versions(
    store: Store, corpus: dict[str, Any]
) -> None:
    """What a rebuild does at its end (``finish_rebuild``): the rows updated batch after batch
    leave their old versions behind, which a search would read past."""
    views = (store.views.case_search, store.views.leads)

    def pages(table: str) -> int:
        row = views[0].query("SELECT pg_relation_size(%s::regclass) / 8192 AS n", (table,))[0]
        return int(row["n"])

    with views[0].datastore.transaction(commit=True) as curs:
        for _ in range(6):
            curs.execute("UPDATE case_search SET version = version")
            curs.execute("UPDATE lead_register SET version = version")
    bloated = {table: pages(table) for table in ("case_search", "lead_register")}
    found = [v.search(visible_to=ALL, text="走私", limit=10_000) for v in views]
    for _ in range(20):  # versions a running transaction (an autoanalyze) may see are kept
        for view in views:
            view.finish_rebuild(store.app.name)
        if all(pages(table) * 3 < before for table, before in bloated.items()):
            break
        time.sleep(0.5)
    assert {table: pages(table) * 3 < before for table, before in bloated.items()} == {
        "case_search": True,
        "lead_register": True,
    }
    assert [v.search(visible_to=ALL, text="走私", limit=10_000) for v in views] == found


def test_a_search_reading_plans_each_statement_for_its_values_and_leaves_the_connection_as_it_was(
    store: Store,
) -> None:
    """A read of a search table plans without whole-table scans, and every reading plans each
    run of its (prepared) statements for the run's own values; the settings end with the
    statement, and the pooled connection is left as it was for whatever uses it next."""
    view = store.views.leads
    setting = (
        "SELECT current_setting('enable_seqscan') AS seq,"
        " current_setting('plan_cache_mode') AS plans"
    )
    custom = {"seq": "off", "plans": "force_custom_plan"}
    as_was = [{"seq": "on", "plans": "auto"}]
    with view.reading(matches=True) as read:
        for _ in range(7):  # past psycopg's threshold for preparing, and PostgreSQL's (5)
            assert read.rows(setting, {}) == [custom]
        assert read.conn.execute(setting).fetchall() == as_was
        with pytest.raises(psycopg.errors.DivisionByZero):
            read.rows("SELECT 1 / 0", {})
        assert read.conn.execute(setting).fetchall() == as_was
        # Statements sent together: each one's rows, the settings for all of them.
        assert read.together([setting, "SELECT 2 AS n", setting], {}) == [
            [custom],
            [{"n": 2}],
            [custom],
        ]
        with pytest.raises(psycopg.errors.DivisionByZero):
            read.together(["SELECT 1 AS n", "SELECT 1 / 0"], {})
        assert read.conn.execute(setting).fetchall() == as_was
    with view.reading() as read:
        assert read.rows(setting, {}) == [{**custom, "seq": "on"}]
        assert read.conn.execute(setting).fetchall() == as_was
