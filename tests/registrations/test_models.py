import pytest

from openday.registrations.models import Registration, hash_token, new_manage_token, new_reference


def test_references_are_short_and_unambiguous():
    references = {new_reference() for _ in range(1000)}
    assert len(references) == 1000
    assert all(len(reference) == 8 for reference in references)
    assert not set("".join(references)) & set("0O1IL2Z5S8BUV")


def test_manage_tokens_carry_at_least_128_bits():
    tokens = {new_manage_token() for _ in range(1000)}
    assert len(tokens) == 1000
    # token_urlsafe(32): 43 characters of 6 bits each.
    assert all(len(token) >= 43 for token in tokens)


def test_manage_token_is_stored_hashed(db):
    from tests.factories import RegistrationFactory

    registration = RegistrationFactory()
    token = registration.set_manage_token()
    registration.save()
    assert token not in registration.manage_token_hash
    assert registration.manage_token_hash == hash_token(token)
    assert Registration.objects.by_token(token).get() == registration
    assert not Registration.objects.by_token(token + "x").exists()


@pytest.mark.django_db
def test_checkin_code_is_the_signed_reference_and_nothing_personal():
    from tests.factories import RegistrationFactory

    registration = RegistrationFactory(phone="13800138000")
    code = registration.checkin_code
    assert registration.reference in code
    assert "13800138000" not in code and registration.name not in code
    assert Registration.reference_from_checkin_code(code) == registration.reference
    assert Registration.reference_from_checkin_code(registration.reference + ":forged") is None
