"""What goes to an SMS backend and what comes back."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from openday.core.phone import MOBILE

from ..kinds import PARAMETERS, sms_text


@dataclass(frozen=True)
class SmsMessage:
    """One text message: a template (by kind) and its ordered parameters, for one phone.

    `idempotency_key` names the message for whoever sends it: the gateways pass it on
    (Alibaba's OutId, Tencent's SessionContext) so a delivery report can be matched; it is
    never shown to the person. `text` is the message as the local backends show it, in
    the language active when the message was made; gateways send the template instead.
    """

    phone: str  # normalised: the 11 digits of a mainland mobile number
    kind: str
    params: tuple[str, ...] = ()
    idempotency_key: str = ""
    text: str = field(default="", compare=False, repr=False)

    def __post_init__(self):
        if self.kind not in PARAMETERS:
            raise ValueError(f"unknown message kind: {self.kind!r}")
        params = tuple(str(value) for value in self.params)
        expected = PARAMETERS[self.kind]
        if len(params) != len(expected):
            raise ValueError(f"{self.kind} takes {len(expected)} parameters: {expected}")
        if not (isinstance(self.phone, str) and MOBILE.fullmatch(self.phone)):
            # Said without the value: a number must not reach a log line.
            raise ValueError("the phone number is not 11 normalised digits")
        object.__setattr__(self, "params", params)
        if not self.text:
            object.__setattr__(self, "text", sms_text(self.kind, self.named_params))

    @property
    def international_phone(self) -> str:
        """The number as the gateways take it: +86 and the 11 digits."""
        return f"+86{self.phone}"

    @property
    def named_params(self) -> dict[str, str]:
        return dict(zip(PARAMETERS[self.kind], self.params, strict=True))


class SmsStatus(enum.StrEnum):
    SENT = "sent"  # the gateway accepted it (delivery to the handset is reported later)
    SKIPPED = "skipped"  # no template ID for its kind: not sent by SMS, by design
    FAILED = "failed"  # see `SmsResult.error`


class SmsError(Exception):
    """A gateway refused or could not take a message.

    `code` is ours and stable (the delivery record keeps it); `provider_code` is the
    provider's own. `temporary` says whether sending the same message later may work:
    the caller retries those with a backoff and gives up on the others. The text of the
    exception never carries the number, the parameters or the provider's message (which
    may quote them).
    """

    temporary = False

    def __init__(self, code: str, *, provider_code: str = "", request_id: str = ""):
        self.code = code
        self.provider_code = provider_code
        self.request_id = request_id
        super().__init__(f"{code} ({provider_code})" if provider_code else code)


class SmsTemporaryError(SmsError):
    """Worth trying again later: rate limited, throttled, network, timeout, provider 5xx."""

    temporary = True


class SmsPermanentError(SmsError):
    """Sending the same message again cannot work until someone changes something: the
    number, the template, the account (balance, keys, sign name)."""


# Our error codes. Temporary:
RATE_LIMITED = "rate_limited"  # too many messages to this number, or to the API
UNAVAILABLE = "unavailable"  # network error, timeout, provider internal error or 5xx
# Permanent:
INVALID_NUMBER = "invalid_number"  # not a number that can receive texts, or blocked
TEMPLATE_NOT_APPROVED = "template_not_approved"  # unknown, unapproved or mismatched template
INVALID_PARAMETERS = "invalid_parameters"  # parameters refused: too long, wrong count
SIGN_NAME_NOT_APPROVED = "sign_name_not_approved"
INSUFFICIENT_BALANCE = "insufficient_balance"  # the account has run out of messages
AUTH_FAILED = "auth_failed"  # wrong key ID or secret, signature refused, no permission
CONTENT_REFUSED = "content_refused"  # the provider's content filter
REJECTED = "rejected"  # any other refusal the provider gave


@dataclass(frozen=True)
class SmsResult:
    message: SmsMessage
    status: SmsStatus
    template_id: str = ""
    provider_message_id: str = ""
    error: SmsError | None = None

    @property
    def sent(self) -> bool:
        return self.status == SmsStatus.SENT
