"""The door list and the name cards: PDFs for the door, scoped like every staff page."""

import io

import pytest
from django.urls import reverse
from pypdf import PdfReader

from openday.registrations.models import Registration
from openday.staff.models import ExportRecord
from tests import factories


def pdf_text(response) -> str:
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def door(two_districts):
    sub_event = two_districts["own"]["subevent"]
    Registration.objects.filter(sub_event=sub_event).delete()
    names = ["张伟", "安娜", "李娜", "Zoe Smith"]
    for index, name in enumerate(names):
        factories.RegistrationFactory(
            sub_event=sub_event, name=name, phone=f"1390000{index:04d}", party_size=index + 1
        )
    factories.RegistrationFactory(
        sub_event=sub_event,
        name="王芳",
        phone="13911112222",
        needs="wheelchair,other",
        needs_note="导盲犬",
        invitation=two_districts["own"]["invitation"],
    )
    factories.RegistrationFactory(
        sub_event=sub_event, name="取消者", status=Registration.Status.CANCELLED
    )
    return sub_event


def test_door_list_sorts_names_in_pinyin_order_and_masks_phones(client, district_organiser, door):
    client.force_login(district_organiser)
    response = client.get(reverse("staff:door_list", args=[door.pk]))
    assert response.status_code == 200
    text = pdf_text(response)
    # an (安娜), li (李娜), wang (王芳), zhang (张伟), zoe
    positions = [text.index(name) for name in ["安娜", "李娜", "王芳", "张伟", "Zoe Smith"]]
    assert positions == sorted(positions)
    assert "取消者" not in text
    assert "139****2222" in text and "13911112222" not in text
    assert "导盲犬" in text
    assert door.title in text


def test_door_list_is_recorded_like_an_export(client, district_organiser, door):
    client.force_login(district_organiser)
    client.get(reverse("staff:door_list", args=[door.pk]))
    record = ExportRecord.objects.get()
    assert (record.user, record.file_format, record.row_count) == (district_organiser, "pdf", 5)


def test_door_list_of_another_district_is_not_found(client, district_organiser, two_districts):
    client.force_login(district_organiser)
    other = two_districts["other"]["subevent"]
    assert client.get(reverse("staff:door_list", args=[other.pk])).status_code == 404
    assert client.get(reverse("staff:name_cards", args=[other.pk])).status_code == 404
    assert not ExportRecord.objects.exists()


def test_volunteer_prints_the_door_list_of_their_own_activity(client, volunteer, two_districts):
    client.force_login(volunteer)
    own, other = two_districts["own"]["subevent"], two_districts["other"]["subevent"]
    assert client.get(reverse("staff:door_list", args=[own.pk])).status_code == 200
    assert client.get(reverse("staff:door_list", args=[other.pk])).status_code == 404


def test_door_list_asks_anonymous_visitors_to_log_in(client, door):
    response = client.get(reverse("staff:door_list", args=[door.pk]))
    assert response.status_code == 302 and "login" in response["Location"]


def test_name_cards_are_one_per_confirmed_invited_guest(client, city_organiser, door):
    client.force_login(city_organiser)
    response = client.get(reverse("staff:name_cards", args=[door.pk]))
    assert response.status_code == 200
    text = pdf_text(response)
    assert "王芳" in text
    assert "张伟" not in text
    group = door.invitations.get().group.name
    assert group in text
