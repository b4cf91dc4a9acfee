"""The JSON API under /api/v1/ (SPEC §3): thin handlers over the same querysets and booking
service as the pages. Every refusal is a JSON body with a stable `code`; nothing a client
sends can cause a 5xx."""

from __future__ import annotations

import datetime as dt
import functools

from django.db.models import Q
from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from ninja import Header, NinjaAPI, Path, Query, Status
from ninja.decorators import decorate_view
from ninja.errors import HttpError, ValidationError

from openday.core import ratelimit
from openday.core.conditional import etag_from_content
from openday.core.network import client_network
from openday.core.outage import OUTAGE_ERRORS, unavailable_response
from openday.events.models import Event, SubEvent
from openday.events.pages import cache_public_page
from openday.privacy import verification
from openday.registrations import idempotency, manage_link, services
from openday.registrations.models import Registration

from .schemas import (
    MAX_ID,
    SLUG_PATTERN,
    ErrorOut,
    EventOut,
    NotFoundOut,
    RateLimitedOut,
    RegistrationCreatedOut,
    RegistrationIn,
    RegistrationOut,
    SubEventOut,
    ValidationErrorOut,
    VerificationIn,
    VerificationSentOut,
)
from .staff import router as staff_router

api = NinjaAPI(
    title="Open Day API",
    version="1",
    description=(
        "The public programme of the open day and registration for its activities. "
        "Errors carry a stable `code`; `message` follows Accept-Language. While the "
        "database cannot be reached, every answer is `503` with `Retry-After` and `code` "
        "`unavailable`."
    ),
    urls_namespace="api",
)

api.add_router("/staff", staff_router)

NOT_FOUND = {404: NotFoundOut, 422: ValidationErrorOut}
BODY_ERRORS = {400: ErrorOut, 404: NotFoundOut, 415: ErrorOut, 422: ValidationErrorOut}
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def json_writes_only(view):
    """Every write takes `Content-Type: application/json` and nothing else, body or not.

    A web page may send `text/plain`, a form or an empty POST to another site without
    asking the browser first (a "simple" request), carrying its visitors' cookies and
    addresses; JSON needs a preflight, which this API never grants. Checked before the
    request is read, for every operation of the API."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args, **kwargs):
        if request.method in WRITE_METHODS and request.content_type != "application/json":
            return api.create_response(
                request,
                {
                    "code": "unsupported_media_type",
                    "message": _("Send the request as JSON, with Content-Type: application/json."),
                },
                status=415,
            )
        return view(request, *args, **kwargs)

    return checked


api.add_decorator(json_writes_only, mode="view")


def readable(path: str, **kwargs):
    """`GET` and `HEAD` for a read: uptime monitors and link checkers ask `HEAD`, which is
    `GET` without the body (the server drops it). `HEAD` stays out of the schema, where it
    would repeat every read."""

    def register(view):
        api.api_operation(["HEAD"], path, response=kwargs.get("response"), include_in_schema=False)(
            view
        )
        return api.get(path, **kwargs)(view)

    return register


# --- Errors ---------------------------------------------------------------------------


def _field_message(error: dict) -> str:
    """A message in the client's language for one pydantic error."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind in {
        "required",
        "invalid_phone",
        "invalid_email",
        "invalid_characters",
        "consent_required",
    }:
        return error["msg"]
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_long":
        return _("Use at most %(max)d characters.") % {"max": ctx.get("max_length", 0)}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"greater_than_equal", "less_than_equal", "greater_than", "less_than"}:
        return _("Enter a number in the allowed range.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind in {"string_type"}:
        return _("Enter text.")
    if kind in {"date_parsing", "date_from_datetime_parsing", "date_type"}:
        return _("Enter a date as YYYY-MM-DD.")
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Send a JSON object.")
    if kind == "string_pattern_mismatch":
        return _("Use only letters, digits, hyphens and underscores.")
    return _("Enter a valid value.")


def _field_name(loc: tuple | list) -> str:
    # ninja prefixes the source and, for a body, the parameter name: ("body",
    # "payload", "phone") → "phone"; ("query", "date") → "date".
    parts = [str(part) for part in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]
        return ".".join(parts) or "body"
    return ".".join(parts[1:]) or "body"


def _invalid(errors: dict[str, list[str]]) -> dict:
    return {
        "code": "invalid",
        "message": _("Please correct the errors below."),
        "errors": errors,
    }


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError):
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        errors.setdefault(_field_name(error.get("loc", ())), []).append(_field_message(error))
    return api.create_response(request, _invalid(errors), status=422)


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return api.create_response(
        request, {"code": "not_found", "message": _("Not found.")}, status=404
    )


def database_unavailable(request: HttpRequest, exc: Exception):
    # Also with DEBUG on, where ninja would answer a traceback as text.
    return unavailable_response(request, exc)


for _outage_error in OUTAGE_ERRORS:
    api.add_exception_handler(_outage_error, database_unavailable)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    # ninja raises HttpError(400) for a body that is not JSON (or too large to read).
    return api.create_response(
        request,
        {"code": "bad_request", "message": _("The request body is not valid JSON.")},
        status=exc.status_code,
    )


def _rate_limited(request: HttpRequest, wait: int, error: services.BookingError | None = None):
    """429 with Retry-After: too many attempts from this client or for this phone, or
    (`error` is `Busy`) too many bookings at this very moment."""
    message = (
        str(error.message)
        if error is not None
        else _("Too many attempts. Please wait %(seconds)d seconds and try again.")
        % {"seconds": wait}
    )
    response = api.create_response(
        request,
        {
            "code": error.code if error is not None else "rate_limited",
            "message": message,
            "retry_after": wait,
        },
        status=429,
    )
    response["Retry-After"] = str(wait)
    return response


# --- Output ---------------------------------------------------------------------------


def _event_out(request: HttpRequest, event: Event) -> dict:
    return {
        "slug": event.slug,
        "title": event.title,
        "theme": event.theme,
        "organiser": event.organiser,
        "starts_on": event.starts_on,
        "ends_on": event.ends_on,
        "description": event.description,
        "url": request.build_absolute_uri(event.get_absolute_url()),
    }


def _sub_event_out(request: HttpRequest, sub_event: SubEvent) -> dict:
    venue = sub_event.venue
    return {
        "id": sub_event.pk,
        "event": sub_event.event.slug,
        "title": sub_event.title,
        "district": sub_event.district.slug if sub_event.district else None,
        "district_name": sub_event.district.name if sub_event.district else None,
        "format": sub_event.format.slug if sub_event.format else None,
        "format_name": sub_event.format.name if sub_event.format else None,
        "venue": {
            "name": venue.name,
            "address": venue.address,
            "latitude": float(venue.latitude) if venue.latitude is not None else None,
            "longitude": float(venue.longitude) if venue.longitude is not None else None,
        },
        "is_main_venue": sub_event.is_main_venue,
        "starts_at": sub_event.starts_at,
        "ends_at": sub_event.ends_at,
        "capacity": sub_event.capacity,
        "places_left": sub_event.places_left,
        "registration_open": sub_event.registration_open,
        "waitlist": sub_event.waitlist_enabled,
        "max_party_size": sub_event.max_party_size,
        "availability": sub_event.availability,
        "is_cancelled": sub_event.is_cancelled,
        "url": request.build_absolute_uri(
            f"/events/{sub_event.event.slug}/activities/{sub_event.pk}/"
        ),
    }


def _registration_out(request: HttpRequest, registration: Registration) -> dict:
    sub_event = SubEvent.objects.for_listing().get(pk=registration.sub_event_id)
    return {
        "reference": registration.reference,
        "status": registration.status,
        "name": registration.name,
        "phone": registration.masked_phone,
        "party_size": registration.party_size,
        "checked_in": registration.checked_in_at is not None,
        "created_at": registration.created_at,
        "cancelled_at": registration.cancelled_at,
        "sub_event": _sub_event_out(request, sub_event),
    }


def _public_sub_events():
    return SubEvent.objects.published().for_listing()


# --- Programme ------------------------------------------------------------------------
# Public reads are served from the page cache (a few seconds, never past a registration
# window's edge, dropped when staff change the programme) with an ETag, like the pages.


@readable("/events", response=list[EventOut], tags=["programme"])
@decorate_view(cache_public_page, etag_from_content)
def list_events(request: HttpRequest):
    """Published open days, the latest first."""
    return [_event_out(request, event) for event in Event.objects.published()]


@readable("/events/{slug}", response={200: EventOut, **NOT_FOUND}, tags=["programme"])
@decorate_view(cache_public_page, etag_from_content)
def get_event(request: HttpRequest, slug: str = Path(..., pattern=SLUG_PATTERN, max_length=80)):
    event = Event.objects.published().filter(slug=slug).first()
    if event is None:
        raise Http404
    return _event_out(request, event)


@readable(
    "/subevents", response={200: list[SubEventOut], 422: ValidationErrorOut}, tags=["programme"]
)
@decorate_view(cache_public_page, etag_from_content)
def list_sub_events(
    request: HttpRequest,
    event: str | None = Query(None, pattern=SLUG_PATTERN, max_length=80),
    district: str | None = Query(None, pattern=SLUG_PATTERN, max_length=60),
    format: str | None = Query(None, pattern=SLUG_PATTERN, max_length=60),  # noqa: A002
    date: dt.date | None = Query(None, description="Activities starting on this day."),  # noqa: B008
):
    """Published activities, in the order they start. Filters take slugs."""
    sub_events = _public_sub_events()
    if event:
        sub_events = sub_events.filter(event__slug=event)
    if district:
        sub_events = sub_events.filter(district__slug=district)
    if format:
        sub_events = sub_events.filter(format__slug=format)
    if date:
        if not dt.date(1900, 1, 1) <= date <= dt.date(9000, 1, 1):
            # Nothing happens then, and the day's bounds in UTC would not fit a datetime.
            return []
        tz = timezone.get_current_timezone()
        start = dt.datetime.combine(date, dt.time.min, tzinfo=tz)
        sub_events = sub_events.filter(
            Q(starts_at__gte=start), Q(starts_at__lt=start + dt.timedelta(days=1))
        )
    return [_sub_event_out(request, sub_event) for sub_event in sub_events]


@readable("/subevents/{id}", response={200: SubEventOut, **NOT_FOUND}, tags=["programme"])
@decorate_view(cache_public_page, etag_from_content)
def get_sub_event(request: HttpRequest, id: int = Path(..., ge=1, le=MAX_ID)):  # noqa: A002
    sub_event = _public_sub_events().filter(pk=id).first()
    if sub_event is None:
        raise Http404
    return _sub_event_out(request, sub_event)


# --- Registration ---------------------------------------------------------------------


@api.post(
    "/verifications",
    response={
        202: VerificationSentOut,
        429: RateLimitedOut,
        503: ErrorOut,
        400: ErrorOut,
        415: ErrorOut,
        422: ValidationErrorOut,
    },
    tags=["registration"],
)
def create_verification(request: HttpRequest, payload: VerificationIn):
    """Text a 6-digit code to a phone number, for `verification_code` when registering
    (only needed when the site checks phone numbers). The answer carries a
    `verification_id`, to send back with the code: the code works only with it, so
    nobody else can use up or replace this client's code. The answer is the same whether
    or not the number is registered for anything. `429` with Retry-After when the number or
    the client asked too often; `503` `sms_failed` when the text could not be sent."""
    try:
        verification_id = verification.verification_send(
            phone=payload.phone, client_address=client_network(request)
        )
    except verification.VerificationRateLimited as error:
        response = api.create_response(
            request,
            {"code": error.code, "message": str(error.message), "retry_after": 60},
            status=429,
        )
        response["Retry-After"] = "60"
        return response
    except verification.VerificationSendFailed as error:
        return Status(503, {"code": error.code, "message": str(error.message)})
    return Status(
        202,
        {
            "message": _("A code is on its way by text message. It is valid for a few minutes."),
            "verification_id": verification_id,
        },
    )


# Refusals of the booking service that concern one field of the input.
FIELD_OF_REFUSAL = {
    "invalid_code": "invitation_code",
    "invalid_party_size": "party_size",
    "invalid_name": "name",
    "invalid_participants": "participants",
}


@api.post(
    "/subevents/{id}/registrations",
    response={
        201: RegistrationCreatedOut,
        409: ErrorOut,
        429: RateLimitedOut,
        503: ErrorOut,
        **BODY_ERRORS,
    },
    tags=["registration"],
)
def create_registration(
    request: HttpRequest,
    payload: RegistrationIn,
    id: int = Path(..., ge=1, le=MAX_ID),  # noqa: A002
    idempotency_key: str = Header(
        "",
        alias="Idempotency-Key",
        max_length=idempotency.KEY_MAX_LENGTH,
        pattern=r"^[\x21-\x7e]*$",
        description=(
            "Optional, recommended: a random value (a UUID) made once per booking the "
            "client means to make. The same key sent again within a day for the same "
            "activity and phone number gets the first `201` again (same reference, "
            "status, token and manage_url) instead of `409 duplicate`, so a client whose "
            "answer was lost can retry safely. Refusals are not remembered."
        ),
    ),
):
    """Register for an activity. `201` with `status` confirmed or waitlisted; `409` with
    `code` closed, or `refused` when the activity is full or the number may not book it
    (it holds a place here or at the same time, or is suspended for missed activities):
    one answer, so that nobody learns about a number by typing it. Where the site checks
    phone numbers, a verified number hears which: full, duplicate, overlap or suspended.
    `422` with messages per field (among
    them `verification_code` when the site checks phone numbers); `429`
    with Retry-After and `code` rate_limited (too many attempts from one client or for
    one phone) or busy (the database could not take the booking in time); `503` with
    Retry-After and `code` unavailable while the database cannot be reached (nothing
    was booked: retry, with the same `Idempotency-Key`)."""
    wait = ratelimit.retry_after(request, phone=payload.phone, scope="booking")
    if wait is not None:
        return _rate_limited(request, wait)
    earlier = idempotency.earlier_answer(key=idempotency_key, sub_event_id=id, phone=payload.phone)
    if earlier is not None:
        return Status(201, _created(request, earlier))
    if verification.verification_required():
        # Just before the booking and outside any transaction: a wrong guess stays counted.
        if not payload.verification_code.strip():
            return Status(422, _invalid({"verification_code": [_("Enter the code.")]}))
        try:
            verification.verification_check(
                phone=payload.phone,
                code=payload.verification_code,
                verification_id=payload.verification_id,
            )
        except verification.VerificationError as error:
            return Status(422, _invalid({"verification_code": [str(error.message)]}))
    try:
        booking = services.registration_create(
            sub_event_id=id,
            name=payload.name,
            phone=payload.phone,
            email=payload.email,
            party_size=payload.party_size,
            invitation_code=payload.invitation_code,
            source=Registration.Source.API,
            language=request.LANGUAGE_CODE,
            needs=payload.needs,
            needs_note=payload.needs_note,
            idempotency_key=idempotency_key,
            participants=[member.model_dump() for member in payload.participants],
        )
    except SubEvent.DoesNotExist as error:
        raise Http404 from error
    except services.Busy as error:
        return _rate_limited(request, 1, error)
    except services.RegistrationClosed as error:
        # Unpublished activities are not to be found through the API at all; checked
        # only here, so that a booking costs no query for it.
        if not SubEvent.objects.published().filter(pk=id).exists():
            raise Http404 from error
        return Status(409, {"code": error.code, "message": str(error.message)})
    except (
        services.InvalidInvitationCode,
        services.InvalidPartySize,
        services.InvalidName,
        services.InvalidParticipants,
    ) as error:
        # Refusals about one field of the input: reported like any other invalid field.
        return Status(422, _invalid({FIELD_OF_REFUSAL[error.code]: [str(error.message)]}))
    except services.BookingError as error:
        # The same request twice at once: the first may have booked while this one waited.
        earlier = idempotency.earlier_answer(
            key=idempotency_key, sub_event_id=id, phone=payload.phone
        )
        if earlier is not None:
            return Status(201, _created(request, earlier))
        error = services.public_refusal(
            error,
            phone_verified=verification.verification_required(),
            sub_event_id=id,
            phone=payload.phone,
        )
        return Status(409, {"code": error.code, "message": str(error.message)})
    return Status(
        201,
        _created(
            request,
            idempotency.Answer(
                reference=booking.registration.reference,
                status=booking.registration.status,
                token=booking.token,
            ),
        ),
    )


def _created(request: HttpRequest, answer: idempotency.Answer) -> dict:
    return {
        "reference": answer.reference,
        "status": answer.status,
        "token": answer.token,
        "manage_url": request.build_absolute_uri(answer.manage_url),
    }


TOKEN = Path(..., min_length=1, max_length=128)


def _token_rate_limited(request: HttpRequest):
    """The limit every route that takes a manage token shares (`manage_link`): a 429, or
    None to go on."""
    wait = manage_link.retry_after(request)
    return _rate_limited(request, wait) if wait is not None else None


def _registration_by_token(token: str) -> Registration:
    registration = manage_link.lookup(token).first()
    if registration is None:
        raise Http404
    return registration


@readable(
    "/registrations/{token}",
    response={200: RegistrationOut, 429: RateLimitedOut, **NOT_FOUND},
    tags=["registration"],
)
@decorate_view(never_cache)
def get_registration(request: HttpRequest, token: str = TOKEN):
    """A registration, for the holder of its manage token. The phone number is masked.
    `404` also once the person deleted their data; `429` with Retry-After when this client
    tried too many tokens (one limit with the manage pages)."""
    limited = _token_rate_limited(request)
    if limited is not None:
        return limited
    return _registration_out(request, _registration_by_token(token))


@api.post(
    "/registrations/{token}/cancel",
    response={200: RegistrationOut, 409: ErrorOut, 415: ErrorOut, 429: RateLimitedOut, **NOT_FOUND},
    tags=["registration"],
)
@decorate_view(never_cache)
def cancel_registration(request: HttpRequest, token: str = TOKEN):
    """Cancel a registration; a confirmed place goes to the waiting list at once.
    Cancelling twice changes nothing. `409` `closed` once the activity has started
    (`registration_cancel` decides, as on the manage page); `429` as for reading it."""
    limited = _token_rate_limited(request)
    if limited is not None:
        return limited
    registration = _registration_by_token(token)
    try:
        services.registration_cancel(registration=registration)
    except services.Busy as error:
        return _rate_limited(request, 1, error)
    except services.BookingError as error:
        return Status(409, {"code": error.code, "message": str(error.message)})
    return _registration_out(request, registration)
