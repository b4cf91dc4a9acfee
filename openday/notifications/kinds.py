"""Every message kind the site sends, with its ordered template parameters: defined once.

Chinese SMS gateways send only templates the operator registered and the provider approved,
filled with parameters. So a kind is a contract between this code and the operator's
template: the parameters go in the order listed here (Tencent Cloud numbers them {1}, {2},
...), under the names listed here (Alibaba Cloud names them ${activity}, ...).
`docs/sms.md` shows each template, built from the `text` below (its Chinese translation is
the suggested template text), and what each costs.

The names of the kinds are fixed (SPEC §3): operators key OPENDAY_SMS_TEMPLATES on them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

# The longest value each parameter may carry. Providers refuse a template whose variables
# run long, and every 67 characters past 70 costs one more message, so an activity's title
# or a venue's name is shortened (with an ellipsis) rather than refused. A code, reference
# or link cut short would not work: one too long is a mistake of the caller's.
PARAMETER_MAX_LENGTHS = {
    "code": 6,  # the one-time code: 6 digits
    "minutes": 2,  # how long the code lasts
    "activity": 20,  # the activity's title
    "time": 12,  # "12月5日 09:30"
    "venue": 20,  # the venue's name
    "ref": 8,  # the booking reference
    "link": 40,  # a short link to the booking or a page of the site
}

SHORTENED = {"activity", "time", "venue"}
ELLIPSIS = "…"


@dataclass(frozen=True)
class MessageKind:
    name: str
    params: tuple[str, ...]
    # English source text with {name} placeholders; its zh-hans translation is the template
    # text we suggest to register with the provider (and what local backends show).
    text: str

    def params_from(self, **values) -> tuple[str, ...]:
        """The ordered parameters of this kind from keyword values, titles and names cut to
        their maximum length. Raises TypeError for a missing or unknown parameter and
        ValueError for a code, reference or link too long to send."""
        missing = [name for name in self.params if name not in values]
        unknown = [name for name in values if name not in self.params]
        if missing or unknown:
            raise TypeError(
                f"{self.name} takes {', '.join(self.params) or 'no parameters'}; "
                f"missing {missing}, unknown {unknown}"
            )
        return tuple(shorten(name, values[name]) for name in self.params)

    def render(self, params) -> str:
        """The text of a message of this kind in the active language."""
        return str(self.text).format(**dict(zip(self.params, params, strict=True)))


def shorten(name: str, value) -> str:
    text = " ".join(str(value).split())
    limit = PARAMETER_MAX_LENGTHS[name]
    if len(text) <= limit:
        return text
    if name not in SHORTENED:
        raise ValueError(f"the {name} parameter is longer than {limit} characters")
    return text[: limit - len(ELLIPSIS)] + ELLIPSIS


KINDS: dict[str, MessageKind] = {
    kind.name: kind
    for kind in [
        MessageKind(
            "verification_code",
            ("code", "minutes"),
            _(
                "Your Open Day verification code is {code}, valid for {minutes} minutes. "
                "Do not tell it to anyone."
            ),
        ),
        MessageKind(
            "booking_confirmed",
            ("activity", "time", "ref", "link"),
            _("You are booked for {activity} at {time}, reference {ref}. Ticket: {link}"),
        ),
        MessageKind(
            "booking_waitlisted",
            ("activity", "link"),
            _(
                "You are on the waiting list for {activity}. We will text you if a place "
                "frees up. Details: {link}"
            ),
        ),
        MessageKind(
            "waitlist_promoted",
            ("activity", "time", "link"),
            _("A place freed up: you are booked for {activity} at {time}. Ticket: {link}"),
        ),
        MessageKind(
            "booking_cancelled",
            ("activity", "link"),
            _("Your booking for {activity} is cancelled. Details: {link}"),
        ),
        MessageKind(
            "activity_changed",
            ("activity", "time", "venue", "link"),
            _("{activity} has changed: now {time} at {venue}. Details: {link}"),
        ),
        MessageKind(
            "activity_cancelled",
            ("activity", "link"),
            _(
                "We are sorry: the organiser has cancelled {activity} and your booking has "
                "ended. Details: {link}"
            ),
        ),
        MessageKind(
            "reminder",
            ("activity", "time", "venue", "link"),
            _("Reminder: {activity} starts {time} at {venue}. Ticket: {link}"),
        ),
        MessageKind(
            "survey_invitation",
            ("activity", "link"),
            _("Thank you for coming to {activity}. Tell us what you thought: {link}"),
        ),
        MessageKind(
            "suggestion_replied",
            ("link",),
            _("The organisers have replied to your suggestion: {link}"),
        ),
        MessageKind(
            "staff_message",
            ("activity", "link"),
            _("The organisers of {activity} sent you a message: {link}"),
        ),
        MessageKind(
            "manage_link",
            ("link",),
            _("Your Open Day booking: {link}"),
        ),
        MessageKind(
            "live_notice",
            ("activity", "link"),
            _("A notice about {activity} today: {link}"),
        ),
    ]
}
