"""The SMS contract through the local backends (console, file, in memory): kinds, ordered
parameters, template lookup and the skipped outcome."""

import io

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import translation

from openday.notifications import sms
from openday.notifications.sms.backends.console import SmsBackend as ConsoleBackend

PHONE = "13800138000"


def test_send_sms_through_the_configured_backend_returns_a_sent_result(sms_outbox):
    result = sms.send_sms(phone=PHONE, kind="manage_link", params=["参观", "https://x.cn/m/1"])
    assert result.status == sms.SmsStatus.SENT
    assert result.provider_message_id.startswith("locmem-")
    assert sms_outbox == [sms.SmsMessage(PHONE, "manage_link", ("参观", "https://x.cn/m/1"))]


def test_message_text_is_the_kinds_template_in_the_active_language(sms_outbox):
    with translation.override("zh-hans"):
        sms.send_sms(phone=PHONE, kind="verification_code", params=["123456", "5"])
    assert sms_outbox[0].text == "您的开放日验证码：123456，5分钟内有效，请勿告诉他人。"


def test_message_refuses_an_unknown_kind_a_wrong_parameter_count_and_a_raw_number():
    with pytest.raises(ValueError, match="unknown message kind"):
        sms.SmsMessage(PHONE, "birthday", ())
    with pytest.raises(ValueError, match="takes 2 parameters"):
        sms.SmsMessage(PHONE, "verification_code", ("123456",))
    with pytest.raises(ValueError) as refused:
        sms.SmsMessage("+86 138 0013 8000", "manage_link", ("x", "y"))
    assert "138" not in str(refused.value)


def test_message_gives_the_number_to_gateways_with_plus_86():
    message = sms.SmsMessage(PHONE, "manage_link", ("x", "y"))
    assert message.international_phone == "+8613800138000"


def test_local_backend_skips_kinds_missing_from_listed_templates(settings, sms_outbox):
    settings.OPENDAY_SMS_TEMPLATES = {"verification_code": "1001"}
    skipped = sms.send_sms(phone=PHONE, kind="reminder", params=["参观", "明天", "广场", "x"])
    sent = sms.send_sms(phone=PHONE, kind="verification_code", params=["123456", "5"])
    assert skipped.status == sms.SmsStatus.SKIPPED
    assert (sent.status, sent.template_id) == (sms.SmsStatus.SENT, "1001")
    assert [message.kind for message in sms_outbox] == ["verification_code"]


def test_send_messages_answers_each_message_and_keeps_failures_apart(settings, sms_outbox):
    class HalfBroken(sms.BaseSmsBackend):
        requires_templates = False

        def deliver(self, message, template_id):
            if message.kind == "reminder":
                raise sms.SmsPermanentError("invalid_number", provider_code="X")
            return "id-1"

    messages = [
        sms.SmsMessage(PHONE, "manage_link", ("x", "y")),
        sms.SmsMessage(PHONE, "reminder", ("a", "b", "c", "d")),
    ]
    results = HalfBroken().send_messages(messages)
    assert [result.status for result in results] == [sms.SmsStatus.SENT, sms.SmsStatus.FAILED]
    assert results[1].error.code == "invalid_number"
    assert results[1].error.temporary is False


def test_console_backend_prints_the_text_with_the_number_masked():
    stream = io.StringIO()
    message = sms.SmsMessage(PHONE, "manage_link", ("参观", "https://x.cn/m/1"), text="code 123456")
    ConsoleBackend(stream=stream).send(message)
    assert stream.getvalue() == "SMS to 138****8000: code 123456\n"


def test_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.OPENDAY_SMS_BACKEND = "file"
    settings.OPENDAY_SMS_FILE_PATH = tmp_path / "sms"
    with translation.override("zh-hans"):
        sms.send_sms(phone=PHONE, kind="manage_link", params=["参观", "https://x.cn/1"])
        sms.send_sms(phone="13900139000", kind="manage_link", params=["参观", "https://x.cn/2"])
    texts = sorted(path.read_text(encoding="utf-8") for path in (tmp_path / "sms").iterdir())
    assert texts == [
        f"To: {PHONE}\n\n您报名的参观：https://x.cn/1\n",
        "To: 13900139000\n\n您报名的参观：https://x.cn/2\n",
    ]


def test_file_backend_reports_an_unwritable_directory_as_temporary(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.OPENDAY_SMS_FILE_PATH = blocker / "sms"
    with pytest.raises(sms.SmsTemporaryError) as failed:
        sms.get_connection("file").send(sms.SmsMessage(PHONE, "manage_link", ("x", "y")))
    assert failed.value.code == "unavailable"


def test_file_backend_refuses_a_file_as_its_directory(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ImproperlyConfigured):
        sms.get_connection("file", file_path=blocker)


def test_backend_names_resolve_to_classes_and_dotted_paths_pass_through():
    assert sms.backend_path("console").endswith("console.SmsBackend")
    assert sms.backend_path("LOCMEM").endswith("locmem.SmsBackend")
    assert sms.backend_path("my.own.Backend") == "my.own.Backend"


def test_base_backend_demands_deliver():
    with pytest.raises(NotImplementedError):
        sms.BaseSmsBackend(templates={"manage_link": "1"}).send(
            sms.SmsMessage(PHONE, "manage_link", ("x", "y"))
        )
