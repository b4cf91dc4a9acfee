import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from openday.privacy.audit import audit_export, can_see_full_phone, phones_for_staff
from openday.privacy.models import AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user("staff", password="pw-Staff-123", is_staff=True)


def staff_request(user, path="/admin/registrations/registration/"):
    request = RequestFactory().get(path, REMOTE_ADDR="192.0.2.10")
    request.user = user
    return request


def test_phones_for_staff_are_masked_without_the_permission(staff):
    registrations = factories.RegistrationFactory.create_batch(2)
    phones = phones_for_staff(request=staff_request(staff), registrations=registrations)
    assert phones == {r.pk: f"{r.phone[:3]}****{r.phone[7:]}" for r in registrations}
    assert AuditEntry.objects.count() == 0


def test_phones_for_staff_are_full_and_recorded_with_the_permission(staff):
    staff.user_permissions.add(Permission.objects.get(codename="view_full_phone"))
    staff = type(staff).objects.get(pk=staff.pk)  # fresh permission cache
    registrations = factories.RegistrationFactory.create_batch(3)
    phones = phones_for_staff(request=staff_request(staff), registrations=registrations)
    assert phones == {r.pk: r.phone for r in registrations}
    entry = AuditEntry.objects.get()
    assert (entry.user, entry.action, entry.row_count) == (staff, "view_phone", 3)
    assert all(r.reference in entry.target for r in registrations)
    assert all(r.phone not in entry.target for r in registrations)
    assert entry.ip_address == "192.0.2.10"


def test_can_see_full_phone_needs_the_permission_and_an_active_account(staff, superuser):
    assert not can_see_full_phone(staff)
    assert can_see_full_phone(superuser)
    superuser.is_active = False
    assert not can_see_full_phone(superuser)


def test_audit_export_is_recorded(staff):
    audit_export(request=staff_request(staff), target="registrations: 执法体验日", row_count=42)
    assert AuditEntry.objects.get().row_count == 42


def test_audit_trail_cannot_be_changed_in_the_admin(admin_client, staff):
    entry = audit_export(request=staff_request(staff), target="registrations", row_count=1)
    assert admin_client.get(reverse("admin:privacy_auditentry_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:privacy_auditentry_add")).status_code == 403
    delete = reverse("admin:privacy_auditentry_delete", args=[entry.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.count() == 1
