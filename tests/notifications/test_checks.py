"""`manage.py check --deploy` tells the operator what text messages will not reach anyone."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from openday.notifications.kinds import PARAMETERS


def deploy_check(**options) -> str:
    # Only the SMS checks: the environment of a test run trips some of Django's own.
    stderr = io.StringIO()
    call_command("check", deploy=True, tags=["sms"], stdout=io.StringIO(), stderr=stderr, **options)
    return stderr.getvalue()


@pytest.fixture
def tencent(settings):
    settings.OPENDAY_SMS_BACKEND = "tencent"
    settings.OPENDAY_SMS_KEY_ID = "AKIDexample"
    settings.OPENDAY_SMS_KEY_SECRET = "secret"
    settings.OPENDAY_SMS_SIGN_NAME = "青岛城管"
    settings.OPENDAY_SMS_APP_ID = "1400000001"
    settings.OPENDAY_SMS_ENDPOINT = ""


def test_check_deploy_warns_about_each_kind_without_a_template(tencent, settings):
    settings.OPENDAY_SMS_TEMPLATES = {"verification_code": "1001", "reminder": "1002"}
    output = deploy_check()
    missing = [kind for kind in PARAMETERS if kind not in ("verification_code", "reminder")]
    assert output.count("notifications.W001") == len(missing)
    for kind in missing:
        assert f"message kind '{kind}'" in output
    assert "message kind 'reminder'" not in output


def test_check_deploy_is_quiet_about_templates_when_every_kind_has_one(tencent, settings):
    settings.OPENDAY_SMS_TEMPLATES = {kind: str(1000 + n) for n, kind in enumerate(PARAMETERS)}
    assert "notifications.W001" not in deploy_check()


def test_check_deploy_says_nothing_of_templates_for_local_backends(settings):
    settings.OPENDAY_SMS_BACKEND = "console"
    settings.OPENDAY_SMS_TEMPLATES = {}
    assert "notifications.W001" not in deploy_check()


@pytest.mark.parametrize("backend", ["console", "file", "locmem"])
def test_check_deploy_warns_when_verification_codes_only_reach_a_local_backend(settings, backend):
    settings.OPENDAY_PHONE_VERIFICATION = True
    settings.OPENDAY_SMS_BACKEND = backend
    assert "openday.W001" in deploy_check()


def test_check_deploy_accepts_a_gateway_for_verification(tencent, settings):
    settings.OPENDAY_PHONE_VERIFICATION = True
    assert "openday.W001" not in deploy_check()


def test_check_deploy_refuses_a_gateway_missing_its_account(tencent, settings):
    settings.OPENDAY_SMS_APP_ID = ""
    with pytest.raises(SystemCheckError, match="OPENDAY_SMS_APP_ID"):
        deploy_check()


def test_check_refuses_a_backend_that_cannot_be_imported(settings):
    settings.OPENDAY_SMS_BACKEND = "nowhere.SmsBackend"
    with pytest.raises(SystemCheckError, match="notifications.E001"):
        call_command("check", tags=["sms"], stdout=io.StringIO(), stderr=io.StringIO())


def test_check_warns_about_a_template_for_an_unknown_kind(settings):
    settings.OPENDAY_SMS_TEMPLATES = {"remidner": "1002"}
    stderr = io.StringIO()
    call_command("check", tags=["sms"], stdout=io.StringIO(), stderr=stderr)
    assert "notifications.W002" in stderr.getvalue()
    assert "'remidner'" in stderr.getvalue()


def test_templates_that_are_not_a_json_object_stop_the_site_with_a_clear_message():
    import os
    import subprocess
    import sys

    from django.conf import settings

    for value, expected in [("{reminder: 1}", "not valid JSON"), ('["1001"]', "JSON object")]:
        env = {**os.environ, "DEBUG": "true", "OPENDAY_SMS_TEMPLATES": value}
        result = subprocess.run(
            [sys.executable, "manage.py", "check"],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "OPENDAY_SMS_TEMPLATES" in result.stderr
        assert expected in result.stderr


def test_check_deploy_warns_when_text_messages_have_no_budget(tencent, settings):
    settings.OPENDAY_SMS_TEMPLATES = {kind: str(1000 + n) for n, kind in enumerate(PARAMETERS)}
    settings.OPENDAY_SMS_BUDGET_HOUR = settings.OPENDAY_SMS_BUDGET_DAY = 0
    assert "notifications.W003" in deploy_check()
    settings.OPENDAY_SMS_BUDGET_DAY = 20000
    assert "notifications.W003" not in deploy_check()


def test_the_suggested_budget_is_the_default():
    from pathlib import Path

    from django.conf import settings

    from openday import settings as project

    lines = (Path(settings.BASE_DIR) / ".env.example").read_text(encoding="utf-8").splitlines()
    suggested = dict(line.split("=", 1) for line in lines if line.startswith("OPENDAY_SMS_BUDGET"))
    assert suggested == {"OPENDAY_SMS_BUDGET_HOUR": "2000", "OPENDAY_SMS_BUDGET_DAY": "20000"}
    assert (project.OPENDAY_SMS_BUDGET_HOUR, project.OPENDAY_SMS_BUDGET_DAY) == (2000, 20000)
