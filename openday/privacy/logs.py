"""Log records without personal data: phone numbers masked, manage tokens cut out."""

import logging
import re

# A mainland mobile number not embedded in a longer run of digits.
PHONE = re.compile(r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)")
# Every path that carries a registration's manage token (a bearer secret), whatever the
# token looks like: the pages under /r/<token>/ (the survey among them), the survey's
# first address, and the API's /api/v1/registrations/<token>.
TOKEN_PATH = re.compile(r"(/r/|/feedback/survey/|/api/v1/registrations/)[^/\s?#\"'<>]+")


def redact(text: str) -> str:
    text = PHONE.sub(r"\1****\2", text)
    return TOKEN_PATH.sub(r"\1<token>", text)


class RedactPersonalData(logging.Filter):
    """Rewrites each record's message before any handler formats it. Django's request
    logger writes the path of every 4xx and 5xx ("Not Found: /r/<token>/")."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is still logged as it is
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg = cleaned
            record.args = None
        return True
