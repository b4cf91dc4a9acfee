import pytest
from django.core.exceptions import ValidationError

from openday.core.phone import mask_phone, normalise_phone


@pytest.mark.parametrize(
    "spelling",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "138.0013.8000",
        "+8613800138000",
        "+86 138 0013 8000",
        "+86-138-0013-8000",
        "(+86) 138 0013 8000",
        "008613800138000",
        "0086 138 0013 8000",
        "8613800138000",
        "１３８００１３８０００",
        "＋８６ １３８ ００１３ ８０００",
        "138\u00a00013\u00a08000",
        "138\u30000013\u30008000",
        "  13800138000  ",
        "138—0013—8000",
    ],
)
def test_normalise_phone_accepts_real_world_spellings(spelling):
    assert normalise_phone(spelling) == "13800138000"


@pytest.mark.parametrize(
    "spelling",
    [
        "",
        "   ",
        "1380013800",
        "138001380001",
        "12800138000",
        "23800138000",
        "+1 415 555 0100",
        "0532-8888-6666",
        "138OO138OOO",
        "phone",
        "13800138000😀",
        "١٣٨٠٠١٣٨٠٠٠",
        "+86",
        "13800138000\x00",
        "8613800138000 ext 5",
    ],
)
def test_normalise_phone_refuses_what_is_not_a_mainland_mobile(spelling):
    with pytest.raises(ValidationError):
        normalise_phone(spelling)


def test_normalise_phone_refuses_non_text():
    with pytest.raises(ValidationError):
        normalise_phone(None)


def test_mask_phone_hides_the_middle_digits():
    assert mask_phone("13800138000") == "138****8000"
