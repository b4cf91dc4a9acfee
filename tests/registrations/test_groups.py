"""Groups: a teacher books a class, a community worker a delegation. Beyond the public
party size only with an invitation code or through staff, naming every member; the places
count like any other booking."""

import datetime as dt
import io

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from openday.privacy import retention
from openday.registrations import manage_link, services
from openday.registrations.models import Participant, Registration
from tests import factories

pytestmark = pytest.mark.django_db

CLASS = ["张小明", "李小红", "王小刚"]


@pytest.fixture
def sub_event():
    return factories.SubEventFactory(capacity=20, max_party_size=2)


@pytest.fixture
def invitation(sub_event):
    return factories.InvitationFactory(sub_event=sub_event, seats=8)


def test_a_group_with_a_code_books_beyond_the_party_size_with_names(book, sub_event, invitation):
    booking = book(
        sub_event,
        name="陈老师",
        party_size=4,
        invitation_code=invitation.code,
        participants=[{"name": name} for name in CLASS],
    )
    registration = booking.registration
    assert registration.status == "confirmed"
    assert registration.party_size == 4
    assert [member.name for member in registration.participants.all()] == CLASS
    # The places count like any other: 8 seats, 4 left for the invitation.
    with pytest.raises(services.RegistrationFull):
        book(
            sub_event,
            phone="13900000009",
            party_size=5,
            invitation_code=invitation.code,
            participants=[{"name": f"学生{n}"} for n in range(4)],
        )


def test_a_group_must_name_every_member(book, sub_event, invitation):
    with pytest.raises(services.InvalidParticipants):
        book(sub_event, party_size=4, invitation_code=invitation.code)
    with pytest.raises(services.InvalidPartySize):
        book(
            sub_event,
            party_size=4,
            invitation_code=invitation.code,
            participants=[{"name": "张小明"}],  # two names missing
        )
    assert not Registration.objects.exists()


def test_without_a_code_the_public_party_size_holds(book, sub_event):
    with pytest.raises(services.InvalidPartySize):
        book(sub_event, party_size=4, participants=[{"name": name} for name in CLASS])
    assert not Participant.objects.exists()


def test_a_group_has_a_ceiling(book, sub_event, invitation, settings):
    settings.OPENDAY_GROUP_MAX_SIZE = 3
    with pytest.raises(services.InvalidPartySize):
        book(
            sub_event,
            party_size=4,
            invitation_code=invitation.code,
            participants=[{"name": name} for name in CLASS],
        )


def test_member_lines_take_a_phone_in_any_spelling():
    members = services.normalise_participants(
        "张小明 +86 139 0000 1111\n\n李小红\n ＷＡＮＧ　Ｌｅｉ "
    )
    assert members == [
        services.Member("张小明", "13900001111"),
        services.Member("李小红"),
        services.Member("WANG Lei"),
    ]
    with pytest.raises(services.InvalidParticipants) as refused:
        services.normalise_participants("张小明\n李小红 139 0000 111")
    assert "2" in str(refused.value.message)


def test_the_form_books_a_class_and_the_ticket_lists_it(client, sub_event, invitation):
    response = client.post(
        reverse("events:register", args=[sub_event.event.slug, sub_event.pk]),
        {
            "name": "陈老师",
            "phone": "138 0013 8000",
            "party_size": "1",
            "invitation_code": invitation.code,
            "participants": "\n".join(CLASS),
            "consent": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    registration = Registration.objects.get()
    assert registration.party_size == 4
    page = client.get(response["Location"]).content.decode()
    assert all(name in page for name in CLASS)


def test_the_leader_corrects_names_until_the_day_before(client, book, sub_event, invitation):
    sub_event.starts_at = timezone.now() + dt.timedelta(days=3)
    sub_event.ends_at = sub_event.starts_at + dt.timedelta(hours=2)
    sub_event.save()
    booking = book(
        sub_event,
        party_size=4,
        invitation_code=invitation.code,
        participants=[{"name": name} for name in CLASS],
    )
    url = reverse("registrations:group", kwargs={"token": booking.token})
    response = client.post(url, {"member-1": "张晓明", "member-2": "李小红", "member-3": "王小刚"})
    assert response.status_code == 302
    names = list(booking.registration.participants.values_list("name", flat=True))
    assert names == ["张晓明", "李小红", "王小刚"]
    assert booking.registration.log.filter(action="renamed").count() == 1

    # On the day itself the list is what the door has printed.
    sub_event.starts_at = timezone.localtime().replace(hour=23, minute=59)
    sub_event.ends_at = sub_event.starts_at + dt.timedelta(minutes=1)
    sub_event.save()
    client.post(url, {"member-1": "某某", "member-2": "李小红", "member-3": "王小刚"})
    assert booking.registration.participants.get(position=1).name == "张晓明"
    page = client.get(booking.manage_url).content.decode()
    assert 'name="member-1"' not in page and "张晓明" in page


def test_renaming_cannot_change_the_count(book, sub_event, invitation):
    booking = book(
        sub_event,
        party_size=4,
        invitation_code=invitation.code,
        participants=[{"name": name} for name in CLASS],
    )
    with pytest.raises(services.InvalidParticipants):
        services.registration_participants_rename(
            registration=booking.registration, names=["甲", "乙"]
        )
    with pytest.raises(services.InvalidParticipants):
        services.registration_participants_rename(
            registration=booking.registration, names=["甲", "", "丙"]
        )


def test_the_api_books_a_group(client, sub_event, invitation):
    response = client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        {
            "name": "陈老师",
            "phone": "13800138000",
            "party_size": 4,
            "invitation_code": invitation.code,
            "consent": True,
            "participants": [{"name": name} for name in CLASS],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert Registration.objects.get().participants.count() == 3
    missing = client.post(
        f"/api/v1/subevents/{sub_event.pk}/registrations",
        {
            "name": "林老师",
            "phone": "13800138001",
            "party_size": 3,
            "invitation_code": invitation.code,
            "consent": True,
        },
        content_type="application/json",
    )
    assert missing.status_code == 422
    assert "participants" in str(missing.json())


def test_staff_book_a_group_from_the_admin(admin_client, sub_event):
    response = admin_client.post(
        reverse("admin:registrations_registration_add"),
        {
            "sub_event": sub_event.pk,
            "name": "社区王主任",
            "phone": "13800138000",
            "party_size": "1",
            "participants": "\n".join(CLASS),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    registration = Registration.objects.get()
    assert registration.party_size == 4 and registration.source == "staff"
    page = admin_client.get(
        reverse("admin:registrations_registration_change", args=[registration.pk])
    ).content.decode()
    assert all(name in page for name in CLASS)


def test_the_guest_list_takes_members_without_a_phone(admin_client, sub_event, invitation):
    table = (
        "name,phone,group,activity\n"
        f"陈老师,13800138000,{invitation.group.name},{sub_event.pk}\n"
        f"张小明,,{invitation.group.name},{sub_event.pk}\n"
        f"李小红,,{invitation.group.name},{sub_event.pk}\n"
        f"周领队,13900139000,{invitation.group.name},{sub_event.pk}\n"
    )
    upload = io.BytesIO(table.encode())
    upload.name = "guests.csv"
    url = reverse("staff:guest_import")
    preview = admin_client.post(url, {"file": upload})
    assert preview.status_code == 200
    signed = preview.context.get("signed_rows")
    assert signed, [error.message for error in preview.context["preview"].errors]
    admin_client.post(url, {"rows": signed})
    teacher = Registration.objects.get(phone="13800138000")
    assert teacher.party_size == 3
    assert list(teacher.participants.values_list("name", flat=True)) == ["张小明", "李小红"]
    assert Registration.objects.get(phone="13900139000").party_size == 1


def test_a_member_row_needs_a_leader(admin_client, sub_event, invitation):
    table = f"name,phone,group,activity\n张小明,,{invitation.group.name},{sub_event.pk}\n"
    upload = io.BytesIO(table.encode())
    upload.name = "guests.csv"
    preview = admin_client.post(reverse("staff:guest_import"), {"file": upload})
    errors = preview.context["preview"].errors
    assert [error.row for error in errors] == [2]
    assert preview.context.get("signed_rows") is None
    assert not Registration.objects.exists()


def test_the_door_list_names_the_members(admin_client, book, sub_event, invitation):
    book(
        sub_event,
        name="陈老师",
        party_size=4,
        invitation_code=invitation.code,
        participants=[{"name": name} for name in CLASS],
    )
    response = admin_client.get(reverse("staff:door_list", args=[sub_event.pk]))
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "陈老师" in text and "张小明" in text and "王小刚" in text


def test_removing_personal_data_removes_the_members(book, sub_event, invitation):
    booking = book(
        sub_event,
        party_size=4,
        invitation_code=invitation.code,
        participants=[{"name": name} for name in CLASS],
    )
    retention._anonymise_registrations(
        Registration.objects.filter(pk=booking.registration.pk), timezone.now()
    )
    assert not Participant.objects.exists()
    assert manage_link.lookup(booking.token).count() == 0
