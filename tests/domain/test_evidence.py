"""Evidence files on leads and cases: who adds them, what the event records, removal, and the
deployment's policy (size and media types)."""

from __future__ import annotations

import pytest

from domain.case import Case
from domain.errors import (
    CaseClosed,
    CaseIsMerged,
    CoHandlerNotAccepted,
    EvidenceAlreadyAttached,
    EvidenceEmpty,
    EvidenceTooLarge,
    EvidenceTypeNotAllowed,
    InvalidInput,
    LeadClosed,
    NotCaseParticipant,
    NotEvidenceContributor,
    NotFound,
)
from domain.evidence import EvidencePolicy, clean_name
from domain.lead import Lead
from tests.domain.builders import (
    CASE,
    OTHER_CASE,
    a_case,
    a_lead,
    accepted,
    closed_case,
    closed_lead,
    merged,
    referred,
    with_co_handler,
)
from tests.domain.gwt import SHANGYI, XINGHE, YANGGAO, at, ctx, event, given

HASH = "a" * 64
OTHER_HASH = "b" * 64
POLICY = EvidencePolicy(max_bytes=1000, media_types=frozenset({"image/jpeg", "application/pdf"}))


def attach(county: str = XINGHE, sha256: str = HASH, size: int = 500, **overrides):
    details = {
        "sha256": sha256,
        "size": size,
        "media_type": "image/jpeg",
        "name": "现场照片.jpg",
        "description": " 仓库东侧 ",
        "policy": POLICY,
    }
    details.update(overrides)
    return lambda record: record.attach_evidence(ctx=ctx(county, at(days=1)), **details)


def with_file(record, county: str = XINGHE, sha256: str = HASH):
    attach(county, sha256)(record)
    return record


def test_the_lead_county_attaches_a_photo_and_the_event_records_hash_size_type_and_name():
    outcome = (
        given(a_case())
        .when(attach())
        .then(
            event(
                Case.EvidenceAttached,
                sha256=HASH,
                size=500,
                media_type="image/jpeg",
                name="现场照片.jpg",
                description="仓库东侧",
            )
        )
    )
    (file,) = outcome.aggregate.evidence_files()
    assert (file.county, file.officer_id, file.added_at) == (
        XINGHE,
        f"officer-{XINGHE}",
        at(days=1),
    )
    assert outcome.aggregate.public_state()["files"][0]["sha256"] == HASH


def test_a_joined_co_handler_attaches_files_but_an_invited_or_unrelated_county_does_not():
    given(with_co_handler(a_case(), YANGGAO)).when(attach(YANGGAO)).then(Case.EvidenceAttached)
    invited = with_co_handler(a_case(), YANGGAO, joined=False)
    given(invited).when(attach(YANGGAO)).then_refused(CoHandlerNotAccepted)
    given(a_case()).when(attach(SHANGYI)).then_refused(NotCaseParticipant)


def test_a_merged_or_closed_case_takes_no_files():
    absorbed, _ = merged(a_case(case_id=OTHER_CASE), a_case(case_id=CASE))
    given(absorbed).when(attach()).then_refused(CaseIsMerged)
    given(closed_case(a_case())).when(attach()).then_refused(CaseClosed)


def test_the_owner_and_the_responsible_county_attach_files_to_a_lead_but_not_one_only_offered_it():
    given(a_lead()).when(attach()).then(Lead.EvidenceAttached)
    given(accepted(referred(a_lead(), YANGGAO), YANGGAO)).when(attach(YANGGAO)).then(
        Lead.EvidenceAttached
    )
    given(referred(a_lead(), YANGGAO)).when(attach(YANGGAO)).then_refused(NotEvidenceContributor)
    given(closed_lead(a_lead())).when(attach()).then_refused(LeadClosed)


def test_the_same_content_is_attached_once_per_record_and_again_after_its_removal():
    given(with_file(a_case())).when(attach()).then_refused(EvidenceAlreadyAttached)
    given(with_file(a_case())).when(attach(sha256=OTHER_HASH)).then(Case.EvidenceAttached)
    case = with_file(a_case())
    case.remove_evidence(HASH, "wrong case", ctx(XINGHE, at(days=2)))
    given(case).when(attach()).then(Case.EvidenceAttached)


def test_removal_is_an_event_that_keeps_the_file_on_record():
    outcome = (
        given(with_file(a_case()))
        .when(lambda case: case.remove_evidence(HASH, " wrong case ", ctx(XINGHE, at(days=2))))
        .then(event(Case.EvidenceRemoved, sha256=HASH, reason="wrong case"))
    )
    (file,) = outcome.aggregate.evidence_files()
    assert file.removed_at == at(days=2) and not file.is_attached
    assert outcome.aggregate.attached_file(HASH) is None
    assert outcome.aggregate.recorded_file(HASH) is file
    given(with_file(a_case())).when(
        lambda case: case.remove_evidence(OTHER_HASH, "x", ctx(XINGHE))
    ).then_refused(NotFound)
    given(with_file(a_case())).when(
        lambda case: case.remove_evidence(HASH, "x", ctx(SHANGYI))
    ).then_refused(NotCaseParticipant)


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"size": 0}, EvidenceEmpty),
        ({"size": 1001}, EvidenceTooLarge),
        ({"media_type": "application/zip"}, EvidenceTypeNotAllowed),
        ({"sha256": "not-a-hash"}, InvalidInput),
        ({"sha256": "A" * 64}, InvalidInput),
    ],
)
def test_the_policy_refuses_empty_too_large_and_unlisted_types(overrides, error):
    given(a_case()).when(attach(**overrides)).then_refused(error)


def test_the_policy_tells_an_unrecognised_type_apart():
    with pytest.raises(EvidenceTypeNotAllowed, match="not of a recognised type"):
        POLICY.check_type(None)
    assert POLICY.check_type("application/pdf") == "application/pdf"


@pytest.mark.parametrize(
    ("given_name", "recorded"),
    [
        ("移交函.pdf", "移交函.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\scans\\a.pdf", "a.pdf"),
        ('a"b<c>|d?.pdf', "a_b_c_d_.pdf"),
        ("line\r\nbreak.jpg", "line_break.jpg"),
        ("  ..  ", "evidence"),
        ("x" * 500, "x" * 200),
        ("e\u0301.jpg", "\u00e9.jpg"),  # NFC
    ],
)
def test_names_are_recorded_clean(given_name, recorded):
    assert clean_name(given_name) == recorded
