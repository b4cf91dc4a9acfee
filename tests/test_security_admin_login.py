"""Staff login: locked after repeated failures, per username and per address; the admin
can be moved to another URL."""

import importlib

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.urls import clear_url_caches, reverse

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
PASSWORD = "pw-Staff-123"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "organiser", password=PASSWORD, is_staff=True, is_superuser=True
    )


def log_in(client, username, password, address="198.51.100.1"):
    return client.post(
        LOGIN,
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
        secure=True,
    )


def test_admin_login_works_and_sets_a_secure_session_cookie(client, staff):
    response = log_in(client, "organiser", PASSWORD)
    assert response.status_code == 302
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["secure"] is True and cookie["httponly"] is True
    assert client.get("/admin/", secure=True).status_code == 200


def test_admin_login_locks_a_username_after_repeated_failures(client, staff, settings):
    limit = settings.AXES_FAILURE_LIMIT
    # Each attempt from another address: the username itself gets locked.
    for n in range(limit - 1):
        response = log_in(client, "organiser", "wrong", address=f"198.51.100.{n + 10}")
        assert response.status_code == 200
    locked = log_in(client, "organiser", "wrong", address="198.51.100.99")
    assert locked.status_code == 429
    # Now even the right password, from a new address, is refused.
    refused = log_in(client, "organiser", PASSWORD, address="203.0.113.50")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_admin_login_locks_an_address_after_repeated_failures(client, staff, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for n in range(limit):
        log_in(client, f"guess{n}", "wrong", address="192.0.2.66")
    refused = log_in(client, "organiser", PASSWORD, address="192.0.2.66")
    assert refused.status_code == 429
    other_address = log_in(client, "organiser", PASSWORD, address="192.0.2.67")
    assert other_address.status_code == 302


def test_admin_lockout_page_is_in_chinese_and_says_how_long(client, staff, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        response = log_in(client, "organiser", "wrong")
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已锁定" in page
    assert "30" in page


def test_admin_lockout_limit_is_configurable(client, staff, settings):
    settings.AXES_FAILURE_LIMIT = 2
    log_in(client, "organiser", "wrong")
    assert log_in(client, "organiser", "wrong").status_code == 429


def test_admin_login_success_resets_the_failure_count(client, staff, settings):
    limit = settings.AXES_FAILURE_LIMIT
    for _ in range(limit - 1):
        log_in(client, "organiser", "wrong")
    assert log_in(client, "organiser", PASSWORD).status_code == 302
    client.logout()
    for _ in range(limit - 1):
        log_in(client, "organiser", "wrong")
    assert log_in(client, "organiser", PASSWORD).status_code == 302


def test_admin_lockout_counts_the_client_behind_the_proxy(client, staff, settings):
    settings.OPENDAY_TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post(
            LOGIN,
            {"username": f"guess{n}", "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="203.0.113.7",
            secure=True,
        )
    assert AccessAttempt.objects.filter(ip_address="203.0.113.7").exists()
    # Another citizen behind the same load balancer is not locked out.
    response = client.post(
        LOGIN,
        {"username": "organiser", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR="203.0.113.8",
        secure=True,
    )
    assert response.status_code == 302


def test_test_client_login_still_works(client, staff):
    assert client.login(username="organiser", password=PASSWORD)


@pytest.fixture
def moved_admin(settings):
    import openday.urls

    settings.OPENDAY_ADMIN_URL = "staff-desk-7f3k/"
    clear_url_caches()
    importlib.reload(openday.urls)
    yield
    settings.OPENDAY_ADMIN_URL = "admin/"
    clear_url_caches()
    importlib.reload(openday.urls)
    clear_url_caches()


def test_admin_url_is_configurable(client, moved_admin):
    assert reverse("admin:index") == "/staff-desk-7f3k/"
    assert client.get("/staff-desk-7f3k/login/", secure=True).status_code == 200
    assert client.get("/admin/login/", secure=True).status_code == 404


def test_admin_login_with_an_overlong_username_is_refused_cleanly(client, staff):
    # Django's login form does not cap the length; axes' column holds 255 characters.
    response = log_in(client, "9" * 400, "wrong")
    assert response.status_code == 200
    assert AccessAttempt.objects.get().username == "9" * 150


def test_admin_login_locks_an_ipv6_64_whatever_address_inside_it(client, staff, settings):
    # Rotating addresses inside one /64 (one household's or phone's block) changes nothing.
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{n}", "wrong", address=f"2001:db8:7:8:{n + 1:x}::1")
    refused = log_in(client, "organiser", PASSWORD, address="2001:db8:7:8:ffff::2")
    assert refused.status_code == 429
    elsewhere = log_in(client, "organiser", PASSWORD, address="2001:db8:7:9::1")
    assert elsewhere.status_code == 302
