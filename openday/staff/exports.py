"""Exports of registrations to CSV and XLSX that never hold all rows in memory.

Rows are read from the database in chunks (`iterator()`, a server-side cursor on
PostgreSQL) as plain values in one query. CSV is streamed to the client a block of rows at
a time; XLSX is written by `xlsx.write_xlsx` into a temporary file, then sent from disk.
Every export is recorded (who, when, which filter, how many rows, whether phones were in
full).
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import FileResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from openday.core.phone import mask_phone
from openday.registrations.models import Registration, needs_text

from .models import ExportRecord
from .xlsx import write_xlsx

CHUNK_SIZE = 2000
# Rows per piece of a streamed CSV: one piece per row would cost a write to the client
# (and an encode) per row.
CSV_BLOCK_ROWS = 1000

COLUMNS = [
    ("reference", _("reference")),
    ("name", pgettext_lazy("person", "name")),
    ("phone", _("mobile phone")),
    ("email", _("e-mail")),
    ("party_size", _("party size")),
    ("status", _("status")),
    ("sub_event__title", _("activity")),
    ("sub_event__district__name", _("district")),
    ("sub_event__starts_at", _("starts")),
    ("invitation__group__name", _("invited group")),
    ("needs", _("accessibility needs")),
    ("needs_note", _("other needs")),
    ("source", _("source")),
    ("created_at", _("registered")),
    ("checked_in_at", _("checked in")),
]
FIELDS = [field for field, _label in COLUMNS]


def _text(value: str | None) -> str:
    if value is None:
        return ""
    # A cell starting with = + - @ (or a tab or carriage return before one) is a formula
    # to spreadsheet programs: neutralise it.
    if value.startswith(("=", "+", "-", "@", "\t", "\r")):
        return "'" + value
    return value


def safe_row(row: list) -> list:
    """A row of any cells with its text cells neutralised as `_text` does (for tables
    whose text staff typed, such as activity titles)."""
    return [_text(value) if isinstance(value, str) else value for value in row]


def registration_rows(
    queryset: QuerySet, *, full_phone: bool, typed: bool = False
) -> Iterator[list]:
    """The header, then one list of cells per registration, read in chunks: all text (for
    CSV), or with `typed` the party size as a number and times as local times without a
    zone (for XLSX, where they are summed and sorted).

    The header, the names of statuses and sources and the time zone are looked up here,
    once, in the language and time zone of the request: not per row, and not later while
    the response streams, when the request's language may no longer be active.
    """
    statuses = {value: str(label) for value, label in Registration.Status.choices}
    sources = {value: str(label) for value, label in Registration.Source.choices}
    zone = timezone.get_current_timezone()

    def local_time(value) -> str:
        # "2030-05-01 09:30"; isoformat() is quicker than strftime().
        return "" if value is None else value.astimezone(zone).isoformat(" ", "minutes")[:16]

    def local_datetime(value):
        if value is None:
            return None
        return value.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)

    time_cell = local_datetime if typed else local_time

    special = {
        "reference": str,
        "phone": str if full_phone else mask_phone,
        "party_size": int if typed else str,
        "status": lambda value: statuses.get(value, value),
        "source": lambda value: sources.get(value, value),
        "sub_event__starts_at": time_cell,
        "created_at": time_cell,
        "checked_in_at": time_cell,
        "needs": lambda value: needs_text(value or "", ""),
    }
    # Everything else is text typed by someone: neutralised if it looks like a formula.
    cells = [special.get(field, _text) for field in FIELDS]
    header = [str(label) for _field, label in COLUMNS]
    values = queryset.order_by("pk").values_list(*FIELDS).iterator(chunk_size=CHUNK_SIZE)
    body = ([cell(value) for cell, value in zip(cells, row, strict=True)] for row in values)
    return itertools.chain([header], body)


def record_export(*, user, what: str, file_format: str, filters: str, rows: int, full_phone):
    return ExportRecord.objects.create(
        user=user,
        what=what,
        file_format=file_format,
        filters=filters[:1000],
        row_count=rows,
        full_phone=full_phone,
    )


def csv_response(rows: Iterable[list], filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(_csv_blocks(rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _csv_blocks(rows: Iterable[list]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    # A byte-order mark first, so spreadsheet programs read the Chinese text as UTF-8.
    buffer.write("\ufeff")
    for count, row in enumerate(rows, start=1):
        writer.writerow(row)
        if count % CSV_BLOCK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def xlsx_response(rows: Iterable[list], filename: str, title: str) -> FileResponse:
    # Deleted when the response closes it.
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (FileResponse closes it)
    write_xlsx(rows, handle, sheet_name=title)
    handle.seek(0)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
