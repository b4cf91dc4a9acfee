"""Optional second factor: staff with an enrolled authenticator app must give its code."""

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Staff-123"


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(
        "organiser", password=PASSWORD, is_staff=True, is_superuser=True
    )


@pytest.fixture
def device(staff):
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


def current_code(device) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def log_in(client, password=PASSWORD, code=None):
    data = {"username": "organiser", "password": password, "next": "/admin/"}
    if code is not None:
        data["otp_token"] = code
    return client.post("/admin/login/", data, secure=True)


def test_login_page_offers_the_one_time_code_field(client, db):
    page = client.get("/admin/login/", secure=True).content.decode()
    assert 'name="otp_token"' in page
    assert "一次性验证码" in page


def test_staff_without_an_app_log_in_with_the_password_alone(client, staff):
    assert log_in(client).status_code == 302


def test_staff_with_an_app_must_give_its_code(client, device):
    response = log_in(client)
    assert response.status_code == 200
    assert "请输入身份验证器应用中的一次性验证码" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_with_an_app_are_refused_a_wrong_code(client, device):
    wrong = f"{(int(current_code(device)) + 1) % 1_000_000:06d}"
    response = log_in(client, code=wrong)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_staff_with_an_app_log_in_with_the_current_code(client, device):
    response = log_in(client, code=current_code(device))
    assert response.status_code == 302
    assert client.get("/admin/", secure=True).status_code == 200


def test_a_right_code_with_a_wrong_password_is_refused(client, device):
    response = log_in(client, password="wrong", code=current_code(device))
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_an_unconfirmed_device_does_not_lock_its_owner_out(client, staff):
    TOTPDevice.objects.create(user=staff, name="half set up", confirmed=False)
    assert log_in(client).status_code == 302
