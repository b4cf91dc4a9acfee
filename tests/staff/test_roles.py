"""The roles the data migration makes, and what each may do with its own district's
objects (the other district's are covered in test_scoping.py)."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from openday.registrations.models import Registration
from openday.staff import roles
from openday.staff.models import ExportRecord

pytestmark = pytest.mark.django_db


def test_migration_creates_the_three_roles():
    names = set(Group.objects.values_list("name", flat=True))
    assert {roles.CITY_ORGANISER, roles.DISTRICT_ORGANISER, roles.CHECKIN_VOLUNTEER} <= names


@pytest.mark.parametrize(
    ("role", "perm", "held"),
    [
        (roles.CITY_ORGANISER, "staff.all_districts", True),
        (roles.CITY_ORGANISER, "staff.view_full_phone", True),
        (roles.DISTRICT_ORGANISER, "staff.all_districts", False),
        (roles.DISTRICT_ORGANISER, "staff.view_full_phone", False),
        (roles.DISTRICT_ORGANISER, "events.delete_subevent", False),
        (roles.DISTRICT_ORGANISER, "staff.check_in", True),
        (roles.CHECKIN_VOLUNTEER, "staff.check_in", True),
        (roles.CHECKIN_VOLUNTEER, "registrations.view_registration", False),
    ],
)
def test_role_permissions(role, perm, held):
    app_label, codename = perm.split(".")
    group = Group.objects.get(name=role)
    assert (
        group.permissions.filter(content_type__app_label=app_label, codename=codename).exists()
        == held
    )


def test_district_organiser_registers_someone_on_own_activity(
    client, district_organiser, two_districts
):
    own = two_districts["own"]["subevent"]
    client.force_login(district_organiser)
    response = client.post(
        reverse("admin:registrations_registration_add"),
        {"sub_event": own.pk, "name": "李雷", "phone": "139 0000 1111", "party_size": 2},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    registration = Registration.objects.get(phone="13900001111")
    assert (registration.source, registration.created_by) == ("staff", district_organiser)


def test_district_organiser_changes_own_activity(client, district_organiser, two_districts):
    own = two_districts["own"]["subevent"]
    client.force_login(district_organiser)
    page = client.get(reverse("admin:events_subevent_change", args=[own.pk]))
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and not isinstance(value, list)
    }
    data.update(
        {
            "title": "改名后的活动",
            "event": own.event.pk,
            "district": own.district.pk,
            "venue": own.venue.pk,
            "format": own.format.pk,
            "starts_at_0": own.starts_at.date().isoformat(),
            "starts_at_1": "09:00",
            "ends_at_0": own.starts_at.date().isoformat(),
            "ends_at_1": "11:00",
            "agenda-TOTAL_FORMS": 0,
            "agenda-INITIAL_FORMS": 0,
            "invitations-TOTAL_FORMS": 1,
            "invitations-INITIAL_FORMS": 1,
            "invitations-0-id": two_districts["own"]["invitation"].pk,
            "invitations-0-sub_event": own.pk,
            "invitations-0-group": two_districts["own"]["invitation"].group.pk,
            "invitations-0-seats": 4,
        }
    )
    for name in ("registration_opens_at", "registration_closes_at", "invitations_release_at"):
        data.pop(name, None)
    response = client.post(reverse("admin:events_subevent_change", args=[own.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    own.refresh_from_db()
    assert own.title == "改名后的活动"


def test_district_organiser_cannot_see_export_records(client, district_organiser):
    client.force_login(district_organiser)
    assert client.get(reverse("admin:staff_exportrecord_changelist")).status_code == 403


def test_export_records_are_read_only_for_city_organiser(client, city_organiser):
    record = ExportRecord.objects.create(
        user=city_organiser, what="registrations", file_format="csv", row_count=3
    )
    client.force_login(city_organiser)
    assert client.get(reverse("admin:staff_exportrecord_changelist")).status_code == 200
    response = client.post(
        reverse("admin:staff_exportrecord_change", args=[record.pk]), {"row_count": 0}
    )
    assert response.status_code == 403
    record.refresh_from_db()
    assert record.row_count == 3


def test_user_admin_assigns_districts_and_activities(admin_client, district_organiser):
    # Accounts and roles are managed by superusers: whoever may edit users may make
    # anyone a superuser, so city organisers do not get that permission.
    page = admin_client.get(reverse("admin:auth_user_change", args=[district_organiser.pk]))
    assert page.status_code == 200
    assert "staff_profile-0-districts" in page.content.decode()


def test_admin_index_takes_volunteer_to_checkin(client, volunteer):
    client.force_login(volunteer)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:checkin")
