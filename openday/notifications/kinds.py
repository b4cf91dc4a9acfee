"""The message kinds (fixed names, SPEC §3) and what each one says.

Chinese gateways send only templates the provider approved, filled with ordered
parameters. `PARAMETERS` is that order for each kind; `sms_text()` renders the suggested
template text locally (console, file and in-memory backends, and the e-mail channel's
opening sentence). docs/sms.md lists the same texts for operators to register.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    VERIFICATION_CODE = "verification_code", _("verification code")
    BOOKING_CONFIRMED = "booking_confirmed", _("booking confirmed")
    BOOKING_WAITLISTED = "booking_waitlisted", _("on the waiting list")
    WAITLIST_PROMOTED = "waitlist_promoted", _("promoted from the waiting list")
    BOOKING_CANCELLED = "booking_cancelled", _("booking cancelled")
    ACTIVITY_CHANGED = "activity_changed", _("activity changed")
    ACTIVITY_CANCELLED = "activity_cancelled", _("activity cancelled")
    REMINDER = "reminder", _("reminder")
    SURVEY_INVITATION = "survey_invitation", _("survey invitation")
    SUGGESTION_REPLIED = "suggestion_replied", _("reply to a suggestion")
    STAFF_MESSAGE = "staff_message", _("message from the organisers")
    MANAGE_LINK = "manage_link", _("manage link sent again")
    LIVE_NOTICE = "live_notice", _("notice on the day")


# Ordered template parameters. `link` is never stored: it is derived from the
# registration when the message is sent, so no record holds a manage token.
PARAMETERS: dict[str, tuple[str, ...]] = {
    Kind.VERIFICATION_CODE: ("code", "minutes"),
    Kind.BOOKING_CONFIRMED: ("activity", "time", "reference", "link"),
    Kind.BOOKING_WAITLISTED: ("activity", "link"),
    Kind.WAITLIST_PROMOTED: ("activity", "time", "reference", "link"),
    Kind.BOOKING_CANCELLED: ("activity", "link"),
    Kind.ACTIVITY_CHANGED: ("activity", "time", "venue", "link"),
    Kind.ACTIVITY_CANCELLED: ("activity", "time", "link"),
    Kind.REMINDER: ("activity", "time", "venue", "link"),
    Kind.SURVEY_INVITATION: ("activity", "link"),
    Kind.SUGGESTION_REPLIED: ("event", "link"),
    Kind.STAFF_MESSAGE: ("activity", "subject", "link"),
    Kind.MANAGE_LINK: ("activity", "link"),
    Kind.LIVE_NOTICE: ("activity", "notice"),
}

# Template parameters are kept short (a provider counts 70 characters per message).
MAX_PARAMETER_LENGTH = 20


def _texts() -> dict[str, str]:
    # Built on each call so that gettext follows the language active at that moment.
    return {
        Kind.VERIFICATION_CODE: gettext(
            "Your Open Day verification code is %(code)s, valid for %(minutes)s minutes. "
            "Do not tell it to anyone."
        ),
        Kind.BOOKING_CONFIRMED: gettext(
            "You are booked for %(activity)s at %(time)s, reference %(reference)s. Ticket: %(link)s"
        ),
        Kind.BOOKING_WAITLISTED: gettext(
            "%(activity)s is full; you are on the waiting list and will be told if a place "
            "frees up. Details: %(link)s"
        ),
        Kind.WAITLIST_PROMOTED: gettext(
            "A place freed up: you are booked for %(activity)s at %(time)s, reference "
            "%(reference)s. Ticket: %(link)s"
        ),
        Kind.BOOKING_CANCELLED: gettext(
            "Your registration for %(activity)s is cancelled. Details: %(link)s"
        ),
        Kind.ACTIVITY_CHANGED: gettext(
            "%(activity)s has changed: now %(time)s at %(venue)s. Details: %(link)s"
        ),
        Kind.ACTIVITY_CANCELLED: gettext(
            "We are sorry: %(activity)s on %(time)s is cancelled by the organisers and your "
            "registration has ended. Details: %(link)s"
        ),
        Kind.REMINDER: gettext(
            "Reminder: %(activity)s at %(time)s, %(venue)s. Ticket or cancel: %(link)s"
        ),
        Kind.SURVEY_INVITATION: gettext(
            "Thank you for coming to %(activity)s. Tell us how it was: %(link)s"
        ),
        Kind.SUGGESTION_REPLIED: gettext(
            "The organisers of %(event)s have answered your suggestion: %(link)s"
        ),
        Kind.STAFF_MESSAGE: gettext(
            "Message from the organisers of %(activity)s: %(subject)s. Details: %(link)s"
        ),
        Kind.MANAGE_LINK: gettext("Your registration for %(activity)s: %(link)s"),
        Kind.LIVE_NOTICE: gettext("%(activity)s: %(notice)s"),
    }


def sms_text(kind: str, params: dict[str, str]) -> str:
    """The message as the suggested template reads in the active language."""
    return _texts()[kind] % {name: params.get(name, "") for name in PARAMETERS[kind]}


def ordered_parameters(kind: str, params: dict[str, str]) -> list[str]:
    """The parameters in the order the provider's template numbers them ({1}, {2}, ...)."""
    return [str(params.get(name, "")) for name in PARAMETERS[kind]]


def shorten(text: str, length: int = MAX_PARAMETER_LENGTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= length else text[: length - 1] + "…"
