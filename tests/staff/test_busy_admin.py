"""A lock wait that runs out reaches staff as "busy, try again", never as a server error:
in the admin's "add registration" page and in the guest-list import. Real row locks held
by another connection, on PostgreSQL, with a short lock_timeout."""

import contextlib
import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from openday.events.models import SubEvent
from openday.registrations.models import Registration
from openday.staff import imports
from tests import factories
from tests.admin_pages import form_data
from tests.conftest import requires_postgres

pytestmark = [requires_postgres, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BUSY = "Too many people are registering right now"


@contextlib.contextmanager
def held_lock(sub_event):
    """The sub-event's row locked by another connection, and this connection waiting at
    most 200 ms for a lock."""
    locked, release = threading.Event(), threading.Event()

    def hold():
        try:
            with transaction.atomic():
                SubEvent.objects.select_for_update().get(pk=sub_event.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    assert locked.wait(10)
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
    try:
        yield
    finally:
        release.set()
        holder.join()
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


@pytest.fixture(autouse=True)
def _english(english):
    pass


def test_admin_add_registration_says_busy_when_the_lock_wait_runs_out(admin_client):
    sub_event = factories.SubEventFactory()
    data = {"sub_event": sub_event.pk, "name": "李雷", "phone": "13900001111", "party_size": 1}
    with held_lock(sub_event):
        response = admin_client.post(reverse("admin:registrations_registration_add"), data)
    assert response.status_code == 200
    assert BUSY in response.content.decode()
    assert not Registration.objects.exists()
    # Once the lock is free, the same form books.
    response = admin_client.post(reverse("admin:registrations_registration_add"), data)
    assert response.status_code == 302
    assert Registration.objects.get().phone == "13900001111"


def test_guest_import_says_busy_and_offers_the_same_preview_again(admin_client):
    invitation = factories.InvitationFactory()
    # What the preview step signs into the page (see `imports.check_rows`).
    upload_rows = [
        {
            "row": 2,
            "name": "张三",
            "phone": "13800138000",
            "invitation": invitation.pk,
            "group": invitation.group.slug,
            "group_name": invitation.group.name,
            "activity": str(invitation.sub_event_id),
            "activity_title": invitation.sub_event.title,
            "sub_event": invitation.sub_event_id,
        }
    ]
    signed = imports.sign_rows(upload_rows)
    with held_lock(invitation.sub_event):
        response = admin_client.post(reverse("staff:guest_import"), {"rows": signed})
    page = response.content.decode()
    assert response.status_code == 200
    assert BUSY in page
    assert signed in page
    assert not Registration.objects.exists()
    response = admin_client.post(reverse("staff:guest_import"), {"rows": signed})
    assert response.status_code == 302
    assert Registration.objects.get().phone == "13800138000"


def test_changing_the_capacity_says_busy_when_the_lock_wait_runs_out(admin_client):
    sub_event = factories.SubEventFactory(capacity=5)
    url = reverse("admin:events_subevent_change", args=[sub_event.pk])
    data = form_data(admin_client.get(url).content.decode(), "subevent_form", capacity="9")
    with held_lock(sub_event):
        response = admin_client.post(url, data)
    assert response.status_code == 200
    assert BUSY in response.content.decode()
    sub_event.refresh_from_db()
    assert sub_event.capacity == 5
    assert admin_client.post(url, data).status_code == 302
    sub_event.refresh_from_db()
    assert sub_event.capacity == 9
