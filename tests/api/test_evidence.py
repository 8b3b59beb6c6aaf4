"""Evidence files on leads and cases over HTTP, with the content in PostgreSQL (the default):
upload and download round trip, the type told by the content, the size limit, bad forms,
deduplication, the hash checked on download, removal, visibility (merged cases included) and
the names in Content-Disposition."""

from __future__ import annotations

import dataclasses
import re
import uuid
from collections.abc import Iterator
from urllib.parse import quote, unquote

import pytest

from tests.api.authz import (
    NEIGHBOUR,
    OWN,
    UNRELATED,
    case_joined,
    case_merged_across,
    lead_referred,
    new_case,
    new_lead,
    ok,
    record_version,
)
from tests.api.conftest import Api
from tests.api.evidence_files import ZIP_HEAD, jpeg, pdf, png, sha256, upload


def blob_rows(api: Api, digest: str) -> tuple[int, int]:
    """(blob rows, chunk rows) stored for a hash."""
    with api.services.officers.pool.connection() as conn:
        blobs = conn.execute(
            "SELECT count(*) FROM jointcase_evidence_blobs WHERE sha256 = %s", (digest,)
        ).fetchone()
        chunks = conn.execute(
            "SELECT count(*) FROM jointcase_evidence_chunks WHERE sha256 = %s", (digest,)
        ).fetchone()
    assert blobs is not None and chunks is not None
    return blobs[0], chunks[0]


@pytest.fixture
def small_limit(api: Api) -> Iterator[int]:
    app = api.services.app
    policy = app.evidence_policy
    app.evidence_policy = dataclasses.replace(policy, max_bytes=10_000)
    yield 10_000
    app.evidence_policy = policy


def test_a_photo_attached_to_a_case_downloads_byte_for_byte_with_its_recorded_hash(api: Api):
    case = new_case(api)
    content = jpeg(3 * 1024 * 1024 + 17)  # more than one stored chunk
    digest = sha256(content)
    response = upload(api, "officer", OWN, f"/v1/cases/{case}/files", content, description="仓库")
    body = ok(response, 201)
    assert body["file"] | {"added_at": None} == {
        "sha256": digest,
        "size": len(content),
        "media_type": "image/jpeg",
        "name": "现场照片.jpg",
        "description": "仓库",
        "county": OWN,
        "officer_id": body["file"]["officer_id"],
        "added_at": None,
        "removed_at": None,
        "removed_by": None,
        "removal_reason": None,
        "record_id": case,
        "case_number": None,
        "download": f"/v1/cases/{case}/files/{digest}",
    }
    assert body["file"]["added_at"].endswith("Z")
    assert response.headers["location"] == f"/v1/cases/{case}/files/{digest}"
    assert response.headers["etag"] == f'"{body["version"]}"'

    listed = ok(api.get("officer", OWN, f"/v1/cases/{case}/files"))
    (file,) = listed["files"]
    assert file["sha256"] == digest and file["size"] == len(content)
    assert file["county"] == OWN and file["description"] == "仓库"
    assert file["removed_at"] is None and file["record_id"] == case
    assert file["download"] == f"/v1/cases/{case}/files/{digest}"

    got = api.client.get(file["download"], headers=api.auth("officer", OWN))
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"] == "image/jpeg"
    assert got.headers["content-length"] == str(len(content))
    assert got.headers["x-content-sha256"] == digest
    assert got.headers["x-content-type-options"] == "nosniff"

    # the case read model and the log: the event records hash, size, type, name and who
    assert ok(api.get("officer", OWN, f"/v1/cases/{case}"))["files"][0]["sha256"] == digest
    history = ok(api.get("officer", OWN, f"/v1/cases/{case}/history"))["events"]
    (attached,) = [e for e in history if e["type"] == "Case.EvidenceAttached"]
    assert attached["data"]["sha256"] == digest and attached["data"]["size"] == len(content)
    assert attached["data"]["media_type"] == "image/jpeg"
    assert attached["data"]["name"] == "现场照片.jpg"
    assert attached["actor"]["county"] == OWN
    assert blob_rows(api, digest) == (1, 4)


def test_a_scan_attached_to_a_lead_is_listed_and_downloaded(api: Api):
    lead = new_lead(api)
    content = pdf()
    ok(upload(api, "officer", OWN, f"/v1/leads/{lead}/files", content, "移交函.pdf"), 201)
    (file,) = ok(api.get("officer", OWN, f"/v1/leads/{lead}/files"))["files"]
    assert file["media_type"] == "application/pdf" and file["name"] == "移交函.pdf"
    assert ok(api.get("officer", OWN, f"/v1/leads/{lead}"))["files"][0]["sha256"] == sha256(content)
    got = api.client.get(
        f"/v1/leads/{lead}/files/{sha256(content)}", headers=api.auth("officer", OWN)
    )
    assert got.status_code == 200 and got.content == content


def test_the_type_is_told_by_the_content_not_by_the_name_or_the_declared_type(api: Api):
    case = new_case(api)
    content = pdf()
    body = ok(
        upload(api, "officer", OWN, f"/v1/cases/{case}/files", content, "photo.jpg", "image/jpeg"),
        201,
    )
    assert body["file"]["media_type"] == "application/pdf"
    got = api.client.get(
        f"/v1/cases/{case}/files/{sha256(content)}", headers=api.auth("officer", OWN)
    )
    assert got.headers["content-type"] == "application/pdf"
    before = record_version(api, "case", case)
    for name, data in (
        ("scan.pdf", b"just some text, not a PDF at all\n" * 10),
        ("scan.jpg", ZIP_HEAD + b"\x00" * 200),
    ):
        refused = upload(api, "officer", OWN, f"/v1/cases/{case}/files", data, name, "image/jpeg")
        assert refused.status_code == 415, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["rule"] == "evidence-type-not-allowed"
        assert blob_rows(api, sha256(data)) == (0, 0)
    assert record_version(api, "case", case) == before


def test_a_file_over_the_size_limit_is_refused_and_nothing_is_recorded(api: Api, small_limit: int):
    case = new_case(api)
    before = record_version(api, "case", case)
    content = jpeg(small_limit + 1)
    refused = upload(api, "officer", OWN, f"/v1/cases/{case}/files", content)
    assert refused.status_code == 413, refused.text
    assert refused.json()["rule"] == "evidence-too-large"
    assert record_version(api, "case", case) == before
    assert blob_rows(api, sha256(content)) == (0, 0)
    # far too large by its Content-Length: refused before the body is read
    huge = api.client.post(
        f"/v1/cases/{case}/files",
        content=b"--x\r\n" + b"a" * (small_limit + 100_000),
        headers=api.auth("officer", OWN, **{"Content-Type": "multipart/form-data; boundary=x"}),
    )
    assert huge.status_code == 413
    # exactly at the limit is accepted
    assert ok(upload(api, "officer", OWN, f"/v1/cases/{case}/files", jpeg(small_limit)), 201)


def test_bad_forms_are_refused_with_a_problem_and_record_nothing(api: Api):
    case = new_case(api)
    path = f"/v1/cases/{case}/files"
    before = record_version(api, "case", case)
    auth = api.auth("officer", OWN)
    empty = upload(api, "officer", OWN, path, b"")
    assert (empty.status_code, empty.json()["rule"]) == (422, "evidence-empty")
    no_file = api.client.post(path, files={"description": (None, "only words")}, headers=auth)
    assert no_file.status_code == 422 and "no 'file' part" in no_file.json()["detail"]
    unknown = api.client.post(
        path, files={"file": ("a.jpg", jpeg()), "extra": (None, "x")}, headers=auth
    )
    assert unknown.status_code == 422 and "unknown form field" in unknown.json()["detail"]
    as_json = api.client.post(path, json={"file": "aGVsbG8="}, headers=auth)
    assert (as_json.status_code, as_json.json()["rule"]) == (415, "unsupported-media-type")
    truncated = api.client.post(
        path,
        content=b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.jpg"\r\n\r\n'
        + jpeg()[:100],
        headers={**auth, "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert truncated.status_code == 422, truncated.text
    for response in (empty, no_file, unknown, as_json, truncated):
        assert response.headers["content-type"].startswith("application/problem+json")
    assert record_version(api, "case", case) == before


def test_identical_content_is_stored_once_and_attached_once_per_record(api: Api):
    content = png()
    first, second = new_case(api), new_case(api)
    ok(upload(api, "officer", OWN, f"/v1/cases/{first}/files", content, "a.png"), 201)
    ok(upload(api, "officer", OWN, f"/v1/cases/{second}/files", content, "b.png"), 201)
    assert blob_rows(api, sha256(content)) == (1, 1)
    again = upload(api, "officer", OWN, f"/v1/cases/{first}/files", content, "c.png")
    assert (again.status_code, again.json()["rule"]) == (409, "evidence-already-attached")


def test_a_retried_upload_with_the_same_idempotency_key_records_once(api: Api):
    case = new_case(api)
    content = jpeg()
    key = str(uuid.uuid4())
    first = upload(
        api, "officer", OWN, f"/v1/cases/{case}/files", content, **{"Idempotency-Key": key}
    )
    again = upload(
        api, "officer", OWN, f"/v1/cases/{case}/files", content, **{"Idempotency-Key": key}
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true" and again.json() == first.json()
    assert len(ok(api.get("officer", OWN, f"/v1/cases/{case}/files"))["files"]) == 1


def test_stored_content_that_no_longer_matches_its_hash_is_never_served(api: Api):
    case = new_case(api)
    content = jpeg(2 * 1024 * 1024 + 5)
    digest = sha256(content)
    ok(upload(api, "officer", OWN, f"/v1/cases/{case}/files", content), 201)
    with api.services.officers.pool.connection() as conn:
        conn.execute(
            "UPDATE jointcase_evidence_chunks SET data = overlay(data placing '\\x00'::bytea"
            " from 100) WHERE sha256 = %s AND seq = 1",
            (digest,),
        )
    got = api.client.get(f"/v1/cases/{case}/files/{digest}", headers=api.auth("officer", OWN))
    assert got.status_code == 500
    assert got.headers["content-type"].startswith("application/problem+json")
    assert got.json()["rule"] == "evidence-corrupted"
    with api.services.officers.pool.connection() as conn:
        conn.execute(
            "DELETE FROM jointcase_evidence_chunks WHERE sha256 = %s AND seq = 2", (digest,)
        )
    got = api.client.get(f"/v1/cases/{case}/files/{digest}", headers=api.auth("auditor", OWN))
    assert got.status_code == 500 and got.json()["rule"] == "evidence-corrupted"


def test_a_removed_file_stays_listed_and_only_auditors_download_it(api: Api):
    case = new_case(api)
    content = jpeg()
    digest = sha256(content)
    ok(upload(api, "officer", OWN, f"/v1/cases/{case}/files", content), 201)
    path = f"/v1/cases/{case}/files/{digest}"
    no_reason = api.post("officer", OWN, f"{path}/removal", {"reason": " "})
    assert no_reason.status_code == 422
    ok(api.post("officer", OWN, f"{path}/removal", {"reason": "wrong case"}))
    (file,) = ok(api.get("officer", OWN, f"/v1/cases/{case}/files"))["files"]
    assert file["removed_at"] and file["removal_reason"] == "wrong case"
    assert api.client.get(path, headers=api.auth("officer", OWN)).status_code == 404
    audited = api.client.get(path, headers=api.auth("auditor", UNRELATED))
    assert audited.status_code == 200 and audited.content == content
    assert blob_rows(api, digest)[0] == 1  # the content stays
    again = api.post("officer", OWN, f"{path}/removal", {"reason": "twice"})
    assert again.status_code == 404
    # attached again after its removal
    ok(upload(api, "officer", OWN, f"/v1/cases/{case}/files", content), 201)
    assert api.client.get(path, headers=api.auth("officer", OWN)).status_code == 200


def test_an_outsider_gets_the_same_404_as_for_an_unknown_record(api: Api):
    case, lead = new_case(api), new_lead(api)
    content = jpeg()
    ok(upload(api, "officer", OWN, f"/v1/cases/{case}/files", content), 201)
    ok(upload(api, "officer", OWN, f"/v1/leads/{lead}/files", content), 201)
    unknown = str(uuid.uuid4())
    for kind, record in (("case", case), ("lead", lead)):
        base = f"/v1/{kind}s"
        for suffix in ("/files", f"/files/{sha256(content)}"):
            seen = api.get("officer", UNRELATED, f"{base}/{record}{suffix}")
            missing = api.get("officer", UNRELATED, f"{base}/{unknown}{suffix}")
            assert seen.status_code == missing.status_code == 404
            assert seen.json()["detail"] == f"no {kind} {record}"
            assert missing.json()["detail"] == f"no {kind} {unknown}"
        put = upload(api, "officer", UNRELATED, f"{base}/{record}/files", jpeg())
        assert put.status_code == 404 and put.json()["detail"] == f"no {kind} {record}"
    # a known record, an unknown file: 404 too
    other = api.get("officer", OWN, f"/v1/cases/{case}/files/{'0' * 64}")
    assert other.status_code == 404


def test_who_reads_and_who_adds_files_follows_the_record(api: Api):
    ids = case_joined(api)
    case = ids["case"]
    ok(upload(api, "officer", NEIGHBOUR, f"/v1/cases/{case}/files", jpeg()), 201)  # co-handler
    # the committee reads case summaries, not their files
    assert api.get("committee", UNRELATED, f"/v1/cases/{case}/files").status_code == 404
    assert len(ok(api.get("auditor", UNRELATED, f"/v1/cases/{case}/files"))["files"]) == 1
    refused = upload(api, "auditor", OWN, f"/v1/cases/{case}/files", jpeg())
    assert (refused.status_code, refused.json()["rule"]) == (403, "permission-denied")
    # a county offered a referral reads the lead's files but adds none until it accepts
    lead = lead_referred(api)["lead"]
    content = pdf()
    ok(upload(api, "officer", OWN, f"/v1/leads/{lead}/files", content), 201)
    assert len(ok(api.get("officer", NEIGHBOUR, f"/v1/leads/{lead}/files"))["files"]) == 1
    refused = upload(api, "officer", NEIGHBOUR, f"/v1/leads/{lead}/files", jpeg())
    assert (refused.status_code, refused.json()["rule"]) == (409, "not-evidence-contributor")
    assert api.get("committee", OWN, f"/v1/leads/{lead}/files").status_code == 404


def test_files_of_a_merged_case_are_read_through_the_survivor_while_the_merge_stands(api: Api):
    ids = case_merged_across(api)  # the owning county's case merged into the neighbour's
    absorbed, survivor = ids["case"], ids["survivor"]
    # the absorbed case is read-only: files go on the survivor
    content_survivor = jpeg()
    refused = upload(api, "officer", OWN, f"/v1/cases/{absorbed}/files", jpeg())
    assert (refused.status_code, refused.json()["rule"]) == (409, "case-is-merged")
    ok(upload(api, "officer", NEIGHBOUR, f"/v1/cases/{survivor}/files", content_survivor), 201)
    # a file attached before the merge
    ids2 = case_merged_across_with_file(api)
    absorbed, survivor, digest = ids2["case"], ids2["survivor"], ids2["sha256"]
    listed = ok(api.get("officer", NEIGHBOUR, f"/v1/cases/{survivor}/files"))["files"]
    (through,) = [f for f in listed if f["sha256"] == digest]
    assert through["record_id"] == absorbed and through["case_number"]
    got = api.client.get(through["download"], headers=api.auth("officer", NEIGHBOUR))
    assert got.status_code == 200 and sha256(got.content) == digest
    # the absorbed case's county reads the survivor's files while merged
    assert ok(api.get("officer", OWN, f"/v1/cases/{survivor}/files"))
    # after an un-merge the survivor's county no longer reads the released case's files
    ok(api.post("officer", OWN, f"/v1/cases/{absorbed}/unmerge", {"reason": "wrong"}))
    listed = ok(api.get("officer", NEIGHBOUR, f"/v1/cases/{survivor}/files"))["files"]
    assert digest not in {f["sha256"] for f in listed}
    assert (
        api.client.get(through["download"], headers=api.auth("officer", NEIGHBOUR)).status_code
        == 404
    )
    # the released case keeps its file for its own county
    own = ok(api.get("officer", OWN, f"/v1/cases/{absorbed}/files"))["files"]
    assert [f["sha256"] for f in own] == [digest]


def case_merged_across_with_file(api: Api) -> dict[str, str]:
    """The owning county attaches a file to its case, then the case is merged into the
    neighbour's case (both consent)."""
    from tests.api.authz import case_merge_proposed

    ids = case_merge_proposed(api)
    content = pdf()
    ok(upload(api, "officer", OWN, f"/v1/cases/{ids['case']}/files", content, "询问笔录.pdf"), 201)
    body = {"survivor_id": ids["survivor"], "reason": "same supplier"}
    assert ok(api.post("officer", NEIGHBOUR, f"/v1/cases/{ids['case']}/merge", body))["merged"]
    return {**ids, "sha256": sha256(content)}


@pytest.mark.parametrize(
    ("name", "recorded"),
    [
        ("../../etc/passwd.jpg", "passwd.jpg"),
        ('evil"\r\nX-Injected: 1.jpg', "evil_X-Injected_ 1.jpg"),
        ("C:\\Users\\李强\\现场 照片.jpg", "现场 照片.jpg"),
        ("\x00.jpg", "_.jpg"),
        ("", "evidence"),
    ],
)
def test_names_are_cleaned_when_recorded_and_safe_in_content_disposition(
    api: Api, name: str, recorded: str
):
    case = new_case(api)
    content = jpeg()
    # sent raw, with the name as RFC 5987 UTF-8 (a client library would escape it its own way)
    head = 'Content-Disposition: form-data; name="file"; ' + (
        f"filename*=UTF-8''{quote(name, safe='')}" if name else 'filename=""'
    )
    sent = api.client.post(
        f"/v1/cases/{case}/files",
        content=b"--b\r\n" + head.encode() + b"\r\n\r\n" + content + b"\r\n--b--\r\n",
        headers=api.auth("officer", OWN, **{"Content-Type": "multipart/form-data; boundary=b"}),
    )
    body = ok(sent, 201)
    assert body["file"]["name"] == recorded
    got = api.client.get(
        f"/v1/cases/{case}/files/{sha256(content)}", headers=api.auth("officer", OWN)
    )
    disposition = got.headers["content-disposition"]
    assert "\r" not in disposition and "\n" not in disposition and "x-injected" not in got.headers
    match = re.fullmatch(r'attachment; filename="([ -~]*)"; filename\*=UTF-8\'\'(\S+)', disposition)
    assert match is not None, disposition
    assert '"' not in match.group(1) and "\\" not in match.group(1)
    assert unquote(match.group(2)) == recorded
