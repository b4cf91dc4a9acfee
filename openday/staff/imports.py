"""Guest lists for invited groups: read a CSV or XLSX file, check every row, show a
preview, and register all rows through the booking service, or none of them.

Columns (header row, English or Chinese): name, phone, group, activity, and optionally
leader. The activity is its number or its exact title; the group its name or short name;
the pair must have an invitation, whose reserved places the guests take.

A guest without a phone number (a pupil, a member of a delegation) is booked under a
leader: the guest whose phone is in the row's leader column, or else the nearest guest
above with a phone number for the same activity and group. The leader's registration
then counts the whole group and names every member.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from openpyxl import load_workbook

from openday.core.phone import normalise_phone
from openday.events.models import Invitation
from openday.registrations import services
from openday.registrations.models import Registration

from . import scope

MAX_ROWS = 5000
# A guest list of MAX_ROWS rows has a few columns and unpacks to a few MiB of XML.
MAX_CELLS = (MAX_ROWS + 1) * 10
MAX_COLUMNS = 30
MAX_XLSX_UNPACKED_BYTES = 20 * 1024 * 1024
MAX_XLSX_MEMBERS = 200
CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
SIGNING_SALT = "openday.staff.guest_import"
HEADERS = {
    "name": {"name", "姓名", "名字"},
    "phone": {"phone", "mobile", "手机", "手机号", "电话", "联系电话"},
    "group": {"group", "invited group", "邀请对象", "组别"},
    "activity": {"activity", "sub-event", "sub_event", "活动", "分场活动"},
    "leader": {"leader", "leader phone", "领队", "领队手机", "带队人手机"},
}
REQUIRED_COLUMNS = ("name", "phone", "group", "activity")


@dataclass
class RowError:
    row: int
    field: str
    message: str


@dataclass
class ImportResult:
    rows: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    registrations: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.rows) and not self.errors


def _check_xlsx(upload) -> None:
    """Refuse a workbook whose unpacked size or number of cells is beyond any guest list,
    before openpyxl opens it: an XLSX is a zip archive, and a few hundred KiB can unpack
    to hundreds of MiB. The sizes are the archive's own declarations, which `zipfile`
    enforces while reading (it stops at the declared size), so they bound what openpyxl
    can read afterwards."""
    upload.seek(0)
    try:
        archive = zipfile.ZipFile(upload)
    except (zipfile.BadZipFile, OSError) as error:
        raise ValueError(_("The file is not an XLSX workbook.")) from error
    with archive:
        members = archive.infolist()
        unpacked = sum(member.file_size for member in members)
        if len(members) > MAX_XLSX_MEMBERS or unpacked > MAX_XLSX_UNPACKED_BYTES:
            raise ValueError(
                _(
                    "The workbook unpacks to %(size)s; at most %(limit)s can be imported. "
                    "Keep only the guest list in it, or save it as CSV."
                )
                % {
                    "size": filesizeformat(unpacked),
                    "limit": filesizeformat(MAX_XLSX_UNPACKED_BYTES),
                }
            )
        cells = 0
        for member in members:
            if member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml"):
                cells += _count_cells(archive, member)
                if cells > MAX_CELLS:
                    raise ValueError(
                        _(
                            "The workbook has more than %(max)d cells; a guest list needs "
                            "at most %(max)d. Keep only the guest list in it."
                        )
                        % {"max": MAX_CELLS}
                    )
    upload.seek(0)


def _count_cells(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> int:
    # Counted in the raw XML, a chunk at a time (a cell element is `<c ...>`, maybe with
    # a namespace prefix), without building any tree.
    count = 0
    tail = b""
    with archive.open(member) as stream:
        while chunk := stream.read(1 << 20):
            data = tail + chunk
            count += len(CELL_TAG.findall(data))
            # Keep the last bytes in case a tag straddles two chunks, minus any match.
            tail = data[-16:]
            count -= len(CELL_TAG.findall(tail))
    return count


def _read_table(upload) -> list[list[str]]:
    name = upload.name.lower()
    if name.endswith(".xlsx"):
        _check_xlsx(upload)
        workbook = load_workbook(upload, read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        # Rows are read as they are, not padded to the size the sheet declares, and no
        # further than MAX_COLUMNS (a lone cell far to the right would pad its row).
        sheet.reset_dimensions()
        table = []
        for values in sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True):
            table.append(["" if v is None else str(v).strip() for v in values])
            if len(table) > MAX_ROWS + 1:
                break
        workbook.close()
        return table
    raw = upload.read()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise ValueError(_("The file is not UTF-8 or GB18030 text."))
    return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text))]


def _columns(header: list[str]) -> dict[str, int] | None:
    found = {}
    for index, title in enumerate(header):
        for key, names in HEADERS.items():
            if title.strip().lower() in names:
                found[key] = index
    return found if set(REQUIRED_COLUMNS) <= set(found) else None


def guest_list_preview(upload, user) -> ImportResult:
    result = ImportResult()
    try:
        table = _read_table(upload)
    except Exception as error:  # a broken or foreign file: say so, never a 500
        message = str(error) if isinstance(error, ValueError) else ""
        result.errors.append(RowError(0, _("file"), message or _("The file cannot be read.")))
        return result
    if not any(any(row) for row in table):
        result.errors.append(RowError(0, _("file"), _("The file is empty.")))
        return result
    columns = _columns(table[0])
    if columns is None:
        result.errors.append(
            RowError(
                1,
                _("header"),
                _("The first row must name the columns: name, phone, group, activity."),
            )
        )
        return result
    if len(table) - 1 > MAX_ROWS:
        result.errors.append(
            RowError(0, _("file"), _("At most %(max)d rows per file.") % {"max": MAX_ROWS})
        )
        return result
    raw_rows = [
        {
            "row": number,
            **{key: (row[index] if index < len(row) else "") for key, index in columns.items()},
        }
        for number, row in enumerate(table[1:], start=2)
        if any(row)
    ]
    return check_rows(raw_rows, user)


def check_rows(raw_rows: list[dict], user) -> ImportResult:
    """Check each row against the database; row numbers are the file's (header is 1)."""
    result = ImportResult()
    sub_events = scope.sub_events_for(user)
    invitations = {
        (inv.sub_event_id, inv.group_id): inv
        for inv in Invitation.objects.filter(sub_event__in=sub_events).select_related(
            "group", "sub_event"
        )
    }
    seen = set()
    # The guest with a phone last seen for each invitation: the leader of the rows without.
    last_leader: dict[int, str] = {}
    for raw in raw_rows:
        number = raw["row"]
        row_errors = []
        name = services.normalise_name(str(raw.get("name", "")))
        if not name:
            row_errors.append(
                RowError(number, pgettext("person", "name"), _("The name is missing."))
            )
        elif len(name) > services.NAME_MAX_LENGTH:
            row_errors.append(
                RowError(number, pgettext("person", "name"), _("The name is too long."))
            )
        phone = leader = ""
        try:
            if str(raw.get("phone", "")).strip():
                phone = normalise_phone(raw.get("phone", ""))
            if str(raw.get("leader", "")).strip():
                leader = normalise_phone(raw.get("leader", ""))
        except ValidationError as error:
            row_errors.append(RowError(number, _("phone"), " ".join(error.messages)))
        activity = str(raw.get("activity", "")).strip()
        group = str(raw.get("group", "")).strip()
        matches = [
            inv
            for inv in invitations.values()
            if (str(inv.sub_event_id) == activity or inv.sub_event.title == activity)
            and group in {inv.group.name, inv.group.slug}
        ]
        known_activity = any(
            str(inv.sub_event_id) == activity or inv.sub_event.title == activity
            for inv in invitations.values()
        )
        if not matches:
            if not known_activity:
                row_errors.append(
                    RowError(
                        number,
                        _("activity"),
                        _("No activity “%(activity)s” with invitations that you manage.")
                        % {"activity": activity},
                    )
                )
            else:
                row_errors.append(
                    RowError(
                        number,
                        _("group"),
                        _("The group “%(group)s” has no invitation for this activity.")
                        % {"group": group},
                    )
                )
        elif len(matches) > 1:
            row_errors.append(
                RowError(
                    number, _("activity"), _("Several activities have this title; use its number.")
                )
            )
        invitation = matches[0] if len(matches) == 1 else None
        if invitation is not None and not phone and not row_errors:
            leader = leader or last_leader.get(invitation.pk, "")
            if not leader:
                row_errors.append(
                    RowError(
                        number,
                        _("phone"),
                        _(
                            "A guest without a phone number is booked under a leader: put the"
                            " leader's row above it, or the leader's number in a leader column."
                        ),
                    )
                )
        elif invitation is not None and phone:
            last_leader[invitation.pk] = phone
            leader = ""
        if invitation is not None and phone:
            key = (invitation.sub_event_id, phone)
            if key in seen:
                row_errors.append(
                    RowError(number, _("phone"), _("This phone number is twice in the file."))
                )
            seen.add(key)
        if row_errors:
            result.errors.extend(row_errors)
            continue
        result.rows.append(
            {
                "row": number,
                "name": name,
                "phone": phone,
                "leader": leader,
                "invitation": invitation.pk,
                "group": invitation.group.slug,
                "group_name": invitation.group.name,
                "activity": str(invitation.sub_event_id),
                "activity_title": invitation.sub_event.title,
                "sub_event": invitation.sub_event_id,
            }
        )
    leaders = {(row["invitation"], row["phone"]) for row in result.rows if row["phone"]}
    for row in result.rows:
        if row["leader"] and (row["invitation"], row["leader"]) not in leaders:
            result.errors.append(
                RowError(
                    row["row"], _("leader"), _("No guest in the file has this leader's number.")
                )
            )
    if not raw_rows:
        result.errors.append(RowError(0, _("file"), _("The file has no guests.")))
    return result


def sign_rows(rows: list[dict]) -> str:
    return signing.dumps(rows, salt=SIGNING_SALT, compress=True)


def unsign_rows(value: str) -> list[dict] | None:
    try:
        return signing.loads(value, salt=SIGNING_SALT, max_age=3600)
    except signing.BadSignature:
        return None


@services.lock_timeouts_as_busy
def guest_list_import(rows: list[dict], user) -> ImportResult:
    """Register every row through the booking service in one transaction; when any row is
    refused (places taken, already registered), roll back all and report the rows. Raises
    `services.Busy` (nothing written) when a lock wait runs out: inside this transaction
    the booking service cannot say so itself."""
    checked = check_rows(rows, user)
    if checked.errors:
        return checked
    codes = dict(
        Invitation.objects.filter(pk__in={row["invitation"] for row in checked.rows}).values_list(
            "pk", "code"
        )
    )
    result = ImportResult(rows=checked.rows)
    members: dict[tuple[int, str], list[dict]] = {}
    for row in checked.rows:
        if row["leader"]:
            members.setdefault((row["invitation"], row["leader"]), []).append(row)
    with transaction.atomic():
        for row in checked.rows:
            if row["leader"]:
                continue  # booked with their leader
            group = members.get((row["invitation"], row["phone"]), [])
            try:
                booking = services.registration_create(
                    sub_event_id=row["sub_event"],
                    name=row["name"],
                    phone=row["phone"],
                    party_size=1 + len(group),
                    invitation_code=codes[row["invitation"]],
                    source=Registration.Source.IMPORT,
                    created_by=user,
                    participants=[{"name": member["name"]} for member in group],
                )
            except services.BookingError as error:
                field_name = _("phone") if error.code == "duplicate" else _("activity")
                result.errors.append(RowError(row["row"], field_name, str(error.message)))
            else:
                result.registrations.append(booking.registration)
        if result.errors:
            result.registrations = []
            transaction.set_rollback(True)
    return result
