"""Exports of registrations to CSV and XLSX that never hold all rows in memory.

CSV is streamed to the client row by row from a server-side cursor (`iterator()`); XLSX is
written by openpyxl's write-only workbook into a temporary file, then sent from disk. Every
export is recorded (who, when, which filter, how many rows, whether phones were in full).
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from openday.registrations.phone import mask_phone

from .models import ExportRecord

CHUNK_SIZE = 2000

COLUMNS = [
    ("reference", lambda: _("reference")),
    ("name", lambda: _("name")),
    ("phone", lambda: _("mobile phone")),
    ("email", lambda: _("e-mail")),
    ("party_size", lambda: _("party size")),
    ("status", lambda: _("status")),
    ("sub_event__title", lambda: _("activity")),
    ("sub_event__district__name", lambda: _("district")),
    ("sub_event__starts_at", lambda: _("starts")),
    ("invitation__group__name", lambda: _("invited group")),
    ("source", lambda: _("source")),
    ("created_at", lambda: _("registered")),
    ("checked_in_at", lambda: _("checked in")),
]


def _cell(value) -> str:
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    text = str(value)
    # A cell starting with = + - @ is a formula to spreadsheet programs: neutralise it.
    if text[:1] in {"=", "+", "-", "@"}:
        return "'" + text
    return text


def registration_rows(queryset: QuerySet, *, full_phone: bool) -> Iterator[list[str]]:
    """The header, then one list of cells per registration, read in chunks."""
    from openday.registrations.models import Registration

    statuses = dict(Registration.Status.choices)
    sources = dict(Registration.Source.choices)
    yield [label() for _field, label in COLUMNS]
    fields = [field for field, _label in COLUMNS]
    rows = queryset.order_by("pk").values_list(*fields).iterator(chunk_size=CHUNK_SIZE)
    for row in rows:
        values = dict(zip(fields, row, strict=True))
        if not full_phone:
            values["phone"] = mask_phone(values["phone"])
        values["status"] = statuses.get(values["status"], values["status"])
        values["source"] = sources.get(values["source"], values["source"])
        yield [_cell(values[field]) for field in fields]


class _Echo:
    def write(self, value: str) -> str:
        return value


def record_export(*, user, what: str, file_format: str, filters: str, rows: int, full_phone):
    return ExportRecord.objects.create(
        user=user,
        what=what,
        file_format=file_format,
        filters=filters[:1000],
        row_count=rows,
        full_phone=full_phone,
    )


def csv_response(rows: Iterator[list[str]], filename: str) -> StreamingHttpResponse:
    writer = csv.writer(_Echo())
    # A byte-order mark first, so spreadsheet programs read the Chinese text as UTF-8.
    body = (writer.writerow(row) for row in rows)
    response = StreamingHttpResponse(_with_bom(body), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _with_bom(lines: Iterator[str]) -> Iterator[str]:
    yield "\ufeff"
    yield from lines


def xlsx_response(rows: Iterator[list[str]], filename: str, title: str) -> FileResponse:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    for row in rows:
        sheet.append(row)
    # Deleted when the response closes it.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    workbook.save(handle)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
