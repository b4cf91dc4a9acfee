"""What a staff member may see: the one place that decides district scoping.

City organisers (and superusers) hold `staff.all_districts` and see everything. Anyone
else sees only the districts on their `StaffProfile`; activities without a district (the
main venue, city-wide sessions) belong to city organisers alone. Every admin queryset,
list filter, autocomplete, form choice, export, dashboard figure and the check-in page
narrow their rows through these functions.
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from openday.core.phone import normalise_phone
from openday.events.models import District, SubEvent

from .models import StaffProfile

ALL_DISTRICTS = "staff.all_districts"
CHECK_IN = "staff.check_in"
VIEW_FULL_PHONE = "staff.view_full_phone"


def sees_all_districts(user) -> bool:
    return user.is_active and (user.is_superuser or user.has_perm(ALL_DISTRICTS))


def district_ids(user) -> list[int]:
    """The districts a scoped user is assigned to (cached on the user for the request)."""
    if not hasattr(user, "_staff_district_ids"):
        user._staff_district_ids = [row["district_id"] for row in _profile_ids(user, "districts")]
    return user._staff_district_ids


def _profile_ids(user, relation: str):
    through = getattr(StaffProfile, relation).through
    column = "district_id" if relation == "districts" else "subevent_id"
    return through.objects.filter(staffprofile__user=user).values(column)


def district_q(user, path: str) -> Q:
    """A filter on `path` (the lookup from a model to its District) that keeps the rows
    `user` may see. Call only for a user who does not see all districts."""
    return Q(**{f"{path}__in": district_ids(user)})


def restrict(queryset: QuerySet, user, *paths: str) -> QuerySet:
    """Keep the rows of `queryset` whose district (through any of `paths`) is one of the
    user's. With several paths a row needs to match only one of them."""
    if sees_all_districts(user):
        return queryset
    condition = Q(pk__in=[])
    for path in paths:
        condition |= district_q(user, path)
    return queryset.filter(condition)


def districts_for(user) -> QuerySet:
    return restrict(District.objects.all(), user, "pk")


def sub_events_for(user) -> QuerySet:
    return restrict(SubEvent.objects.all(), user, "district")


def check_in_sub_events(user) -> QuerySet:
    """Activities the user may check people in for: all for city organisers, their
    districts' for district organisers, and the assigned ones for volunteers."""
    if not user.is_active or not user.has_perm(CHECK_IN):
        return SubEvent.objects.none()
    if sees_all_districts(user):
        return SubEvent.objects.all()
    return SubEvent.objects.filter(
        Q(district__in=district_ids(user)) | Q(pk__in=_profile_ids(user, "sub_events"))
    )


def assignable_users(user) -> QuerySet:
    """Colleagues `user` may hand a piece of work to: for a district organiser the active
    staff of their own districts (themselves included), for city organisers any active
    staff member."""
    from django.contrib.auth import get_user_model

    staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    if sees_all_districts(user):
        return staff
    return staff.filter(
        Q(pk=user.pk) | Q(staff_profile__districts__in=district_ids(user))
    ).distinct()


def door_sub_events(user) -> QuerySet:
    """Activities whose door list and name cards the user may print: those they check
    people in for, and those in their districts when they may view registrations."""
    if user.is_active and user.has_perm("registrations.view_registration"):
        return sub_events_for(user) | check_in_sub_events(user)
    return check_in_sub_events(user)


def may_view_full_phone(user) -> bool:
    return user.is_active and user.has_perm(VIEW_FULL_PHONE)


# A search may match this many trailing digits of a phone number: the masked form shows
# them anyway (138****5678).
PHONE_SEARCH_TAIL = 4


def search_with_phone(
    queryset: QuerySet, user, term: str, *, phone_field: str, text_fields: tuple[str, ...] = ()
) -> QuerySet:
    """Every staff search over rows that hold a phone number (the changelist, its export,
    admin autocomplete): the one rule for what a search may reveal.

    A whole number, however it is spelled ("+86 138 0013 8000", full-width digits),
    matches exactly. Otherwise each word must match one of `text_fields` in part, or the
    phone: in part for staff allowed to see full numbers, and else only as its last four
    digits, so that nobody without the permission can learn a hidden digit by trying
    prefixes ("reference 1380", "reference 1381", ...).
    """
    term = term.strip()
    if not term:
        return queryset
    whole = _phone_or_none(term)
    if whole is not None:
        return queryset.filter(**{phone_field: whole})
    in_part = may_view_full_phone(user)
    condition = Q()
    for word in smart_split(term):
        word = unescape_string_literal(word) if word[:1] in {'"', "'"} else word
        matches = Q(pk__in=[])
        for field in text_fields:
            matches |= Q(**{f"{field}__icontains": word})
        number = _phone_or_none(word)
        digits = unicodedata.normalize("NFKC", word)
        if number is not None:
            matches |= Q(**{phone_field: number})
        elif digits.isascii() and digits.isdigit():
            if in_part:
                matches |= Q(**{f"{phone_field}__contains": digits})
            elif len(digits) == PHONE_SEARCH_TAIL:
                matches |= Q(**{f"{phone_field}__endswith": digits})
        condition &= matches
    return queryset.filter(condition)


def _phone_or_none(text: str) -> str | None:
    try:
        return normalise_phone(text)
    except ValidationError:
        return None
