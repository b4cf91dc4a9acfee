import logging

from hypothesis import given
from hypothesis import strategies as st

from openday.privacy.logs import RedactPersonalData, redact


def test_redact_masks_phone_numbers_and_manage_tokens():
    line = "Not Found: /r/Qm9vLmJhci5iYXotMTIzNDU2Nzg5MA-_x/ for 13800138000 (ref 4HJK)"
    assert redact(line) == "Not Found: /r/<token>/ for 138****8000 (ref 4HJK)"


def test_redact_leaves_longer_digit_runs_alone():
    assert redact("order 1380013800012345") == "order 1380013800012345"


def test_log_filter_rewrites_the_formatted_message():
    record = logging.LogRecord(
        "django.request",
        logging.WARNING,
        __file__,
        1,
        "Not Found: %s",
        ("/r/abcdefghijklmnopqrst/",),
        None,
    )
    assert RedactPersonalData().filter(record)
    assert record.getMessage() == "Not Found: /r/<token>/"


@given(st.text())
def test_redact_never_leaves_a_mobile_number(text):
    cleaned = redact(text)
    import re

    assert not re.search(r"(?<!\d)1[3-9]\d{9}(?!\d)", cleaned)
