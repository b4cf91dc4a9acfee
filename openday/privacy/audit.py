"""Recording who saw or exported personal data.

Every staff view that shows full phone numbers and every export calls one of these;
`AuditEntry` rows are read in the admin and never edited there.
"""

from collections.abc import Iterable

from django.http import HttpRequest

from openday.registrations.models import Registration

from .models import AuditEntry
from .network import client_ip

FULL_PHONE_PERMISSION = "privacy.view_full_phone"


def can_see_full_phone(user) -> bool:
    return bool(user and user.is_active and user.has_perm(FULL_PHONE_PERMISSION))


def audit_record(
    *, request: HttpRequest, action: str, target: str, row_count: int = 0
) -> AuditEntry:
    """Write one audit entry for the request's user. `target` says what was seen, without
    personal data (model and references, an export's filter)."""
    return AuditEntry.objects.create(
        user=request.user,
        action=action,
        target=target[:300],
        row_count=row_count,
        path=request.path[:300],
        ip_address=client_ip(request),
    )


def audit_export(*, request: HttpRequest, target: str, row_count: int) -> AuditEntry:
    return audit_record(
        request=request, action=AuditEntry.Action.EXPORT, target=target, row_count=row_count
    )


def phones_for_staff(
    *, request: HttpRequest, registrations: Iterable[Registration]
) -> dict[int, str]:
    """The phone number to show for each registration (by pk) on a staff page: in full
    for staff with the full-phone permission (and then one audit entry for the page),
    masked for everyone else."""
    registrations = list(registrations)
    if not can_see_full_phone(request.user):
        return {registration.pk: registration.masked_phone for registration in registrations}
    shown = [registration for registration in registrations if registration.phone]
    if shown:
        references = ", ".join(registration.reference for registration in shown)
        audit_record(
            request=request,
            action=AuditEntry.Action.VIEW_FULL_PHONE,
            target=f"registrations: {references}",
            row_count=len(shown),
        )
    return {registration.pk: registration.phone for registration in registrations}
