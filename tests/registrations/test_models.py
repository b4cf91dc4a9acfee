import pytest

from openday.registrations.models import Registration, new_reference


def test_references_are_short_and_unambiguous():
    references = {new_reference() for _ in range(1000)}
    assert len(references) == 1000
    assert all(len(reference) == 8 for reference in references)
    assert not set("".join(references)) & set("0O1IL2Z5S8BUV")


@pytest.mark.django_db
def test_checkin_code_is_the_signed_reference_and_nothing_personal():
    from tests.factories import RegistrationFactory

    registration = RegistrationFactory(phone="13800138000")
    code = registration.checkin_code
    assert registration.reference in code
    assert "13800138000" not in code and registration.name not in code
    assert Registration.reference_from_checkin_code(code) == registration.reference
    assert Registration.reference_from_checkin_code(registration.reference + ":forged") is None
