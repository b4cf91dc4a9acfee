import io

import pytest

from openday.privacy import sms
from openday.privacy.sms.backends.console import SmsBackend as ConsoleBackend


def test_send_sms_through_the_configured_backend(sms_outbox):
    assert sms.send_sms("13800138000", "你好") == 1
    assert sms_outbox == [sms.SmsMessage(phone="13800138000", text="你好")]


def test_console_backend_prints_the_text_with_the_number_masked():
    stream = io.StringIO()
    ConsoleBackend(stream=stream).send_messages([sms.SmsMessage("13800138000", "code 123456")])
    assert stream.getvalue() == "SMS to 138****8000: code 123456\n"


def test_file_backend_writes_one_file_per_message(settings, tmp_path):
    settings.OPENDAY_SMS_BACKEND = "openday.privacy.sms.backends.filebased.SmsBackend"
    settings.OPENDAY_SMS_FILE_PATH = tmp_path / "sms"
    sms.send_sms("13800138000", "第一条")
    sms.send_sms("13900139000", "第二条")
    texts = sorted(path.read_text(encoding="utf-8") for path in (tmp_path / "sms").iterdir())
    assert texts == ["To: 13800138000\n\n第一条\n", "To: 13900139000\n\n第二条\n"]


def test_file_backend_fails_silently_only_when_asked(settings, tmp_path):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.OPENDAY_SMS_FILE_PATH = tmp_path / "not-a-directory" / "sms"
    backend = "openday.privacy.sms.backends.filebased.SmsBackend"
    message = sms.SmsMessage("13800138000", "x")
    assert sms.get_connection(backend, fail_silently=True).send_messages([message]) == 0
    with pytest.raises(OSError):
        sms.get_connection(backend).send_messages([message])


def test_base_backend_demands_send_messages():
    with pytest.raises(NotImplementedError):
        sms.BaseSmsBackend().send_messages([])
