"""All configuration, read from the environment (and an optional `.env` file) by pydantic-settings.

Database: `DATABASE_URL`, or the `POSTGRES_*` variables; with neither, an embedded PostgreSQL runs in
`JOINTCASE_DATA_DIR`. Everything else is prefixed `JOINTCASE_`."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Bearer token a Prometheus scraper sends to read /metrics; without one "
        "/metrics is not served (the metrics show each county's activity by route).",
    )

    # --- HTTP ---------------------------------------------------------------------------------------
    host: str = Field(default="127.0.0.1", description="Address `jointcase serve` listens on.")
    port: int = Field(default=8000, description="Port `jointcase serve` listens on.")
    workers: int = Field(default=1, ge=1, description="API worker processes of `jointcase serve`.")

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

    @property
    def uses_server(self) -> bool:
        return bool(self.database_url or self.postgres_host)

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
