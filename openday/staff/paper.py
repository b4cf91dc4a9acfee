"""Paper for the door: the door list of an activity and name cards for invited guests.

Both are PDFs rendered by WeasyPrint from templates, with the CJK fonts the machine has
(Noto CJK). Names are sorted in pinyin order, the order a Chinese reader looks a name up
in; names in Latin letters fall in among them by their letters. Every PDF is recorded as
an export, like the CSV and XLSX files.
"""

from __future__ import annotations

from dataclasses import dataclass

import segno
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from pypinyin import Style, lazy_pinyin

from openday.core.phone import mask_phone
from openday.events.models import SubEvent
from openday.registrations.models import Registration

from .exports import record_export
from .models import ExportRecord

# Surnames whose reading differs from the character's everyday one (曾 is zēng as a
# surname, céng in 曾经).
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "乐": "yue",
    "覃": "qin",
    "盖": "ge",
    "缪": "miao",
    "种": "chong",
    "员": "yun",
    "召": "shao",
}


def pinyin_key(name: str) -> tuple[str, str]:
    """Sort key for a person's name: its pinyin without tones (the surname read as a
    surname), then the name itself so that homophones keep a stable order."""
    syllables = lazy_pinyin(name, style=Style.NORMAL, errors="default")
    if name[:1] in SURNAME_READINGS and syllables:
        syllables[0] = SURNAME_READINGS[name[0]]
    return (" ".join(syllables).lower(), name)


@dataclass(frozen=True)
class DoorListRow:
    reference: str
    name: str
    phone: str
    party_size: int
    group: str
    needs: str
    checked_in_at: object
    # The names of a group's other members, in the order they were booked.
    members: tuple[str, ...] = ()


def door_list_rows(sub_event: SubEvent) -> list[DoorListRow]:
    registrations = (
        Registration.objects.confirmed()
        .filter(sub_event=sub_event, anonymised_at__isnull=True)
        .select_related("invitation__group")
        .prefetch_related("participants")
        .only(
            "reference",
            "name",
            "phone",
            "party_size",
            "checked_in_at",
            "invitation__group__name",
            "sub_event_id",
            "status",
            "needs",
            "needs_note",
        )
    )
    rows = [
        DoorListRow(
            reference=registration.reference,
            name=registration.name,
            phone=mask_phone(registration.phone),
            party_size=registration.party_size,
            group=registration.invitation.group.name if registration.invitation else "",
            needs=registration.needs_display,
            checked_in_at=registration.checked_in_at,
            members=tuple(member.name for member in registration.participants.all()),
        )
        for registration in registrations
    ]
    return sorted(rows, key=lambda row: pinyin_key(row.name))


def _checkin_url(request, sub_event: SubEvent) -> str:
    path = f"{reverse('staff:checkin')}?{urlencode({'sub_event': sub_event.pk})}"
    return request.build_absolute_uri(path)


def _pdf(request, template: str, context: dict) -> bytes:
    # Imported here: WeasyPrint loads Pango through cffi, which costs a noticeable part
    # of a second and is needed only by these two staff downloads.
    from weasyprint import HTML

    html = render_to_string(template, context, request=request)
    return HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()


def door_list_pdf(request, sub_event: SubEvent) -> bytes:
    rows = door_list_rows(sub_event)
    checkin_url = _checkin_url(request, sub_event)
    context = {
        "sub_event": sub_event,
        "rows": rows,
        "people": sum(row.party_size for row in rows),
        "checkin_url": checkin_url,
        "checkin_qr": segno.make(checkin_url, error="m").svg_data_uri(scale=3, border=1),
        "generated_at": timezone.localtime(),
    }
    pdf = _pdf(request, "staff/paper/door_list.html", context)
    record_export(
        user=request.user,
        what=f"door list · {sub_event.title}"[:100],
        file_format=ExportRecord.Format.PDF,
        filters=f"sub_event={sub_event.pk}",
        rows=len(rows),
        full_phone=False,
    )
    return pdf


def name_cards_pdf(request, sub_event: SubEvent) -> bytes:
    guests = sorted(
        Registration.objects.confirmed()
        .filter(sub_event=sub_event, invitation__isnull=False, anonymised_at__isnull=True)
        .select_related("invitation__group"),
        key=lambda registration: pinyin_key(registration.name),
    )
    context = {"sub_event": sub_event, "guests": guests}
    pdf = _pdf(request, "staff/paper/name_cards.html", context)
    record_export(
        user=request.user,
        what=f"name cards · {sub_event.title}"[:100],
        file_format=ExportRecord.Format.PDF,
        filters=f"sub_event={sub_event.pk}",
        rows=len(guests),
        full_phone=False,
    )
    return pdf
