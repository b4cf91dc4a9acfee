import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from openday.registrations.models import Registration, RegistrationLog

pytestmark = pytest.mark.django_db
URL = "staff:guest_import"


def csv_file(lines):
    return SimpleUploadedFile("guests.csv", "\n".join(lines).encode("utf-8"), "text/csv")


def test_import_preview_then_confirm_registers_all(client, district_organiser, two_districts):
    invitation = two_districts["own"]["invitation"]
    client.force_login(district_organiser)
    upload = csv_file(
        [
            "姓名,手机,邀请对象,活动",
            f"张三,138 0013 8000,{invitation.group.name},{invitation.sub_event.pk}",
            f"李四,+8613900139000,{invitation.group.slug},{invitation.sub_event.title}",
        ]
    )
    preview = client.post(reverse(URL), {"file": upload})
    page = preview.content.decode()
    assert "张三" in page and "李四" in page
    assert not Registration.objects.filter(name__in=["张三", "李四"]).exists()
    rows = preview.context["signed_rows"]
    response = client.post(reverse(URL), {"rows": rows})
    assert response.status_code == 302
    guests = Registration.objects.filter(invitation=invitation)
    assert sorted(guests.values_list("phone", flat=True)) == ["13800138000", "13900139000"]
    assert set(guests.values_list("source", flat=True)) == {"import"}
    history = RegistrationLog.objects.filter(registration__in=guests)
    assert (
        sorted(history.values_list("action", "actor_kind", "actor__username"))
        == [("created", "staff", district_organiser.username)] * 2
    )


def test_import_with_bad_row_names_row_and_field_and_writes_nothing(
    client, district_organiser, two_districts
):
    invitation = two_districts["own"]["invitation"]
    other = two_districts["other"]["invitation"]
    client.force_login(district_organiser)
    upload = csv_file(
        [
            "name,phone,group,activity",
            f"张三,13800138000,{invitation.group.name},{invitation.sub_event.pk}",
            f"李四,12345,{invitation.group.name},{invitation.sub_event.pk}",
            f"王五,13700137000,{other.group.name},{other.sub_event.pk}",
        ]
    )
    response = client.post(reverse(URL), {"file": upload}, headers={"accept-language": "en"})
    errors = [(e.row, e.field) for e in response.context["preview"].errors]
    assert errors == [(3, "phone"), (4, "activity")]
    assert "signed_rows" not in response.context
    assert not Registration.objects.filter(source="import").exists()


def test_import_xlsx_over_invitation_places_writes_nothing(
    client, district_organiser, two_districts
):
    invitation = two_districts["own"]["invitation"]  # four places
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "group", "activity"])
    for n in range(5):
        sheet.append([f"嘉宾{n}", f"1390000000{n}", invitation.group.name, invitation.sub_event.pk])
    data = io.BytesIO()
    workbook.save(data)
    client.force_login(district_organiser)
    preview = client.post(
        reverse(URL), {"file": SimpleUploadedFile("guests.xlsx", data.getvalue())}
    )
    response = client.post(reverse(URL), {"rows": preview.context["signed_rows"]})
    assert response.status_code == 200
    assert [e.row for e in response.context["preview"].errors] == [6]
    assert not Registration.objects.filter(source="import").exists()


def test_import_tampered_rows_are_refused(client, district_organiser):
    client.force_login(district_organiser)
    response = client.post(reverse(URL), {"rows": "forged"}, follow=True)
    assert response.status_code == 200
    assert not Registration.objects.filter(source="import").exists()


def test_import_of_garbage_file_is_explained(client, district_organiser):
    client.force_login(district_organiser)
    upload = SimpleUploadedFile("guests.xlsx", b"not a spreadsheet")
    response = client.post(reverse(URL), {"file": upload})
    assert response.status_code == 200
    assert response.context["preview"].errors


def test_import_by_volunteer_is_forbidden(client, volunteer):
    client.force_login(volunteer)
    assert client.get(reverse(URL)).status_code == 403


def xlsx_bomb(unpacked_bytes: int) -> bytes:
    """A valid guest-list workbook whose one cell is `unpacked_bytes` long: tiny on the
    wire (it compresses a thousandfold), huge once opened. openpyxl itself cuts cells
    at 32 767 characters, so the long cell is written into the archive directly."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "group", "activity"])
    sheet.append(["PLACEHOLDER", "13900000001", "g", "1"])
    plain = io.BytesIO()
    workbook.save(plain)
    bomb = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source,
        zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for member in source.infolist():
            data = source.read(member)
            if b"PLACEHOLDER" in data:
                data = data.replace(b"PLACEHOLDER", b"A" * unpacked_bytes)
            target.writestr(member.filename, data)
    return bomb.getvalue()


def test_import_of_xlsx_that_expands_hugely_is_refused_before_reading(client, district_organiser):
    content = xlsx_bomb(200 * 1024 * 1024)
    assert len(content) < 300 * 1024  # small on the wire, 200 MiB inside
    client.force_login(district_organiser)
    response = client.post(reverse(URL), {"file": SimpleUploadedFile("guests.xlsx", content)})
    assert response.status_code == 200
    (error,) = response.context["preview"].errors
    assert "MB" in error.message
    assert not Registration.objects.filter(source="import").exists()


def test_import_of_xlsx_with_too_many_cells_is_refused(client, district_organiser, settings):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "group", "activity"])
    for row in range(60):
        sheet.append([str(row)] * 1000)
    data = io.BytesIO()
    workbook.save(data)
    client.force_login(district_organiser)
    response = client.post(
        reverse(URL), {"file": SimpleUploadedFile("guests.xlsx", data.getvalue())}
    )
    (error,) = response.context["preview"].errors
    assert "cells" in error.message or "单元格" in error.message


def test_import_of_xlsx_with_a_long_but_sane_file_still_works(
    client, district_organiser, two_districts
):
    invitation = two_districts["own"]["invitation"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "group", "activity"])
    sheet.append(["嘉宾", "13900000001", invitation.group.name, invitation.sub_event.pk])
    data = io.BytesIO()
    workbook.save(data)
    client.force_login(district_organiser)
    response = client.post(
        reverse(URL), {"file": SimpleUploadedFile("guests.xlsx", data.getvalue())}
    )
    assert response.context["preview"].ok


def test_import_of_xlsx_with_cells_far_to_the_right_reads_only_the_first_columns(
    client, district_organiser, two_districts
):
    invitation = two_districts["own"]["invitation"]
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["name", "phone", "group", "activity"])
    sheet.append(["嘉宾", "13900000001", invitation.group.name, invitation.sub_event.pk])
    # One cell in the last column Excel has: read naively, every row is 16 384 cells.
    sheet.cell(row=2, column=16384, value="x")
    data = io.BytesIO()
    workbook.save(data)
    client.force_login(district_organiser)
    response = client.post(
        reverse(URL), {"file": SimpleUploadedFile("guests.xlsx", data.getvalue())}
    )
    preview = response.context["preview"]
    assert preview.ok
    assert [row["name"] for row in preview.rows] == ["嘉宾"]
