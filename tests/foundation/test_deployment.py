"""compose.yaml and the Dockerfile cannot run here (no Docker engine), so read them and check
they agree with the CLI and the settings the code really has."""

from pathlib import Path

import yaml

from backend.cli import build_parser
from backend.settings import Settings, env_name

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_has_every_service_with_health_and_volumes() -> None:
    services = compose()["services"]
    assert set(services) == {"postgres", "redis", "migrate", "api", "worker"}
    assert services["postgres"]["image"].startswith("postgres:16")
    assert services["redis"]["image"].startswith("redis:7")
    for name in ("postgres", "redis", "api"):
        assert services[name]["healthcheck"]["test"], name
    assert {"pgdata", "redisdata", "photos"} <= set(compose()["volumes"])
    # api and worker start only after a successful migration and healthy servers
    for name in ("api", "worker"):
        deps = services[name]["depends_on"]
        assert deps["migrate"]["condition"] == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy"


def test_compose_commands_are_real_cli_commands() -> None:
    parser = build_parser()
    for name in ("migrate", "api", "worker"):
        command = compose()["services"][name]["command"]
        assert command[0] == "fangpin"
        parser.parse_args(command[1:])  # exits on an unknown subcommand or flag


def test_compose_environment_names_real_settings() -> None:
    known = {env_name(field) for field in Settings.__struct_fields__}
    for name in ("migrate", "api", "worker"):
        assert set(compose()["services"][name]["environment"]) <= known


def test_dockerfile_copies_every_package() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for package in ("backend", "miniapp_api", "workers", "schemas", "migrations"):
        assert f"COPY {package} ./{package}" in dockerfile
        assert (ROOT / package / "__init__.py").exists()
