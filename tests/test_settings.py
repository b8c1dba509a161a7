"""The env-driven configuration: typed helpers that refuse bad values, production settings that
refuse to start without secrets, and the switches DATABASE_URL / REDIS_URL / SMTP_URL."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from rammeaftale.env import env_bool, env_int, env_list, env_str, env_url

BASE_DIR = Path(__file__).resolve().parent.parent
SETTINGS_DIR = BASE_DIR / "rammeaftale" / "settings"
GOOD_SECRET = "a-real-looking-secret-key-" + "x7Kq2Zr9Lm4Np8Vt3Wb6Yc1Hd5Jf0Gs" * 2


# --- the env helpers ---------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["maybe", "ja", "2", "truee"])
def test_env_bool_refuses_a_value_it_cannot_read(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("RAMME_TEST_FLAG", raw)
    with pytest.raises(ImproperlyConfigured, match="RAMME_TEST_FLAG"):
        env_bool("RAMME_TEST_FLAG", False)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("true", True), ("1", True), ("Yes", True), ("on", True), ("false", False), ("0", False)],
)
def test_env_bool_reads_the_usual_spellings(
    monkeypatch: pytest.MonkeyPatch, raw: str, expected: bool
) -> None:
    monkeypatch.setenv("RAMME_TEST_FLAG", raw)
    assert env_bool("RAMME_TEST_FLAG", not expected) is expected


def test_env_bool_default_when_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAMME_TEST_FLAG", raising=False)
    assert env_bool("RAMME_TEST_FLAG", True) is True


def test_env_int_refuses_a_non_number(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMME_TEST_INT", "ten")
    with pytest.raises(ImproperlyConfigured, match="RAMME_TEST_INT"):
        env_int("RAMME_TEST_INT", 1)


def test_env_int_refuses_a_value_below_its_minimum(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMME_TEST_INT", "0")
    with pytest.raises(ImproperlyConfigured, match="RAMME_TEST_INT"):
        env_int("RAMME_TEST_INT", 5, minimum=1)


def test_env_int_reads_numbers_and_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMME_TEST_INT", "42")
    assert env_int("RAMME_TEST_INT", 1) == 42
    monkeypatch.delenv("RAMME_TEST_INT")
    assert env_int("RAMME_TEST_INT", 7) == 7


def test_env_url_refuses_the_wrong_scheme(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMME_TEST_URL", "http://127.0.0.1:6379/0")
    with pytest.raises(ImproperlyConfigured, match="RAMME_TEST_URL"):
        env_url("RAMME_TEST_URL", schemes=("redis", "rediss"))


def test_env_url_accepts_its_schemes_and_is_empty_when_unset(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RAMME_TEST_URL", "rediss://cache.example.dk:6380/1")
    assert env_url("RAMME_TEST_URL", schemes=("redis", "rediss")) == (
        "rediss://cache.example.dk:6380/1"
    )
    monkeypatch.delenv("RAMME_TEST_URL")
    assert env_url("RAMME_TEST_URL", schemes=("redis",)) == ""


def test_env_list_and_str(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAMME_TEST_LIST", " a.example.dk, ,b.example.dk ")
    assert env_list("RAMME_TEST_LIST") == ["a.example.dk", "b.example.dk"]
    monkeypatch.delenv("RAMME_TEST_LIST")
    assert env_list("RAMME_TEST_LIST", ["x"]) == ["x"]
    monkeypatch.setenv("RAMME_TEST_STR", "værdi")
    assert env_str("RAMME_TEST_STR", "standard") == "værdi"


# --- settings loaded in a fresh process with a chosen environment --------------------------------


def _clean_env(tmp_path: Path, **values: str) -> dict[str, str]:
    """A minimal environment: nothing from the developer's shell or CI leaks into the settings."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "VAR_DIR": str(tmp_path / "var"),
    }
    env.update(values)
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - fixed argv, the project's own interpreter
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": db["NAME"], "host": db.get("HOST"), "port": db.get("PORT"),
    "user": db.get("USER"), "options": db.get("OPTIONS", {}),
    "is_postgres": settings.DATABASE_IS_POSTGRES,
    "cache": settings.CACHES["default"]["BACKEND"],
    "broker": settings.CELERY_BROKER_URL, "eager": settings.CELERY_TASK_ALWAYS_EAGER,
    "mailers": settings.MAILERS, "debug": settings.DEBUG,
}, default=str))
"""


def _settings_json(tmp_path: Path, module: str, **values: str) -> dict[str, object]:
    result = _run(
        ["-c", _PRINT_SETTINGS], _clean_env(tmp_path, DJANGO_SETTINGS_MODULE=module, **values)
    )
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    result = _run(
        ["-c", "import django; django.setup()"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
            DJANGO_ALLOWED_HOSTS="rammeaftale.example.dk",
        ),
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_a_short_or_development_secret_key(tmp_path: Path) -> None:
    for key in ("too-short", "django-insecure-" + "k" * 60):
        result = _run(
            ["-c", "import django; django.setup()"],
            _clean_env(
                tmp_path,
                DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
                DJANGO_SECRET_KEY=key,
                DJANGO_ALLOWED_HOSTS="rammeaftale.example.dk",
            ),
        )
        assert result.returncode != 0, key
        assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_allowed_hosts(tmp_path: Path) -> None:
    result = _run(
        ["-c", "import django; django.setup()"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
        ),
    )
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr


def test_production_refuses_to_start_without_a_mail_server(tmp_path: Path) -> None:
    result = _run(
        ["-c", "import django; django.setup()"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DJANGO_ALLOWED_HOSTS="rammeaftale.example.dk",
        ),
    )
    assert result.returncode != 0
    assert "SMTP_URL" in result.stderr


def test_production_refuses_debug(tmp_path: Path) -> None:
    result = _run(
        ["-c", "import django; django.setup()"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DJANGO_ALLOWED_HOSTS="rammeaftale.example.dk",
            DJANGO_DEBUG="true",
        ),
    )
    assert result.returncode != 0
    assert "DJANGO_DEBUG" in result.stderr


def test_a_misspelt_boolean_stops_the_settings(tmp_path: Path) -> None:
    result = _run(
        ["-c", "import django; django.setup()"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.base",
            SECRETARIAT_MFA_REQUIRED="maybe",
        ),
    )
    assert result.returncode != 0
    assert "SECRETARIAT_MFA_REQUIRED" in result.stderr


def test_check_deploy_gives_no_warnings_on_production_settings(tmp_path: Path) -> None:
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DJANGO_ALLOWED_HOSTS="rammeaftale.example.dk",
            SMTP_URL="smtp+tls://portal:hemmelig@mail.example.dk:587",
        ),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_are_secure(tmp_path: Path) -> None:
    script = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps([settings.DEBUG, settings.SESSION_COOKIE_SECURE, "
        "settings.CSRF_COOKIE_SECURE, settings.SECURE_SSL_REDIRECT, settings.SECURE_HSTS_SECONDS, "
        "settings.ALLOWED_HOSTS]))"
    )
    result = _run(
        ["-c", script],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.production",
            DJANGO_SECRET_KEY=GOOD_SECRET,
            DJANGO_ALLOWED_HOSTS="rammeaftale.example.dk, www.rammeaftale.example.dk",
            SMTP_URL="smtp+tls://mail.example.dk:587",
        ),
    )
    assert result.returncode == 0, result.stderr
    debug, session_secure, csrf_secure, redirect, hsts, hosts = json.loads(result.stdout)
    assert debug is False
    assert session_secure and csrf_secure and redirect
    assert hsts >= 31536000
    assert hosts == ["rammeaftale.example.dk", "www.rammeaftale.example.dk"]


def test_embedded_defaults_need_no_services(tmp_path: Path) -> None:
    loaded = _settings_json(tmp_path, "rammeaftale.settings.base")
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert str(loaded["name"]).startswith(str(tmp_path / "var"))
    assert loaded["is_postgres"] is False
    assert loaded["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert loaded["broker"] == "memory://"
    assert loaded["eager"] is True
    mailers = loaded["mailers"]
    assert isinstance(mailers, dict)
    assert mailers["default"]["BACKEND"] == "django.core.mail.backends.filebased.EmailBackend"


def test_database_url_selects_postgresql_with_a_pool(tmp_path: Path) -> None:
    loaded = _settings_json(
        tmp_path,
        "rammeaftale.settings.base",
        DATABASE_URL="postgres://portal:hemmelig@db.example.dk:5433/rammeaftale",
        DATABASE_POOL_MIN="1",
        DATABASE_POOL_MAX="7",
    )
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["is_postgres"] is True
    assert (loaded["name"], loaded["host"], str(loaded["port"]), loaded["user"]) == (
        "rammeaftale",
        "db.example.dk",
        "5433",
        "portal",
    )
    options = loaded["options"]
    assert isinstance(options, dict)
    assert options["pool"]["min_size"] == 1
    assert options["pool"]["max_size"] == 7


def test_database_url_with_a_wrong_scheme_is_refused(tmp_path: Path) -> None:
    result = _run(
        ["-c", "import django; django.setup()"],
        _clean_env(
            tmp_path,
            DJANGO_SETTINGS_MODULE="rammeaftale.settings.base",
            DATABASE_URL="mysql://portal@db.example.dk/rammeaftale",
        ),
    )
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_redis_url_selects_the_broker_and_the_cache(tmp_path: Path) -> None:
    loaded = _settings_json(
        tmp_path, "rammeaftale.settings.base", REDIS_URL="redis://cache.example.dk:6379/3"
    )
    assert loaded["broker"] == "redis://cache.example.dk:6379/3"
    assert loaded["eager"] is False
    assert loaded["cache"] == "django.core.cache.backends.redis.RedisCache"


def test_smtp_url_selects_the_smtp_mailer(tmp_path: Path) -> None:
    loaded = _settings_json(
        tmp_path,
        "rammeaftale.settings.base",
        SMTP_URL="smtp+tls://portal%40example.dk:hemmelig@mail.example.dk:587",
    )
    mailers = loaded["mailers"]
    assert isinstance(mailers, dict)
    default = mailers["default"]
    assert default["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    options = default["OPTIONS"]
    assert (options["host"], options["port"], options["username"]) == (
        "mail.example.dk",
        587,
        "portal@example.dk",
    )
    assert options["use_tls"] is True
    assert options["use_ssl"] is False


# --- mail is configured with Django 6.1's MAILERS only ------------------------------------------


def test_mail_is_configured_with_mailers_only() -> None:
    from rammeaftale.settings import base as base_settings
    from rammeaftale.settings import test as test_settings

    for module in (base_settings, test_settings):
        namespace = vars(module)
        assert "default" in namespace["MAILERS"], module.__name__
        assert "EMAIL_BACKEND" not in namespace, module.__name__
        assert "EMAIL_HOST" not in namespace, module.__name__
    assert "default" in settings.MAILERS
    legacy = re.compile(r"^\s*EMAIL_(BACKEND|HOST|PORT|HOST_USER|HOST_PASSWORD|USE_TLS|USE_SSL)\b")
    for source in SETTINGS_DIR.glob("*.py"):
        for number, line in enumerate(source.read_text(encoding="utf-8").splitlines(), 1):
            assert not legacy.match(line), f"{source.name}:{number} sets {line.strip()}"


def test_mail_is_sent_through_the_default_mailer() -> None:
    from django.core import mail

    mail.outbox = []
    mail.send_mail("Emne", "Tekst", None, ["modtager@example.dk"])
    assert len(mail.outbox) == 1
    assert mail.outbox[0].from_email == settings.DEFAULT_FROM_EMAIL
