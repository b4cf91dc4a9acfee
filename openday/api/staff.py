"""The staff check-in API (SPEC §3): the manifest a door device downloads before the doors
open, and the batches of scans it sends back when it has a connection. Session login of
a staff member who may check in at that activity, with the CSRF header on writes; 403
otherwise."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.utils import check_csrf

from openday.events.models import SubEvent
from openday.staff import door, scope

from .schemas import ErrorOut, ValidationErrorOut

router = Router(tags=["staff check-in"])


class ManifestSubEventOut(Schema):
    id: int
    title: str
    starts_at: dt.datetime
    ends_at: dt.datetime


class TicketOut(Schema):
    reference: str
    name: str = Field(description="Masked: the first character only.")
    phone: str = Field(description="Masked: 138****5678.")
    party_size: int
    status: str
    checked_in_at: dt.datetime | None
    checked_in_people: int | None
    checked_in_device: str


class ManifestOut(Schema):
    sub_event: ManifestSubEventOut
    generated_at: dt.datetime
    tickets: list[TicketOut]


class ScanIn(Schema):
    id: uuid.UUID = Field(description="Made by the device; a scan sent again changes nothing.")
    reference: str = Field(
        min_length=1, max_length=200, description="The reference, or the QR code's text."
    )
    at: dt.datetime = Field(description="When the ticket was scanned (ISO 8601).")
    people: int | None = Field(None, ge=1, le=20, description="How many of the party came.")


class CheckinsIn(Schema):
    device: str = Field(min_length=1, max_length=40, description="The door, e.g. door-1.")
    scans: list[ScanIn] = Field(max_length=2000)


class ScanResultOut(Schema):
    id: str
    result: str = Field(
        description="checked_in, already_checked_in, unknown, other_activity or not_confirmed"
    )
    checked_in_at: dt.datetime | None
    device: str


class CheckinsOut(Schema):
    results: list[ScanResultOut]


class ForbiddenOut(Schema):
    code: str
    message: str


def _forbidden(request: HttpRequest):
    return Status(
        403,
        {
            "code": "forbidden",
            "message": _("Log in as a staff member who checks people in at this activity."),
        },
    )


def _door_sub_event(request: HttpRequest, id: int) -> SubEvent | None:
    user = request.user
    if not user.is_authenticated:
        return None
    return scope.check_in_sub_events(user).filter(pk=id).first()


@router.get(
    "/subevents/{id}/checkin-manifest",
    response={200: ManifestOut, 403: ForbiddenOut, 422: ValidationErrorOut},
    summary="Every ticket of an activity, for a door device that may go offline",
)
def checkin_manifest(request: HttpRequest, id: int):
    sub_event = _door_sub_event(request, id)
    if sub_event is None:
        return _forbidden(request)
    return Status(200, door.manifest(sub_event))


@router.post(
    "/subevents/{id}/checkins",
    response={
        200: CheckinsOut,
        400: ErrorOut,
        403: ForbiddenOut,
        415: ErrorOut,
        422: ValidationErrorOut,
    },
    summary="Scans made at a door, sent in a batch; each scan ID counts once",
)
def checkins(request: HttpRequest, id: int, payload: CheckinsIn):
    if check_csrf(request) is not None:
        return _forbidden(request)
    sub_event = _door_sub_event(request, id)
    if sub_event is None:
        return _forbidden(request)
    scans = [
        door.Scan(
            id=scan.id,
            reference=door.reference_from_scan(scan.reference),
            # A time without a zone is the site's local time.
            at=scan.at if timezone.is_aware(scan.at) else timezone.make_aware(scan.at),
            people=scan.people,
        )
        for scan in payload.scans
    ]
    results = door.checkin_scans_apply(
        sub_event=sub_event, device=payload.device.strip(), scans=scans, user=request.user
    )
    return Status(200, {"results": results})
