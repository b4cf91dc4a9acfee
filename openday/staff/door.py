"""The door on the day, for devices that lose their connection.

Before the doors open a device downloads the activity's manifest (every ticket, with
names masked) and decides each scan locally; queued scans come back in batches through
`checkin_scans_apply`. Each scan carries an ID its device made, so a batch sent twice
changes nothing the second time and gets the first answers again. When two doors
checked in the same ticket offline, the first to reach the server wins and the other is
told "already checked in at <time> at <door>". The rule stays the booking service's:
`registrations_check_in_batch` checks a confirmed ticket in, once.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from openday.core.phone import mask_phone
from openday.events.models import SubEvent
from openday.registrations import services as booking
from openday.registrations.models import Registration

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
        registration=registration, sub_event_id=sub_event.pk, on_the_day=False, by_staff=by_staff
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


def _answer(scan: CheckInScan, registration: Registration | None) -> dict:
    answer = {"id": str(scan.scan_id), "result": scan.result, "checked_in_at": None, "device": ""}
    if registration is not None and scan.result in (Result.CHECKED_IN, Result.ALREADY_CHECKED_IN):
        answer["checked_in_at"] = registration.checked_in_at
        answer["device"] = registration.checked_in_device
    return answer


def checkin_scans_apply(*, sub_event: SubEvent, device: str, scans: list[Scan], user) -> list:
    """Apply a batch of scans from one door, earliest first; returns one answer per scan
    (`id`, `result`, `checked_in_at`, `device`), in the order they were sent.

    The batches of one activity queue on its row, so a scan ID is looked up after any
    earlier batch that carried it has committed: the same batch sent twice, even at the
    same moment, is applied once. The check-in rule is the booking service's.
    """
    with transaction.atomic():
        SubEvent.objects.select_for_update().filter(pk=sub_event.pk).values_list("pk").get()
        known = {
            record.scan_id: record
            for record in CheckInScan.objects.filter(
                scan_id__in=[scan.id for scan in scans]
            ).select_related("registration")
        }
        new = sorted(
            {scan.id: scan for scan in scans if scan.id not in known}.values(),
            key=lambda scan: scan.at,
        )
        outcomes = booking.registrations_check_in_batch(
            sub_event_id=sub_event.pk,
            arrivals=[booking.Arrival(scan.reference, scan.at, scan.people) for scan in new],
            device=device,
            by_staff=user,
        )
        now = timezone.now()
        records = [
            CheckInScan(
                scan_id=scan.id,
                sub_event=sub_event,
                registration=registration,
                reference=scan.reference[:12],
                device=device[:40],
                people=scan.people,
                scanned_at=min(scan.at, now),
                result=outcome,
                user=user,
            )
            for scan, (outcome, registration) in zip(new, outcomes, strict=True)
        ]
        CheckInScan.objects.bulk_create(records, batch_size=500)
        known.update((record.scan_id, record) for record in records)
    return [_answer(known[scan.id], known[scan.id].registration) for scan in scans]
