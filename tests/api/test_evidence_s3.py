"""Evidence content in an S3-compatible store: a real S3 server (moto in server mode, started
here on a free loopback port) behind the same API. Also the export and import of a log whose
files live in S3, restored into a deployment that keeps them in PostgreSQL."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from api.app import build_services, close_services, create_app
from api.deps import Services
from jointcase.evidence_store import PostgresContent
from jointcase.settings import Settings
from jointcase.storage import init_database, open_pool, resolve_database
from tests.api.evidence_files import jpeg, pdf, sha256
from tests.pg import scratch_database, settings_env

OWN, UNRELATED = "150924", "130708"
BUCKET = "jointcase-evidence-test"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A moto S3 server on loopback, for this module only."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("the moto S3 server did not start") from None
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def s3_settings(settings: Settings, endpoint: str) -> Settings:
    settings.evidence_store = "s3"
    settings.s3_endpoint_url = endpoint
    settings.s3_bucket = BUCKET
    settings.s3_access_key_id = "testing"
    settings.s3_secret_access_key = SecretStr("testing")
    settings.token_pepper = SecretStr("s3-tests-pepper-0123456789abcdef0123456789")
    return settings


@dataclass
class S3Api:
    client: TestClient
    services: Services
    settings: Settings
    s3: Any
    tokens: dict[str, str]

    def auth(self, county: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[county]}"}

    def new_case(self, county: str = OWN) -> str:
        body = {"case_type": "counterfeit", "title": "G6 network"}
        response = self.client.post("/v1/cases", json=body, headers=self.auth(county))
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def attach(self, case: str, content: bytes, name: str = "现场照片.jpg") -> Any:
        return self.client.post(
            f"/v1/cases/{case}/files",
            files={"file": (name, content, "application/octet-stream")},
            headers=self.auth(OWN),
        )

    def object_keys(self) -> list[str]:
        listed = self.s3.list_objects_v2(Bucket=BUCKET)
        return [o["Key"] for o in listed.get("Contents", [])]


@pytest.fixture(scope="module")
def s3api(s3_endpoint: str) -> Iterator[S3Api]:
    with scratch_database("jointcase_s3") as base:
        settings = s3_settings(base, s3_endpoint)
        app, _ = init_database(settings)  # also makes the bucket
        app.close()
        services = build_services(settings, run_projections=True)
        s3 = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        try:
            tokens = {
                county: services.officers.add(county, "officer", f"officer of {county}")[1]
                for county in (OWN, UNRELATED)
            }
            client = TestClient(create_app(services=services), raise_server_exceptions=False)
            yield S3Api(client, services, settings, s3, tokens)
        finally:
            s3.close()
            close_services(services)


def test_a_file_kept_in_s3_downloads_byte_for_byte_and_nothing_goes_to_postgresql(s3api: S3Api):
    case = s3api.new_case()
    content = jpeg(9 * 1024 * 1024 + 3)  # a multipart transfer to S3
    digest = sha256(content)
    created = s3api.attach(case, content)
    assert created.status_code == 201, created.text
    assert created.json()["file"]["sha256"] == digest
    assert f"evidence/{digest}" in s3api.object_keys()
    got = s3api.client.get(f"/v1/cases/{case}/files/{digest}", headers=s3api.auth(OWN))
    assert got.status_code == 200 and got.content == content
    assert got.headers["content-type"] == "image/jpeg"
    with psycopg.connect(resolve_database(s3api.settings).conninfo()) as conn:
        row = conn.execute("SELECT count(*) FROM jointcase_evidence_blobs").fetchone()
    assert row is not None and row[0] == 0
    outsider = s3api.client.get(f"/v1/cases/{case}/files/{digest}", headers=s3api.auth(UNRELATED))
    assert outsider.status_code == 404


def test_identical_content_is_one_object(s3api: S3Api):
    content = pdf()
    for case in (s3api.new_case(), s3api.new_case()):
        assert s3api.attach(case, content, "移交函.pdf").status_code == 201
    assert s3api.object_keys().count(f"evidence/{sha256(content)}") == 1


def test_an_object_changed_in_the_bucket_is_never_served(s3api: S3Api):
    case = s3api.new_case()
    content = jpeg()
    digest = sha256(content)
    assert s3api.attach(case, content).status_code == 201
    tampered = content[:-10] + b"\x00" * 10
    s3api.s3.put_object(Bucket=BUCKET, Key=f"evidence/{digest}", Body=tampered)
    got = s3api.client.get(f"/v1/cases/{case}/files/{digest}", headers=s3api.auth(OWN))
    assert got.status_code == 500 and got.json()["rule"] == "evidence-corrupted"
    s3api.s3.delete_object(Bucket=BUCKET, Key=f"evidence/{digest}")
    got = s3api.client.get(f"/v1/cases/{case}/files/{digest}", headers=s3api.auth(OWN))
    assert got.status_code == 500 and got.json()["rule"] == "evidence-corrupted"
    s3api.s3.put_object(Bucket=BUCKET, Key=f"evidence/{digest}", Body=content)  # repaired
    got = s3api.client.get(f"/v1/cases/{case}/files/{digest}", headers=s3api.auth(OWN))
    assert got.status_code == 200 and got.content == content


def test_an_export_carries_the_files_and_an_import_checks_them(s3api: S3Api, tmp_path):
    case = s3api.new_case()
    photo, scan = jpeg(1_300_000), pdf(700)
    for content in (photo, scan):
        assert s3api.attach(case, content).status_code == 201
    # a file attached then removed is still carried (the log names it)
    s3api.client.post(
        f"/v1/cases/{case}/files/{sha256(scan)}/removal",
        json={"reason": "duplicate scan"},
        headers=s3api.auth(OWN),
    )
    dump = tmp_path / "events.jsonl"
    run = [sys.executable, "-m", "jointcase"]
    source_env = settings_env(s3api.settings)
    source_env.update(
        JOINTCASE_EVIDENCE_STORE="s3",
        JOINTCASE_S3_ENDPOINT_URL=str(s3api.settings.s3_endpoint_url),
        JOINTCASE_S3_BUCKET=BUCKET,
        JOINTCASE_S3_ACCESS_KEY_ID="testing",
        JOINTCASE_S3_SECRET_ACCESS_KEY="testing",
    )
    exported = subprocess.run(
        [*run, "export", "-o", str(dump)],
        env=source_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stderr
    assert "evidence files" in exported.stdout
    lines = dump.read_bytes().splitlines()
    files = [json.loads(line) for line in lines[1:] if b'"file"' in line[:10]]
    assert {f["file"] for f in files} >= {sha256(photo), sha256(scan)}

    with scratch_database("jointcase_s3_restore") as target:
        env = settings_env(target)  # the restored deployment keeps files in PostgreSQL
        env["JOINTCASE_INFORMANT_KEY"] = s3api.settings.informant_key.get_secret_value()  # type: ignore[union-attr]
        env["JOINTCASE_CHAIN_KEY"] = s3api.settings.chain_key.get_secret_value()  # type: ignore[union-attr]
        imported = subprocess.run(
            [*run, "import", str(dump)], env=env, capture_output=True, text=True, timeout=120
        )
        assert imported.returncode == 0, imported.stderr + imported.stdout
        assert "audit chain verified" in imported.stdout
        db = resolve_database(target)
        content_store = PostgresContent(open_pool(db))
        try:
            for content in (photo, scan):
                assert b"".join(content_store.read(sha256(content))) == content
        finally:
            content_store.close()

    # a file whose bytes were changed in the export is refused, and nothing is imported
    with (tmp_path / "tampered.jsonl").open("wb") as out:
        changed = False
        for line in lines:
            record = json.loads(line)
            if record.get("file") == sha256(photo) and not changed:
                record["chunk"] = record["chunk"][:-8] + "AAAAAAA="
                changed = True
                out.write(json.dumps(record).encode() + b"\n")
            else:
                out.write(line + b"\n")
    assert changed
    with scratch_database("jointcase_s3_tampered") as target:
        env = settings_env(target)
        env["JOINTCASE_INFORMANT_KEY"] = s3api.settings.informant_key.get_secret_value()  # type: ignore[union-attr]
        env["JOINTCASE_CHAIN_KEY"] = s3api.settings.chain_key.get_secret_value()  # type: ignore[union-attr]
        refused = subprocess.run(
            [*run, "import", str(tmp_path / "tampered.jsonl")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert refused.returncode == 1, refused.stdout
        assert f"file {sha256(photo)} does not match its hash" in refused.stderr
        with psycopg.connect(resolve_database(target).conninfo()) as conn:
            row = conn.execute("SELECT count(*) FROM jointcase_events").fetchone()
        assert row is not None and row[0] == 0
