"""The deployment files are consistent with the code.

No Docker engine runs on the CI machines, so docker-compose.yml, the Dockerfile and .env.example
are checked as files: the services exist, the app services share one image, their commands
point at modules that exist, and every environment name is one the code really reads.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

BASE_DIR = Path(__file__).resolve().parent.parent
COMPOSE_FILE = BASE_DIR / "docker-compose.yml"
ENV_EXAMPLE = BASE_DIR / ".env.example"
DOCKERFILE = BASE_DIR / "Dockerfile"
APP_SERVICES = ("web", "worker", "beat")
MAIL_CATCHERS = ("mailpit", "mailhog", "maildev", "smtp4dev")
FIRST_PARTY_SKIP = {".venv", "node_modules", "tests", ".git", "migrations", "var"}

ENV_HELPER_CALL = re.compile(r"\benv_(?:str|bool|int|list|url)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']")
OS_ENVIRON_USE = re.compile(
    r"\bos\.(?:environ(?:\.get|\.setdefault|\.pop)?\(\s*|environ\[\s*|getenv\(\s*)"
    r"[\"']([A-Z][A-Z0-9_]*)[\"']"
)
ENV_LINE = re.compile(r"^\s*(?:#\s*)?([A-Z][A-Z0-9_]*)=")


def _first_party_sources() -> list[Path]:
    return [
        path
        for path in BASE_DIR.rglob("*.py")
        if not FIRST_PARTY_SKIP.intersection(path.relative_to(BASE_DIR).parts)
    ]


def _names(pattern: re.Pattern[str], paths: list[Path]) -> set[str]:
    found: set[str] = set()
    for path in paths:
        found.update(pattern.findall(path.read_text(encoding="utf-8")))
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    loaded = yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = compose.get("services")
    assert isinstance(found, dict)
    return found


@pytest.fixture(scope="module")
def settings_env_names() -> set[str]:
    """The names the settings modules read through the typed helpers."""
    paths = sorted((BASE_DIR / "rammeaftale" / "settings").glob("*.py"))
    names = _names(ENV_HELPER_CALL, paths)
    assert {"DJANGO_SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SMTP_URL"} <= names
    return names | {"DJANGO_SETTINGS_MODULE"}


@pytest.fixture(scope="module")
def code_env_names(settings_env_names: set[str]) -> set[str]:
    """Every name any first-party module reads from the environment."""
    sources = _first_party_sources()
    return settings_env_names | _names(ENV_HELPER_CALL, sources) | _names(OS_ENVIRON_USE, sources)


def _env_example_names() -> list[str]:
    names = []
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line)
        if match:
            names.append(match.group(1))
    return names


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): str(value) for key, value in env.items()}


def _command(service: dict[str, Any]) -> list[str]:
    command = service.get("command")
    if command is None:
        return []
    return shlex.split(command) if isinstance(command, str) else [str(part) for part in command]


def _env_files(service: dict[str, Any]) -> list[str]:
    env_file = service.get("env_file") or []
    items = [env_file] if isinstance(env_file, str | dict) else list(env_file)
    return [item["path"] if isinstance(item, dict) else str(item) for item in items]


def _dockerfile_instruction(name: str) -> list[str]:
    """The argv of the last CMD or ENTRYPOINT in the Dockerfile (exec or shell form)."""
    found: list[str] = []
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        if line.strip().upper().startswith(name + " "):
            rest = line.strip()[len(name) :].strip()
            found = json.loads(rest) if rest.startswith("[") else shlex.split(rest)
    return found


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_has_every_service(services: dict[str, dict[str, Any]]) -> None:
    assert {"postgres", "redis", *APP_SERVICES} <= set(services)
    assert any(name in services for name in MAIL_CATCHERS), "a mail catcher for development"


def test_app_services_share_one_image(services: dict[str, dict[str, Any]]) -> None:
    images = {str(services[name].get("image")) for name in APP_SERVICES}
    builds = {json.dumps(services[name].get("build"), sort_keys=True) for name in APP_SERVICES}
    assert len(images) == 1 and len(builds) == 1, (images, builds)
    build = services["web"]["build"]
    context = build if isinstance(build, str) else build.get("context", ".")
    dockerfile = "Dockerfile" if isinstance(build, str) else build.get("dockerfile", "Dockerfile")
    assert (BASE_DIR / context / dockerfile).resolve() == DOCKERFILE


def test_web_runs_gunicorn_on_the_wsgi_application(services: dict[str, dict[str, Any]]) -> None:
    command = _command(services["web"]) or _dockerfile_instruction("CMD")
    assert command[0] == "gunicorn"
    targets = [part for part in command if part.startswith("rammeaftale.wsgi")]
    assert targets, command
    assert (BASE_DIR / "rammeaftale" / "wsgi.py").is_file()
    assert "application" in (BASE_DIR / "rammeaftale" / "wsgi.py").read_text(encoding="utf-8")


@pytest.mark.parametrize("role", ["worker", "beat"])
def test_celery_services_run_the_project_app(
    services: dict[str, dict[str, Any]], role: str
) -> None:
    command = _command(services[role])
    assert command[:3] == ["celery", "-A", "rammeaftale"], command
    assert role in command[3:]
    assert (BASE_DIR / "rammeaftale" / "celery.py").is_file()


def test_migrations_run_before_the_app_starts(services: dict[str, dict[str, Any]]) -> None:
    migrate = services.get("migrate")
    if migrate is None:  # an entrypoint may migrate instead
        assert "migrate" in " ".join(_dockerfile_instruction("ENTRYPOINT")), "no migrate step"
        return
    assert {"manage.py", "migrate"} <= set(_command(migrate)), _command(migrate)
    assert migrate.get("build") == services["web"].get("build")
    for name in APP_SERVICES:
        depends = services[name].get("depends_on") or {}
        assert "migrate" in depends, f"{name} must wait for migrate"
        if isinstance(depends, dict):
            assert depends["migrate"]["condition"] == "service_completed_successfully"


def test_app_services_point_at_the_compose_services(services: dict[str, dict[str, Any]]) -> None:
    for name in (*APP_SERVICES, "migrate"):
        if name not in services:
            continue
        service = services[name]
        assert ".env" in _env_files(service), f"{name} reads its configuration from .env"
        env = _environment(service)
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        mail_host = env["SMTP_URL"].split("://", 1)[1].split(":", 1)[0].split("@")[-1]
        assert mail_host in services and mail_host in MAIL_CATCHERS
        assert env.get("DJANGO_SETTINGS_MODULE", "rammeaftale.settings.production") == (
            "rammeaftale.settings.production"
        )


def test_backing_services_have_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name in ("postgres", "redis", "web"):
        assert "healthcheck" in services[name], name
    web_check = " ".join(str(part) for part in services["web"]["healthcheck"]["test"])
    assert "/healthz" in web_check


def test_compose_environment_names_are_read_by_the_code(
    services: dict[str, dict[str, Any]], code_env_names: set[str]
) -> None:
    for name in services:
        if "build" not in services[name]:
            continue  # postgres, redis and the mail catcher are configured by their own images
        unknown = set(_environment(services[name])) - code_env_names
        assert not unknown, f"{name} sets names the code never reads: {sorted(unknown)}"


# --- .env.example ------------------------------------------------------------------------------


def test_env_example_names_are_read_by_the_code(code_env_names: set[str]) -> None:
    names = _env_example_names()
    assert len(names) == len(set(names)), "a name is listed twice in .env.example"
    unknown = set(names) - code_env_names
    assert not unknown, f".env.example lists names the code never reads: {sorted(unknown)}"


def test_every_setting_read_from_the_environment_is_documented(
    settings_env_names: set[str],
) -> None:
    missing = settings_env_names - set(_env_example_names())
    assert not missing, f"document these in .env.example: {sorted(missing)}"


def test_env_example_leaves_no_optional_value_empty() -> None:
    """An empty value is not the default: an empty boolean reads as false, an empty path as '.'"""
    allowed_empty = {"DJANGO_SECRET_KEY", "DJANGO_CSRF_TRUSTED_ORIGINS"}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if re.match(r"^[A-Z][A-Z0-9_]*=$", line.strip()):
            assert line.strip()[:-1] in allowed_empty, f"{line!r}: comment it out instead"


def test_env_example_loads_as_valid_settings(tmp_path: Path) -> None:
    """The example's values pass the typed env helpers (with a secret filled in)."""
    env: dict[str, str] = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip().strip('"').strip("'")
    env.update(
        DJANGO_SECRET_KEY="example-check-" + "q8Rt5Wz2Lk7Pm3Xn9Bv4Hc6Jd1Fg0Sa" * 2,
        VAR_DIR=str(tmp_path / "var"),
        STATIC_ROOT=str(tmp_path / "static"),
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('loaded')"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "loaded" in result.stdout


# --- Dockerfile and the rest ------------------------------------------------------------------


def test_dockerfile_builds_one_non_root_image_with_gunicorn() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.1[2-9]", text, re.MULTILINE)
    assert "--require-hashes" in text and "requirements.txt" in text
    assert "npm ci" in text
    assert "compile_translations" in text and "collectstatic" in text
    assert re.search(r"^USER (?!root)\S+", text, re.MULTILINE)
    cmd = _dockerfile_instruction("CMD")
    assert cmd[0] == "gunicorn"
    assert any(part.startswith("rammeaftale.wsgi") for part in cmd)


def test_dockerfile_references_files_that_exist() -> None:
    for argv in (_dockerfile_instruction("CMD"), _dockerfile_instruction("ENTRYPOINT")):
        for part in argv:
            if part.startswith("rammeaftale.") and ":" in part:
                module = part.split(":", 1)[0]
                assert (BASE_DIR / (module.replace(".", "/") + ".py")).is_file(), part
            elif "/" in part and not part.startswith(("/", "-")) and "://" not in part:
                assert (BASE_DIR / part).exists(), part
    for line in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^COPY\s+(?!--from)(.+)\s+\S+$", line.strip())
        if match:
            for source in match.group(1).split():
                if source not in {".", "./"}:
                    assert (BASE_DIR / source).exists(), f"COPY {source}: no such file"
    assert (BASE_DIR / "core" / "management" / "commands" / "compile_translations.py").is_file()
    assert (BASE_DIR / "package-lock.json").is_file()


def test_dockerignore_keeps_local_state_out_of_the_image() -> None:
    ignored = (BASE_DIR / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".venv", "node_modules", ".env", "var", ".git"):
        assert entry in ignored, entry
    assert "!.env.example" in ignored or ".env.example" not in ignored
