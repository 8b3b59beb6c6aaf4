"""The deployment files: the compose file is valid YAML whose services run commands the CLI has,
with health checks, a volume for the database and every setting taken from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
import typer
import yaml

from jointcase.cli import app
from jointcase.settings import Settings
from jointcase.storage import (
    ConfigurationError,
    Database,
    chain_signer,
    informant_cipher,
    token_pepper,
)

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def is_group(command: object) -> bool:
    return hasattr(command, "list_commands")


def cli_has(command: list[str]) -> bool:
    assert command[0] == "jointcase"
    group = typer.main.get_command(app)
    for word in command[1:]:
        if word.startswith("-"):
            break
        if not is_group(group):
            return True  # an argument of the command found so far
        sub = group.get_command(click.Context(group), word)  # type: ignore[attr-defined]
        if sub is None:
            return False
        group = sub
    return not is_group(group)


def test_the_compose_file_has_the_database_init_job_api_and_worker(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == {"postgres", "init", "api", "worker"}
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    for name in ("postgres", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["init"]["restart"] == "no"
    assert services["api"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert services["worker"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert services["init"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_every_service_runs_a_command_the_cli_really_has(compose: dict) -> None:
    for name, service in compose["services"].items():
        if name == "postgres":
            continue
        assert cli_has(service["command"]), (name, service["command"])
        check = service.get("healthcheck", {}).get("test", [])
        if check and check[0] == "CMD" and check[1] == "jointcase":
            assert cli_has(check[1:]), (name, check)
    assert not cli_has(["jointcase", "no-such-command"])


def test_every_variable_the_compose_file_uses_is_in_the_example_env(compose: dict) -> None:
    text = (ROOT / "docker-compose.yml").read_text()
    used = set(re.findall(r"\$\{([A-Z_]+)", text))
    example = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert used <= example, used - example
    settings_fields = {f"JOINTCASE_{n.upper()}" for n in Settings.model_fields}
    jointcase_vars = {v for v in example if v.startswith("JOINTCASE_")}
    assert jointcase_vars <= settings_fields, jointcase_vars - settings_fields


def test_the_example_secrets_are_refused_at_start() -> None:
    example = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    server = Database("postgres", 5432, "jointcase", "x", "jointcase")
    settings = Settings(
        database_url="postgresql://jointcase@postgres/jointcase",
        informant_key=example["JOINTCASE_INFORMANT_KEY"],
        token_pepper=example["JOINTCASE_TOKEN_PEPPER"],
        chain_key=example["JOINTCASE_CHAIN_KEY"],
    )
    with pytest.raises(ConfigurationError, match="JOINTCASE_INFORMANT_KEY"):
        informant_cipher(settings, server)
    with pytest.raises(ConfigurationError, match="JOINTCASE_TOKEN_PEPPER"):
        token_pepper(settings, server)
    with pytest.raises(ConfigurationError, match="JOINTCASE_CHAIN_KEY"):
        chain_signer(settings, server)
