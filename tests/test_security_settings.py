"""Production settings: `check --deploy` is clean under the documented environment, the
site refuses the development key, cookies and HTTPS are locked down."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

ROOT = Path(django_settings.BASE_DIR)


def documented_environment() -> dict[str, str]:
    """The production environment of .env.example, with a fresh secret key and local
    services (checks connect to nothing, but stay off the documented servers anyway)."""
    env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            env[name] = value
    env["SECRET_KEY"] = secrets.token_urlsafe(50)
    env["DATABASE_URL"] = "sqlite:////tmp/openday-check-deploy.sqlite3"
    # The documented Redis URL stays: checks connect to no cache.
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_under_the_documented_environment():
    env = documented_environment()
    assert env["DEBUG"] == "false"
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_verification_codes_go_nowhere():
    env = {**documented_environment(), "OPENDAY_SMS_BACKEND": "console"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "openday.W001" in result.stderr


def test_check_deploy_warns_when_phone_verification_is_off():
    env = {**documented_environment(), "OPENDAY_PHONE_VERIFICATION": "false"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "openday.W003" in result.stderr


def test_check_deploy_warns_when_each_process_has_its_own_cache():
    env = {**documented_environment(), "CACHE_URL": "locmem://"}
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "openday.W004" in result.stderr
    assert "openday.W004" not in manage("check", "--deploy", env=env | {"DEBUG": "true"}).stderr


@pytest.mark.parametrize(
    "secret_key", [None, "", "insecure-local-development-key-change-me", "short"]
)
def test_production_refuses_to_start_without_a_real_secret_key(secret_key):
    env = documented_environment()
    if secret_key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret_key
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "Set SECRET_KEY" in result.stderr


def test_development_starts_with_the_development_key():
    env = {**documented_environment(), "DEBUG": "true"}
    del env["SECRET_KEY"]
    result = manage("check", env=env)
    assert result.returncode == 0, result.stderr


def test_production_settings_follow_debug_off(settings):
    # The suite runs the production settings (DEBUG off), only without the HTTPS redirect;
    # the browser tests relax the cookie flags for their plain-HTTP server, so the flags
    # are read from the settings module itself.
    import openday.settings as production

    assert settings.DEBUG is False
    assert settings.SECURE_HSTS_SECONDS >= 31536000
    assert settings.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
    assert production.SESSION_COOKIE_SECURE is True
    assert production.CSRF_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True
    assert production.CSRF_COOKIE_HTTPONLY is True
    # Production pages also tell browsers to fetch everything over HTTPS (off in tests,
    # whose live server speaks plain HTTP).
    assert production.CONTENT_SECURITY_POLICY["DIRECTIVES"]["upgrade-insecure-requests"] is True


def test_http_is_redirected_to_https(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/", headers={"host": "127.0.0.1"})
    assert response.status_code == 301
    assert response["Location"].startswith("https://")


def test_load_balancer_probes_are_not_redirected(client, settings, db):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").status_code == 200


def test_https_responses_carry_hsts(client, db):
    response = client.get("/healthz", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


def test_https_behind_a_trusted_proxy_is_recognised(settings, client, db):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    response = client.get("/healthz", headers={"x-forwarded-proto": "https"})
    assert response.status_code == 200


def test_cookies_are_secure_and_http_only(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"}, secure=True)
    cookie = response.cookies[django_settings.LANGUAGE_COOKIE_NAME]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    page = client.get("/admin/login/", secure=True)
    csrf = page.cookies[django_settings.CSRF_COOKIE_NAME]
    assert csrf["secure"] is True
    assert csrf["httponly"] is True
