"""Where evidence files' content lives, addressed by SHA-256: PostgreSQL by default (a table of
blobs keyed by hash, their content in chunks of ``CHUNK`` bytes), or an S3-compatible store when
``JOINTCASE_EVIDENCE_STORE=s3``. Identical content is stored once. Neither store trusts itself:
the use cases hash what they read back (``service/evidence.py``)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import IO, Any

from psycopg import sql
from psycopg_pool import ConnectionPool

from jointcase.settings import Settings

log = logging.getLogger("jointcase.evidence")

#: Bytes per stored chunk (PostgreSQL) and per read (both stores).
CHUNK = 1024 * 1024

DDL = (
    """CREATE TABLE IF NOT EXISTS jointcase_evidence_blobs (
    sha256 text PRIMARY KEY,
    size bigint NOT NULL,
    chunks integer NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
)""",
    """CREATE TABLE IF NOT EXISTS jointcase_evidence_chunks (
    sha256 text NOT NULL,
    seq integer NOT NULL,
    data bytea NOT NULL,
    PRIMARY KEY (sha256, seq)
)""",
)


class PostgresContent:
    """Content in PostgreSQL: a blob row (written last, in the same transaction as its chunks,
    so a blob that exists is whole) and its chunks in order."""

    kind = "postgres"

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool  # its connections' search_path names the schema, as for the officers
        self._blobs = sql.Identifier("jointcase_evidence_blobs")
        self._chunks = sql.Identifier("jointcase_evidence_chunks")

    def create_tables(self) -> None:
        with self.pool.connection() as conn:
            for statement in DDL:
                conn.execute(statement)

    def has(self, sha256: str) -> bool:
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT 1 FROM {0} WHERE sha256 = %s").format(self._blobs), (sha256,)
            ).fetchone()
        return row is not None

    def put(self, sha256: str, size: int, source: IO[bytes]) -> None:
        """Stores the content read from ``source`` (already hashed by the caller) unless a blob
        with this hash is stored; two uploads of the same content at once store it once."""
        if self.has(sha256):
            return
        with self.pool.connection() as conn, conn.transaction():
            # Serialise writers of the same hash, so the second one finds the first's blob.
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (sha256,))
            found = conn.execute(
                sql.SQL("SELECT 1 FROM {0} WHERE sha256 = %s").format(self._blobs), (sha256,)
            ).fetchone()
            if found is not None:
                return
            conn.execute(
                sql.SQL("DELETE FROM {0} WHERE sha256 = %s").format(self._chunks), (sha256,)
            )
            seq = 0
            insert = sql.SQL("INSERT INTO {0} (sha256, seq, data) VALUES (%s, %s, %s)").format(
                self._chunks
            )
            while chunk := source.read(CHUNK):
                conn.execute(insert, (sha256, seq, chunk))
                seq += 1
            conn.execute(
                sql.SQL("INSERT INTO {0} (sha256, size, chunks) VALUES (%s, %s, %s)").format(
                    self._blobs
                ),
                (sha256, size, seq),
            )

    def read(self, sha256: str) -> Iterator[bytes]:
        """The stored chunks in order, one at a time (never the whole file in memory)."""
        select = sql.SQL("SELECT data FROM {0} WHERE sha256 = %s AND seq = %s").format(self._chunks)
        with self.pool.connection() as conn:
            row = conn.execute(
                sql.SQL("SELECT chunks FROM {0} WHERE sha256 = %s").format(self._blobs), (sha256,)
            ).fetchone()
            count = int(row[0]) if row else 0
        for seq in range(count):
            with self.pool.connection() as conn:
                found = conn.execute(select, (sha256, seq)).fetchone()
            if found is None:
                return  # a chunk is missing: the caller's hash check says so
            yield bytes(found[0])

    def close(self) -> None:
        self.pool.close()


class S3Content:
    """Content in an S3-compatible bucket, one object per hash under ``prefix``; uploaded with
    the SDK's multipart transfer (streamed from the staged file), read back in ranges."""

    kind = "s3"

    def __init__(self, client: Any, bucket: str, prefix: str = "evidence/") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    def key(self, sha256: str) -> str:
        return f"{self.prefix}{sha256}"

    def create_tables(self) -> None:
        """Makes the bucket if it does not exist (and the credentials may)."""
        from botocore.exceptions import ClientError

        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError:
            self.client.create_bucket(Bucket=self.bucket)

    def has(self, sha256: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=self.key(sha256))
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def put(self, sha256: str, size: int, source: IO[bytes]) -> None:
        if self.has(sha256):
            return
        self.client.upload_fileobj(
            source,
            self.bucket,
            self.key(sha256),
            ExtraArgs={"Metadata": {"sha256": sha256}, "ContentType": "application/octet-stream"},
        )

    def read(self, sha256: str) -> Iterator[bytes]:
        from botocore.exceptions import ClientError

        try:
            body = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))["Body"]
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return
            raise
        try:
            yield from body.iter_chunks(CHUNK)
        finally:
            body.close()

    def close(self) -> None:
        self.client.close()


Content = PostgresContent | S3Content


def open_content(settings: Settings, pool_factory: Any) -> Content:
    """The store the settings name: ``pool_factory()`` gives the PostgreSQL pool when used."""
    if settings.evidence_store == "s3":
        import boto3
        from botocore.config import Config

        if not settings.s3_bucket:
            from jointcase.storage import ConfigurationError

            raise ConfigurationError("JOINTCASE_EVIDENCE_STORE=s3 needs JOINTCASE_S3_BUCKET")
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint_url or None,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key_id or None,
            aws_secret_access_key=(
                settings.s3_secret_access_key.get_secret_value()
                if settings.s3_secret_access_key
                else None
            ),
            config=Config(s3={"addressing_style": settings.s3_addressing_style}),
        )
        return S3Content(client, settings.s3_bucket, settings.s3_prefix)
    return PostgresContent(pool_factory())
