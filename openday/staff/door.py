"""The door on the day, for devices that lose their connection.

Before the doors open a device downloads the activity's manifest (every ticket, with
names masked) and decides each scan locally; queued scans come back in batches through
`checkin_scans_apply`. Each scan carries an ID its device made, so a batch sent twice
changes nothing the second time and gets the first answers again. When two doors
checked in the same ticket offline, the first to reach the server wins and the other is
told "already checked in at <time> at <door>". The rules stay where they are:
`services.registration_check_in` checks in, once.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from openday.events.models import SubEvent
from openday.registrations import services as booking
from openday.registrations.models import Registration
from openday.registrations.phone import mask_phone

from . import services
from .models import CheckInScan

Result = CheckInScan.Result

REFERENCE_CLEAN = re.compile(r"[\s\-]+")


def reference_from_scan(text: str) -> str:
    """A ticket's QR code carries the signed reference; people type the bare reference.
    A code whose signature does not match gives "" (an unknown ticket)."""
    text = (text or "").strip()
    if ":" in text:
        return Registration.reference_from_checkin_code(text) or ""
    return REFERENCE_CLEAN.sub("", text).upper()[:12]


def walk_in_register(
    *, sub_event: SubEvent, name: str, phone: str, party_size: int, by_staff
) -> Registration:
    """Register someone who came without a booking, into the places left (never onto the
    waiting list: they are at the door now), and check them in at once."""
    registration = booking.registration_create(
        sub_event_id=sub_event.pk,
        name=name,
        phone=phone,
        party_size=party_size,
        source=Registration.Source.WALK_IN,
        created_by=by_staff,
    ).registration
    return services.registration_check_in(
        registration=registration, sub_event_id=sub_event.pk, on_the_day=False
    )


def manifest(sub_event: SubEvent) -> dict:
    tickets = (
        Registration.objects.filter(sub_event=sub_event, anonymised_at__isnull=True)
        .order_by("reference")
        .values_list(
            "reference",
            "name",
            "phone",
            "party_size",
            "status",
            "checked_in_at",
            "checked_in_people",
            "checked_in_device",
        )
    )
    return {
        "sub_event": {
            "id": sub_event.pk,
            "title": sub_event.title,
            "starts_at": sub_event.starts_at,
            "ends_at": sub_event.ends_at,
        },
        "generated_at": timezone.now(),
        "tickets": [
            {
                "reference": reference,
                "name": Registration(name=name).masked_name,
                "phone": mask_phone(phone),
                "party_size": party_size,
                "status": status,
                "checked_in_at": checked_in_at,
                "checked_in_people": people,
                "checked_in_device": device,
            }
            for reference, name, phone, party_size, status, checked_in_at, people, device in (
                tickets.iterator(chunk_size=2000)
            )
        ],
    }


@dataclass(frozen=True)
class Scan:
    id: uuid.UUID
    reference: str
    at: dt.datetime
    people: int | None = None


def _answer(scan: CheckInScan) -> dict:
    registration = scan.registration
    answer = {"id": str(scan.scan_id), "result": scan.result, "checked_in_at": None, "device": ""}
    if registration is not None and scan.result in (Result.CHECKED_IN, Result.ALREADY_CHECKED_IN):
        answer["checked_in_at"] = registration.checked_in_at
        answer["device"] = registration.checked_in_device
    return answer


def _decide(sub_event: SubEvent, registration: Registration | None, scan: Scan, device: str):
    if registration is None:
        return Result.UNKNOWN
    if registration.sub_event_id != sub_event.pk:
        return Result.OTHER_ACTIVITY
    try:
        # The device already told the volunteer whether the ticket is for today.
        services.registration_check_in(
            registration=registration,
            sub_event_id=sub_event.pk,
            on_the_day=False,
            people=scan.people,
            at=scan.at,
            device=device,
        )
    except services.AlreadyCheckedIn:
        return Result.ALREADY_CHECKED_IN
    except services.NotConfirmed:
        return Result.NOT_CONFIRMED
    except booking.InvalidPartySize:
        # More people than booked: the whole party is let in, not more.
        return _decide(sub_event, registration, Scan(scan.id, scan.reference, scan.at), device)
    return Result.CHECKED_IN


def checkin_scans_apply(*, sub_event: SubEvent, device: str, scans: list[Scan], user) -> list:
    """Apply a batch of scans from one door, in the order they were made; returns one
    answer per scan (`id`, `result`, `checked_in_at`, `device`)."""
    known = {
        scan.scan_id: scan
        for scan in CheckInScan.objects.filter(scan_id__in=[scan.id for scan in scans])
        .select_related("registration")
        .order_by()
    }
    registrations = {
        registration.reference: registration
        for registration in Registration.objects.filter(
            reference__in={scan.reference for scan in scans}
        )
    }
    answers = []
    for scan in sorted(scans, key=lambda scan: scan.at):
        record = known.get(scan.id)
        if record is None:
            record = _record(sub_event, device, scan, registrations.get(scan.reference), user)
            known[scan.id] = record
        answers.append(_answer(record))
    order = {scan.id: index for index, scan in enumerate(scans)}
    return sorted(answers, key=lambda answer: order[uuid.UUID(answer["id"])])


def _record(sub_event, device, scan: Scan, registration, user) -> CheckInScan:
    try:
        with transaction.atomic():
            # The scan's row first: a second request with the same scan ID waits here for
            # the first to commit, then reads its answer instead of deciding again.
            record = CheckInScan.objects.create(
                scan_id=scan.id,
                sub_event=sub_event,
                registration=registration,
                reference=scan.reference[:12],
                device=device,
                people=scan.people,
                scanned_at=min(scan.at, timezone.now()),
                result=Result.UNKNOWN,
                user=user,
            )
            record.result = _decide(sub_event, registration, scan, device)
            record.save(update_fields=["result"])
    except IntegrityError:
        return CheckInScan.objects.select_related("registration").get(scan_id=scan.id)
    if registration is not None:
        registration.refresh_from_db(
            fields=["checked_in_at", "checked_in_device", "checked_in_people"]
        )
    return record
