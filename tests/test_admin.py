"""Every admin changelist, add and change page renders for a superuser, with a number of
queries that does not grow with the number of rows."""

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db

MODELS = [
    (model._meta.app_label, model._meta.model_name)
    for model in admin.site._registry
    if model._meta.app_label in {"events", "registrations", "feedback"}
]


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_pages_render(admin_client, app, model):
    call_command("load_demo")
    changelist = admin_client.get(reverse(f"admin:{app}_{model}_changelist"))
    assert changelist.status_code == 200
    assert admin_client.get(reverse(f"admin:{app}_{model}_add")).status_code == 200
    model_class = next(m for m in admin.site._registry if m._meta.model_name == model)
    obj = model_class.objects.first()
    if obj is not None:
        response = admin_client.get(reverse(f"admin:{app}_{model}_change", args=[obj.pk]))
        assert response.status_code == 200


@pytest.mark.parametrize(("app", "model"), MODELS)
def test_admin_changelist_queries_do_not_grow_with_rows(admin_client, app, model):
    url = reverse(f"admin:{app}_{model}_changelist")
    call_command("load_demo")
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    call_command("load_demo", subevents=40, registrations=120)
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_admin_is_in_chinese_by_default(admin_client):
    response = admin_client.get(reverse("admin:index"))
    assert "开放日" in response.content.decode()
