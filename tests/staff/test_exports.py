import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from openday.registrations.models import Registration
from openday.staff.xlsx import write_xlsx
from tests import factories

pytestmark = pytest.mark.django_db

HEADER = [
    "报名编号",
    "姓名",
    "手机号码",
    "电子邮箱",
    "人数",
    "状态",
    "分场活动",
    "区市",
    "开始",
    "邀请对象",
    "无障碍需求",
    "其他需求",
    "来源",
    "报名时间",
    "签到时间",
]


def export(client, file_format, **filters):
    response = client.get(
        reverse("admin:registrations_registration_export", args=[file_format]), filters
    )
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def csv_rows(body):
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(body):
    sheet = load_workbook(io.BytesIO(body)).active
    return [["" if cell is None else cell for cell in row] for row in sheet.values]


def test_xlsx_export_has_headers_and_rows_in_local_time(client, city_organiser):
    group = factories.InvitedGroupFactory(name="市民代表")
    invitation = factories.InvitationFactory(group=group)
    registration = factories.RegistrationFactory(
        sub_event=invitation.sub_event,
        invitation=invitation,
        name="李雷",
        email="li@example.com",
        party_size=2,
        checked_in_at=dt.datetime(2030, 5, 1, 1, 30, tzinfo=dt.UTC),
    )
    client.force_login(city_organiser)
    header, row = xlsx_rows(export(client, "xlsx"))
    sub_event = registration.sub_event
    assert header == HEADER
    assert row == [
        registration.reference,
        "李雷",
        registration.phone,
        "li@example.com",
        2,
        "已确认",
        sub_event.title,
        sub_event.district.name,
        local_minute(sub_event.starts_at),
        "市民代表",
        "",
        "",
        "网站",
        local_minute(registration.created_at),
        dt.datetime(2030, 5, 1, 9, 30),  # Asia/Shanghai
    ]


def local_minute(moment):
    shanghai = dt.timezone(dt.timedelta(hours=8))
    return moment.astimezone(shanghai).replace(tzinfo=None, second=0, microsecond=0)


def as_text(cell):
    if isinstance(cell, dt.datetime):
        return cell.strftime("%Y-%m-%d %H:%M")
    return str(cell)


def test_csv_and_xlsx_exports_hold_the_same_cells(client, district_organiser, two_districts):
    own = two_districts["own"]["subevent"]
    factories.RegistrationFactory(sub_event=own, name="+1 韩梅梅", email="")
    factories.RegistrationFactory(
        sub_event=own, status=Registration.Status.WAITLISTED, source=Registration.Source.STAFF
    )
    client.force_login(district_organiser)
    rows = csv_rows(export(client, "csv"))
    assert len(rows) == 4
    assert rows[0] == HEADER
    assert "'+1 韩梅梅" in [row[1] for row in rows]
    assert [[as_text(cell) for cell in row] for row in xlsx_rows(export(client, "xlsx"))] == rows


def test_xlsx_party_sizes_are_numbers_and_times_are_dates(client, city_organiser):
    sub_event = factories.SubEventFactory()
    factories.RegistrationFactory(sub_event=sub_event, party_size=2)
    factories.RegistrationFactory(sub_event=sub_event, party_size=3)
    client.force_login(city_organiser)
    sheet = load_workbook(io.BytesIO(export(client, "xlsx"))).active
    party_sizes = [row[HEADER.index("人数")].value for row in sheet.iter_rows(min_row=2)]
    assert sum(party_sizes) == 5
    starts = sheet.cell(row=2, column=HEADER.index("开始") + 1)
    assert starts.is_date
    assert starts.value == local_minute(sub_event.starts_at)
    assert starts.number_format == "yyyy-mm-dd hh:mm"


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_export_queries_do_not_grow_with_rows(client, city_organiser, file_format):
    invitation = factories.InvitationFactory()
    client.force_login(city_organiser)

    def add(count):
        for _ in range(count):
            factories.RegistrationFactory(
                sub_event=factories.SubEventFactory(), invitation=invitation
            )

    add(3)
    export(client, file_format)
    with CaptureQueriesContext(connection) as few:
        export(client, file_format)
    add(27)
    with CaptureQueriesContext(connection) as many:
        export(client, file_format)
    assert len(many) == len(few)


def test_write_xlsx_keeps_text_as_written():
    handle = io.BytesIO()
    rows = [["a", "b", "c"], [" leading", "<&>", ""], ["\x01bell", "", "last"], ["=1+1", "007", ""]]
    write_xlsx(iter(rows), handle, sheet_name="what: [registrations]")
    workbook = load_workbook(handle)
    sheet = workbook.active
    assert sheet.title == "what registrations"
    assert list(sheet.values) == [
        ("a", "b", "c"),
        (" leading", "<&>", None),
        # XML 1.0 forbids control characters: dropped, or the file would not open.
        ("bell", None, "last"),
        # Text stays text: no formula, no number.
        ("=1+1", "007", None),
    ]
