"""The Tencent Cloud and Alibaba Cloud backends, through their official SDKs, against local
servers that check signatures and answer as the providers do
(`openday.notifications.sms.testing`)."""

import json
import logging
import socket
import threading

import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from openday.notifications import sms
from openday.notifications.kinds import PARAMETERS, sms_text
from openday.notifications.sms.testing import AliyunSmsDouble, TencentSmsDouble

PHONE = "13800138000"
SIGN_NAME = "青岛城管"
KEY_ID = "AKIDopenday0000000001"
KEY_SECRET = "gateway-secret-for-tests"
APP_ID = "1400000001"


def tencent_templates():
    # Approved templates: ID -> the suggested Chinese text with {1}, {2}, ...
    return {
        f"10{number:02d}": _template(kind, lambda position, name: f"{{{position}}}")
        for number, kind in enumerate(PARAMETERS, 1)
        if kind != "live_notice"
    }


def aliyun_templates():
    # Approved templates: code -> the suggested Chinese text with ${name} variables.
    return {
        f"SMS_2000{number:02d}": _template(kind, lambda position, name: f"${{{name}}}")
        for number, kind in enumerate(PARAMETERS, 1)
        if kind != "live_notice"
    }


def _template(kind, variable):
    from django.utils import translation

    names = PARAMETERS[kind]
    with translation.override("zh-hans"):
        return sms_text(
            kind, {name: variable(position, name) for position, name in enumerate(names, 1)}
        )


def configured_templates(double_templates):
    """OPENDAY_SMS_TEMPLATES for the kinds the double has approved (live_notice: none)."""
    names = [name for name in PARAMETERS if name != "live_notice"]
    return dict(zip(names, double_templates, strict=True))


@pytest.fixture(params=["tencent", "aliyun"])
def gateway(request, settings):
    """A provider double on a free port, and the site configured to send through it."""
    if request.param == "tencent":
        double = TencentSmsDouble(
            key_id=KEY_ID,
            key_secret=KEY_SECRET,
            app_id=APP_ID,
            sign_name=SIGN_NAME,
            templates=tencent_templates(),
        )
    else:
        double = AliyunSmsDouble(
            key_id=KEY_ID, key_secret=KEY_SECRET, sign_name=SIGN_NAME, templates=aliyun_templates()
        )
    double.start()
    settings.OPENDAY_SMS_BACKEND = request.param
    settings.OPENDAY_SMS_ENDPOINT = double.url
    settings.OPENDAY_SMS_KEY_ID = KEY_ID
    settings.OPENDAY_SMS_KEY_SECRET = KEY_SECRET
    settings.OPENDAY_SMS_SIGN_NAME = SIGN_NAME
    settings.OPENDAY_SMS_APP_ID = APP_ID
    settings.OPENDAY_SMS_REGION = ""
    settings.OPENDAY_SMS_TIMEOUT = 3
    settings.OPENDAY_SMS_TEMPLATES = configured_templates(double.templates)
    double.provider = request.param
    yield double
    double.stop()


def send(kind="reminder", phone=PHONE, key="reminder:42"):
    params = {
        "reminder": ("城管执法体验日", "12月5日 09:30", "五四广场", "https://x.cn/r/Ab3dE5"),
        "verification_code": ("654321", "5"),
        "live_notice": ("城管执法体验日", "请从东门入场"),
    }[kind]
    return sms.send_sms(phone=phone, kind=kind, params=params, idempotency_key=key)


def test_gateway_sends_the_template_with_ordered_parameters_to_plus_86(gateway):
    result = send()
    assert result.status == sms.SmsStatus.SENT
    assert result.template_id == gateway_template(gateway, "reminder")
    [accepted] = gateway.accepted
    assert accepted["phone"] == "+8613800138000"
    assert accepted["template_id"] == result.template_id
    assert accepted["params"] == [
        "城管执法体验日",
        "12月5日 09:30",
        "五四广场",
        "https://x.cn/r/Ab3dE5",
    ]
    assert accepted["key"] == "reminder:42"
    assert (
        accepted["text"]
        == "提醒：城管执法体验日将于12月5日 09:30在五四广场开始。电子票或取消：https://x.cn/r/Ab3dE5"
    )
    assert result.provider_message_id
    assert accepted["message_id"] in result.provider_message_id


def gateway_template(gateway, kind):
    return configured_templates(gateway.templates)[kind]


def test_gateway_skips_a_kind_with_no_template_id_without_calling_the_provider(gateway):
    result = send("live_notice")
    assert result.status == sms.SmsStatus.SKIPPED
    assert gateway.requests == 0


@pytest.mark.parametrize(
    ("error", "temporary", "code"),
    [
        ("rate_limited", True, "rate_limited"),
        ("internal_error", True, "unavailable"),
        ("http_500", True, "unavailable"),
        ("invalid_number", False, "invalid_number"),
        ("insufficient_balance", False, "insufficient_balance"),
        ("template_not_approved", False, "template_not_approved"),
    ],
)
def test_gateway_error_is_classified_temporary_or_permanent(gateway, error, temporary, code):
    gateway.fail(error, phone="+8613800138000")
    with pytest.raises(sms.SmsError) as failed:
        send()
    assert failed.value.temporary is temporary
    assert failed.value.code == code
    expected_provider_code = gateway.errors[error][0]
    if expected_provider_code:
        assert failed.value.provider_code == expected_provider_code
    assert gateway.accepted == []
    # Another number is not affected.
    assert send(phone="13900139000").sent


def test_gateway_wrong_secret_is_refused_by_the_signature_check(gateway, settings):
    settings.OPENDAY_SMS_KEY_SECRET = "not-the-secret"
    with pytest.raises(sms.SmsPermanentError) as failed:
        send()
    assert failed.value.code == "auth_failed"
    assert failed.value.provider_code in {"AuthFailure.SignatureFailure", "SignatureDoesNotMatch"}
    assert gateway.accepted == []


def test_gateway_unknown_key_id_is_refused(gateway, settings):
    settings.OPENDAY_SMS_KEY_ID = "AKIDsomeoneelse"
    with pytest.raises(sms.SmsPermanentError) as failed:
        send()
    assert failed.value.code == "auth_failed"


def test_gateway_template_id_the_provider_does_not_know_is_not_approved(gateway, settings):
    settings.OPENDAY_SMS_TEMPLATES = {**settings.OPENDAY_SMS_TEMPLATES, "reminder": "999999"}
    with pytest.raises(sms.SmsPermanentError) as failed:
        send()
    assert failed.value.code == "template_not_approved"


def test_gateway_template_with_other_parameters_is_refused(gateway, settings):
    # The operator put the verification template's ID under the reminder kind.
    verification = gateway_template(gateway, "verification_code")
    settings.OPENDAY_SMS_TEMPLATES = {**settings.OPENDAY_SMS_TEMPLATES, "reminder": verification}
    with pytest.raises(sms.SmsPermanentError) as failed:
        send()
    assert failed.value.code == "template_not_approved"


def test_gateway_refuses_by_itself_past_the_balance_and_the_per_number_limit(gateway):
    gateway.per_number_limit = 1
    assert send().sent
    with pytest.raises(sms.SmsTemporaryError) as limited:
        send()
    assert limited.value.code == "rate_limited"
    gateway.balance = 0
    with pytest.raises(sms.SmsPermanentError) as broke:
        send(phone="13900139000")
    assert broke.value.code == "insufficient_balance"


def test_gateway_unreachable_is_temporary(gateway, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.OPENDAY_SMS_ENDPOINT = f"http://127.0.0.1:{closed_port}"
    with pytest.raises(sms.SmsTemporaryError) as failed:
        send()
    assert failed.value.code == "unavailable"


def test_gateway_slower_than_the_timeout_is_temporary(gateway, settings):
    settings.OPENDAY_SMS_TIMEOUT = 0.2
    gateway.delay = 1.5
    with pytest.raises(sms.SmsTemporaryError) as failed:
        send()
    assert failed.value.code == "unavailable"


def test_gateway_send_messages_reports_each_outcome(gateway):
    gateway.fail("invalid_number", phone="+8613900139000")
    connection = sms.get_connection()
    results = connection.send_messages(
        [
            sms.SmsMessage(PHONE, "verification_code", ("111111", "5")),
            sms.SmsMessage("13900139000", "verification_code", ("222222", "5")),
            sms.SmsMessage(PHONE, "live_notice", ("x", "y")),
        ]
    )
    assert [result.status for result in results] == ["sent", "failed", "skipped"]
    assert results[1].error.code == "invalid_number"


def test_gateway_takes_concurrent_senders(gateway):
    phones = [f"1380000{number:04d}" for number in range(40)]
    errors = []

    def worker(chunk):
        connection = sms.get_connection()
        for phone in chunk:
            try:
                connection.send(sms.SmsMessage(phone, "verification_code", ("123456", "5")))
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=worker, args=(phones[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(message["phone"] for message in gateway.accepted) == [
        f"+86{phone}" for phone in phones
    ]
    assert len({message["message_id"] for message in gateway.accepted}) == 40


def test_gateway_logs_no_number_code_or_parameter(gateway, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    send("verification_code")
    gateway.fail("invalid_number")
    with pytest.raises(sms.SmsError):
        send("verification_code")
    gateway.fail(None)
    logged = caplog.text + "".join(capfd.readouterr())
    assert "SMS verification_code sent" in caplog.text
    assert "SMS verification_code failed (permanent): invalid_number" in caplog.text
    for secret in ["13800138000", "138****8000", "654321", KEY_SECRET, "reminder:42"]:
        assert secret not in logged


def test_tencent_double_refuses_a_number_without_plus_86():
    # The real SDK, called as a careless client would: the double holds the contract.
    with TencentSmsDouble(
        key_id=KEY_ID,
        key_secret=KEY_SECRET,
        app_id=APP_ID,
        sign_name=SIGN_NAME,
        templates={"1001": 1},
    ) as double:
        host = double.url.removeprefix("http://")
        profile = ClientProfile(httpProfile=HttpProfile(protocol="http", endpoint=host))
        client = sms_client.SmsClient(
            credential.Credential(KEY_ID, KEY_SECRET), "ap-guangzhou", profile
        )
        request = models.SendSmsRequest()
        request.from_json_string(
            json.dumps(
                {
                    "PhoneNumberSet": ["13800138000"],
                    "SmsSdkAppId": APP_ID,
                    "SignName": SIGN_NAME,
                    "TemplateId": "1001",
                    "TemplateParamSet": ["x"],
                }
            )
        )
        response = client.SendSms(request)
    assert response.SendStatusSet[0].Code == "InvalidParameterValue.IncorrectPhoneNumber"
    assert double.accepted == []


def post_json(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_phone_verification_code_reaches_the_person_through_the_gateway(
    gateway, client, sub_event, settings
):
    settings.OPENDAY_PHONE_VERIFICATION = True
    asked = post_json(client, "/api/v1/verifications", {"phone": "+86 138 0013 8000"})
    assert asked.status_code == 202
    [accepted] = gateway.accepted
    assert accepted["phone"] == "+8613800138000"
    assert accepted["template_id"] == gateway_template(gateway, "verification_code")
    code, minutes = accepted["params"]
    assert accepted["text"] == f"您的开放日验证码：{code}，{minutes}分钟内有效，请勿告诉他人。"
    booked = post_json(
        client,
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        {
            "name": "王芳",
            "phone": PHONE,
            "consent": True,
            "verification_code": code,
            "verification_id": asked.json()["verification_id"],
        },
    )
    assert booked.status_code == 201


@pytest.mark.django_db
def test_phone_verification_refused_by_the_gateway_is_503_and_logs_no_number(
    gateway, client, caplog
):
    gateway.fail("rate_limited")
    asked = post_json(client, "/api/v1/verifications", {"phone": PHONE})
    assert asked.status_code == 503
    assert asked.json()["code"] == "sms_failed"
    assert "rate_limited" in caplog.text
    assert PHONE not in caplog.text
