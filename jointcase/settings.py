"""All configuration, read from the environment (and an optional `.env` file) by pydantic-settings.

Database: `DATABASE_URL`, or the `POSTGRES_*` variables; with neither, an embedded PostgreSQL runs in
`JOINTCASE_DATA_DIR`. Everything else is prefixed `JOINTCASE_`."""

from __future__ import annotations

import ipaddress
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.evidence import EvidencePolicy
from domain.policy import Deadlines, PoliceThresholds


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="JOINTCASE_", env_file=".env", extra="ignore", populate_by_name=True
    )

    # --- database ----------------------------------------------------------------------------------
    database_url: str | None = Field(
        default=None,
        repr=False,  # it may hold the password
        validation_alias=AliasChoices("DATABASE_URL", "JOINTCASE_DATABASE_URL"),
        description="postgresql://user:password@host:port/dbname of a PostgreSQL server.",
    )
    postgres_host: str | None = Field(default=None, validation_alias="POSTGRES_HOST")
    postgres_port: int = Field(default=5432, validation_alias="POSTGRES_PORT")
    postgres_user: str | None = Field(default=None, validation_alias="POSTGRES_USER")
    postgres_password: SecretStr = Field(
        default=SecretStr(""), validation_alias="POSTGRES_PASSWORD"
    )
    postgres_dbname: str | None = Field(
        default=None, validation_alias=AliasChoices("POSTGRES_DBNAME", "POSTGRES_DB")
    )
    postgres_schema: str = Field(
        default="", validation_alias="POSTGRES_SCHEMA", description="Schema for the tables."
    )
    pool_size: int = Field(default=5, ge=1, description="Connections kept per process.")
    max_overflow: int = Field(default=10, ge=0, description="Extra connections under load.")
    lock_timeout: int = Field(
        default=10, ge=1, description="Seconds a write waits for the event table lock."
    )
    data_dir: Path = Field(
        default=Path(".jointcase"),
        description="Folder of the embedded PostgreSQL and its generated informant key.",
    )

    # --- secrets ------------------------------------------------------------------------------------
    informant_key: SecretStr | None = Field(
        default=None,
        description="Base64 of 32 random bytes that seal informant identities. Required with a "
        "PostgreSQL server; the embedded default generates one in the data folder.",
    )

    chain_key: SecretStr | None = Field(
        default=None,
        description="Base64 of the 32-byte Ed25519 private key that signs the log's chain "
        "(`jointcase keys generate`). Required with a PostgreSQL server; the embedded default "
        "generates one in the data folder.",
    )

    token_pepper: SecretStr | None = Field(
        default=None,
        description="Secret mixed into the stored hashes of API tokens (any long random text). "
        "Required with a PostgreSQL server; the embedded default generates one.",
    )

    token_lifetime_days: int = Field(
        default=90, ge=1, description="Days an officer's API token is valid after it is issued."
    )
    token_cache_seconds: float = Field(
        default=60,
        ge=0,
        description="Seconds an API process may answer a token it has checked from memory "
        "(0: look every request's token up). Revoking or rotating a token still takes effect "
        "at once in every process: each is told, and the revocation waits until each confirms.",
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scraper sends to read /metrics; without one "
        "/metrics is not served (the metrics show each county's activity by route).",
    )

    # --- HTTP ---------------------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address `jointcase serve` listens on.")
    port: int = Field(default=8000, description="Port `jointcase serve` listens on.")
    workers: int = Field(default=1, ge=1, description="API worker processes of `jointcase serve`.")

    trusted_proxies: str = Field(
        default="",
        description="Addresses or networks (comma-separated, e.g. 172.30.70.10 or 10.0.0.0/8) of "
        "the reverse proxies in front of the API. Only a request whose direct peer is one of "
        "them has its client address taken from X-Forwarded-For (the rightmost hop that is not "
        "a trusted proxy) and its scheme from X-Forwarded-Proto. Empty (the default): trust "
        "none, the client is the direct peer.",
    )

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        for item in (i.strip() for i in value.split(",")):
            if not item:
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 172.30.70.10, 10.0.0.0/8)"
                ) from None
        return value

    def trusted_proxy_list(self) -> list[str]:
        return [i.strip() for i in self.trusted_proxies.split(",") if i.strip()]

    console_secure_cookies: bool = Field(
        default=False,
        description="Mark the console's cookies Secure even when the request does not show "
        "HTTPS (its scheme or X-Forwarded-Proto): set it behind a TLS proxy that sends neither.",
    )

    run_projections: bool | None = Field(
        default=None,
        description="Run the read models inside `jointcase serve` (default: yes on the embedded "
        "database, no with a server, where `jointcase worker` runs them).",
    )
    checkpoint_interval: int = Field(
        default=3600,
        ge=0,
        description="Seconds between the signed checkpoints `jointcase worker` issues (0: none).",
    )
    worker_page_size: int = Field(
        default=1000, ge=1, le=20000, description="Events a view applies per transaction."
    )
    wait_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Longest wait of a read with `wait_for=` (seconds)."
    )
    failover_wait: float = Field(
        default=15.0,
        ge=0,
        le=120,
        description="Seconds a write keeps trying while the database does not answer (a "
        "failover) before it answers 503 with Retry-After.",
    )
    read_from_standby: bool = Field(
        default=False,
        description="With a cluster address (several hosts), view reads go to a standby "
        "(target_session_attrs=prefer-standby); `wait_for=` still gives read-your-writes.",
    )
    worker_max_lag: int = Field(
        default=10_000,
        ge=0,
        description="Events a view may lag behind the log before `jointcase projections "
        "health` (the worker's health check) fails.",
    )

    # --- notifications ---------------------------------------------------------------------------
    notify_warn_hours: float = Field(
        default=24, ge=0, description="Hours before a deadline that its county is reminded."
    )
    notify_max_attempts: int = Field(
        default=8, ge=1, description="Attempts to deliver a notification before it is failed."
    )
    notify_retry_seconds: float = Field(
        default=30, gt=0, description="First wait before a failed delivery is retried (doubling)."
    )
    notify_timeout: float = Field(
        default=10, gt=0, le=120, description="Seconds a webhook or SMTP server has to answer."
    )
    notify_interval: float = Field(
        default=2, gt=0, le=300, description="Seconds between the notifier's passes."
    )
    smtp_host: str | None = Field(default=None, description="SMTP server for e-mail notices.")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_from: str = Field(default="jointcase@localhost", description="From: of e-mail notices.")
    smtp_username: str | None = None
    smtp_password: SecretStr | None = Field(default=None, repr=False)
    smtp_starttls: bool = Field(default=False, description="Upgrade SMTP with STARTTLS.")
    public_url: str | None = Field(
        default=None, description="The service's address as officers reach it (links in e-mails)."
    )

    # --- cooperation agreement ------------------------------------------------------------------------
    timezone: str = Field(default="Asia/Shanghai", description="Local time of the bureaus.")
    acknowledge_days: float = Field(default=3, gt=0, description="Days to acknowledge a referral.")
    feedback_days: float = Field(default=15, gt=0, description="Days to give feedback on a lead.")
    assistance_days: float = Field(default=7, gt=0, description="Days to answer assistance.")
    police_serious_value: Decimal = Decimal("50000")
    police_serious_sticks: int = 200_000
    police_especially_serious_value: Decimal = Decimal("250000")
    police_especially_serious_sticks: int = 1_000_000
    police_counterfeit_sold_value: Decimal = Decimal("50000")
    police_counterfeit_unsold_value: Decimal = Decimal("150000")
    reward_policy: Path = Field(
        default=Path(__file__).parent / "policies" / "default.toml",
        description="TOML file of the cooperation agreement's reward policy.",
    )
    bulletin_grace_days: int = Field(
        default=15, ge=0, description="Days after a quarter's end to issue its bulletin."
    )
    snapshot_interval: int = Field(
        default=50, ge=0, description="Snapshot a lead or case every N events (0: never)."
    )

    # --- evidence files ---------------------------------------------------------------------------
    evidence_max_bytes: int = Field(
        default=50 * 1024 * 1024,
        ge=1,
        description="Largest evidence file accepted, in bytes (a larger upload answers 413).",
    )
    evidence_media_types: str = Field(
        default="image/jpeg,image/png,image/tiff,image/webp,image/heic,application/pdf",
        description="Comma-separated media types accepted as evidence, as found in the content "
        "(magic bytes), never as named by the client.",
    )
    evidence_store: Literal["postgres", "s3"] = Field(
        default="postgres",
        description="Where evidence content is kept: PostgreSQL (default) or an S3-compatible "
        "store (then set the JOINTCASE_S3_* settings).",
    )
    s3_endpoint_url: str | None = Field(
        default=None, description="The S3-compatible endpoint (unset: AWS by its region)."
    )
    s3_bucket: str | None = Field(default=None, description="The bucket of evidence content.")
    s3_prefix: str = Field(default="evidence/", description="Key prefix of evidence objects.")
    s3_region: str = Field(default="us-east-1", description="The S3 region.")
    s3_access_key_id: str | None = Field(default=None, description="S3 access key id.")
    s3_secret_access_key: SecretStr | None = Field(default=None, description="S3 secret key.")
    s3_addressing_style: Literal["auto", "path", "virtual"] = Field(
        default="path", description="S3 addressing style (path suits most self-hosted stores)."
    )

    @property
    def uses_server(self) -> bool:
        return bool(self.database_url or self.postgres_host)

    def evidence_policy(self) -> EvidencePolicy:
        types = frozenset(
            t.strip().lower() for t in self.evidence_media_types.split(",") if t.strip()
        )
        return EvidencePolicy(max_bytes=self.evidence_max_bytes, media_types=types)

    def token_lifetime(self) -> timedelta:
        return timedelta(days=self.token_lifetime_days)

    def deadlines(self) -> Deadlines:
        return Deadlines(
            acknowledge=timedelta(days=self.acknowledge_days),
            feedback=timedelta(days=self.feedback_days),
            assistance=timedelta(days=self.assistance_days),
        )

    def police_thresholds(self) -> PoliceThresholds:
        return PoliceThresholds(
            serious_value=self.police_serious_value,
            serious_sticks=self.police_serious_sticks,
            especially_serious_value=self.police_especially_serious_value,
            especially_serious_sticks=self.police_especially_serious_sticks,
            counterfeit_sold_value=self.police_counterfeit_sold_value,
            counterfeit_unsold_value=self.police_counterfeit_unsold_value,
        )
