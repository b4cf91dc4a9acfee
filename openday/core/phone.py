"""Mainland China mobile numbers: one normal form (11 digits) for every spelling people type.

The database stores only the normal form, so "one registration per phone" and the no-show
rule hold however the number was written.
"""

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

MOBILE = re.compile(r"1[3-9]\d{9}")
# Separators people put between digit groups, after NFKC has folded full-width forms.
SEPARATORS = re.compile(r"[\s\-.·()\u2010-\u2015\u2212]+")


def normalise_phone(value: str) -> str:
    """Return the 11-digit form of a mainland mobile number, or raise ValidationError.

    Accepts +86 / 0086 / 86 prefixes, spaces, dashes, dots, brackets and full-width digits.
    """
    if not isinstance(value, str):
        raise ValidationError(_("Enter a mobile phone number."), code="invalid")
    text = SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    elif text.startswith("86") and len(text) == 13:
        text = text[2:]
    if not text:
        raise ValidationError(_("Enter a mobile phone number."), code="required")
    if not text.isascii() or not text.isdigit():
        raise ValidationError(
            _("A mobile phone number has digits only, for example 138 0013 8000."),
            code="invalid",
        )
    if not MOBILE.fullmatch(text):
        raise ValidationError(
            _("Enter an 11-digit mainland mobile number starting with 1, e.g. 138 0013 8000."),
            code="invalid",
        )
    return text


def mask_phone(phone: str) -> str:
    """138****5678: what leaves the server outside staff exports."""
    if len(phone) != 11:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[7:]}"


def phone_digest(phone: str) -> str:
    """A keyed hash of a normalised phone number, wherever one is kept without the number
    (verification codes, cache keys): the same for the same number, useless without the
    site's secret key."""
    return salted_hmac("openday.privacy.phone", phone, algorithm="sha256").hexdigest()
