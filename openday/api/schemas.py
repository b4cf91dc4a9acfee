"""What the JSON API accepts and returns (SPEC §3). Input is checked here, field by field,
with messages in the client's language; the booking rules stay in the service."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Literal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from ninja import Field, Schema
from pydantic import field_validator
from pydantic_core import PydanticCustomError

from openday.core.phone import normalise_phone
from openday.registrations.services import normalise_invitation_code, normalise_name

SLUG_PATTERN = r"^[-a-zA-Z0-9_]+$"
MAX_ID = 2**63 - 1


def _printable(value: str) -> str:
    """Refuse control characters, lone surrogates and unassigned code points: databases
    reject some of them (PostgreSQL: NUL) and none belongs in a name."""
    for char in value:
        category = unicodedata.category(char)
        # White space (tabs, line breaks) is no control character here: the normalisers
        # fold it into single spaces, as the web form does.
        if category in {"Cs", "Cn", "Co"} or (category == "Cc" and not char.isspace()):
            raise PydanticCustomError("invalid_characters", _("Remove the invisible characters."))
    return value


def _checked_phone(value: str) -> str:
    try:
        return normalise_phone(_printable(value))
    except DjangoValidationError as error:
        raise PydanticCustomError("invalid_phone", str(error.messages[0])) from error


class ErrorOut(Schema):
    code: str = Field(description="Stable, for programs: full, duplicate, closed, ...")
    message: str = Field(description="For people, in the language of Accept-Language.")


class RateLimitedOut(ErrorOut):
    retry_after: int = Field(description="Seconds to wait; also in the Retry-After header.")


class ValidationErrorOut(Schema):
    code: Literal["invalid"]
    message: str
    errors: dict[str, list[str]] = Field(
        description="Messages per field name (`body` when the body is not an object)."
    )


class NotFoundOut(Schema):
    code: Literal["not_found"]
    message: str


class EventOut(Schema):
    slug: str
    title: str
    theme: str
    organiser: str
    starts_on: dt.date
    ends_on: dt.date
    description: str
    url: str


class VenueOut(Schema):
    name: str
    address: str
    latitude: float | None
    longitude: float | None


class SubEventOut(Schema):
    id: int
    event: str = Field(description="The open day's slug.")
    title: str
    district: str | None = Field(description="The district's slug; null for city-wide.")
    district_name: str | None
    format: str | None = Field(description="The activity format's slug.")
    format_name: str | None
    venue: VenueOut
    is_main_venue: bool
    starts_at: dt.datetime
    ends_at: dt.datetime
    capacity: int
    places_left: int = Field(description="Public places still free (invitation seats excluded).")
    registration_open: bool
    waitlist: bool
    max_party_size: int
    availability: str
    is_cancelled: bool
    url: str


class ParticipantIn(Schema):
    name: str = Field(max_length=100)
    phone: str = Field("", max_length=32, description="Optional mobile number.")


class RegistrationIn(Schema):
    name: str = Field(max_length=100)
    phone: str = Field(max_length=32, description="Mainland mobile number, any spelling.")
    email: str = Field("", max_length=254)
    party_size: int = Field(
        1,
        ge=1,
        le=200,
        description=(
            "People coming, the person booking included. Beyond the activity's "
            "`max_party_size` only for a group booked with an invitation code, naming "
            "every other member in `participants`."
        ),
    )
    invitation_code: str = Field("", max_length=32)
    consent: bool = Field(description="Must be true: consent to the use of personal data.")
    needs: list[Literal["wheelchair", "sign_language", "large_print", "other"]] = Field(
        default_factory=list,
        max_length=4,
        description="Accessibility needs, optional.",
    )
    needs_note: str = Field("", max_length=200, description="Other needs, in a few words.")
    participants: list[ParticipantIn] = Field(
        default_factory=list,
        max_length=199,
        description="The other members of a group, one each (party_size is 1 + their number).",
    )
    verification_code: str = Field(
        "",
        max_length=20,
        description=(
            "The 6-digit code texted by `POST /verifications`; required when the site checks "
            "phone numbers (otherwise ignored)."
        ),
    )
    verification_id: str = Field(
        "",
        max_length=64,
        description=(
            "The `verification_id` that `POST /verifications` answered to this client; "
            "required with `verification_code`."
        ),
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        # Cleaned by the service's normaliser; here only the message is worded.
        value = normalise_name(_printable(value))
        if not value:
            raise PydanticCustomError("required", _("Enter your name."))
        return value

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _checked_phone(value)

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = _printable(value).strip()
        if value:
            try:
                validate_email(value)
            except DjangoValidationError as error:
                raise PydanticCustomError(
                    "invalid_email", _("Enter a valid e-mail address.")
                ) from error
        return value

    @field_validator("invitation_code")
    @classmethod
    def _invitation_code(cls, value: str) -> str:
        return normalise_invitation_code(_printable(value))

    @field_validator("needs_note")
    @classmethod
    def _needs_note(cls, value: str) -> str:
        return _printable(value).strip()

    @field_validator("consent")
    @classmethod
    def _consent(cls, value: bool) -> bool:
        if value is not True:
            raise PydanticCustomError(
                "consent_required",
                _("Registration needs your consent to the use of your personal data."),
            )
        return value


class VerificationIn(Schema):
    phone: str = Field(max_length=32, description="Mainland mobile number, any spelling.")

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        return _checked_phone(value)


class VerificationSentOut(Schema):
    message: str = Field(description="For people, in the language of Accept-Language.")
    verification_id: str = Field(
        description=(
            "Send it back as `verification_id` with the code: the code is accepted only "
            "together with this ID, which only this client received."
        )
    )


class RegistrationCreatedOut(Schema):
    reference: str
    status: Literal["confirmed", "waitlisted"]
    token: str = Field(description="Secret: lets its holder see and cancel the registration.")
    manage_url: str = Field(description="Absolute link to the registration's page.")


class RegistrationOut(Schema):
    reference: str
    status: Literal["confirmed", "waitlisted", "cancelled"]
    name: str
    phone: str = Field(description="Masked: 138****5678.")
    party_size: int
    checked_in: bool
    created_at: dt.datetime
    cancelled_at: dt.datetime | None
    sub_event: SubEventOut
