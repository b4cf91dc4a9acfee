"""The admin reads Chinese throughout: role groups, section headings of the libraries,
the selection widget, the language of a registration, exports and mail."""

import importlib
import io
import json
from email.header import decode_header, make_header

import pytest
from django.apps import apps as django_apps
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import load_command_class
from django.urls import reverse
from openpyxl import load_workbook

from openday.staff import roles
from tests import factories

pytestmark = pytest.mark.django_db

rename_migration = importlib.import_module("openday.staff.migrations.0007_roles_in_chinese")


def test_role_groups_are_named_in_chinese(client, superuser):
    roles.sync_roles(django_apps)
    client.force_login(superuser)
    page = client.get(reverse("admin:auth_group_changelist")).content.decode()
    for name in ("市级管理员", "区市管理员", "签到志愿者"):
        assert name in page
    assert "City organiser" not in page


def test_renaming_a_role_keeps_its_permissions_and_members(django_user_model):
    Group.objects.filter(name=roles.CITY_ORGANISER).delete()
    old = Group.objects.create(name="City organiser")
    old.permissions.set(Permission.objects.filter(codename__in=["check_in", "view_event"]))
    member = django_user_model.objects.create_user("organiser", is_staff=True)
    member.groups.add(old)

    rename_migration.to_chinese(django_apps, None)

    renamed = Group.objects.get(pk=old.pk)
    assert renamed.name == "市级管理员"
    assert sorted(renamed.permissions.values_list("codename", flat=True)) == [
        "check_in",
        "view_event",
    ]
    assert list(renamed.user_set.all()) == [member]
    assert not Group.objects.filter(name="City organiser").exists()


def test_library_sections_of_the_admin_read_chinese(admin_client):
    page = admin_client.get(reverse("admin:index")).content.decode()
    for heading in ("登录保护", "登录失败", "两步登录", "身份验证器", "后台任务"):
        assert heading in page
    for english in ("Axes", "AXES", "OTP_TOTP", "Tasks Database Backend", "Task Results"):
        assert english not in page
    assert "Access attempts" not in page


def test_selection_widget_names_what_it_moves_in_chinese(admin_client):
    catalogue = admin_client.get(reverse("admin:jsi18n")).content.decode()
    # The catalogue is JSON inside the script, with non-ASCII characters escaped.
    assert json.dumps("选择选中的%s") in catalogue
    assert json.dumps("删除全部%s") in catalogue


def test_registration_language_shows_its_name(admin_client):
    registration = factories.RegistrationFactory(language="zh-hans")
    page = admin_client.get(
        reverse("admin:registrations_registration_change", args=[registration.pk])
    ).content.decode()
    assert '<option value="zh-hans" selected>简体中文</option>' in page


def test_xlsx_sheet_is_named_in_chinese_or_as_configured(admin_client, settings):
    factories.RegistrationFactory()
    url = reverse("admin:registrations_registration_export", args=["xlsx"])

    def sheet_title():
        body = b"".join(admin_client.get(url).streaming_content)
        return load_workbook(io.BytesIO(body)).active.title

    assert sheet_title() == "报名"
    settings.OPENDAY_EXPORT_SHEET_NAME = "开放日报名名单"
    assert sheet_title() == "开放日报名名单"


def test_mail_comes_from_the_open_day_by_default(book, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(factories.SubEventFactory(), email="li@example.com")
    sender = mail.outbox[0].message()["From"]
    assert str(make_header(decode_header(sender))) == "公众开放日 <noreply@localhost>"


def test_purge_help_shows_the_retention_in_force(settings):
    settings.OPENDAY_RETENTION_DAYS = 90
    command = load_command_class("openday.privacy", "purge_personal_data")
    help_text = command.create_parser("manage.py", "purge_personal_data").format_help()
    assert "now 90" in " ".join(help_text.split())
    assert "None" not in help_text
