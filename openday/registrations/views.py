"""The citizen's side of a registration: the form, the ticket and manage page behind the
secret link, cancelling, and the calendar file.

Seats change only through `services.registration_create` and `services.registration_cancel`.
"""

import segno
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from openday.events import ics
from openday.events.models import SubEvent

from . import notifications, services
from .forms import RegistrationForm
from .models import Registration

# States of a sub-event in which the form is offered (the booking rules still decide).
FORM_STATES = {
    SubEvent.Availability.AVAILABLE,
    SubEvent.Availability.ALMOST_FULL,
    SubEvent.Availability.WAITLIST,
    SubEvent.Availability.INVITATION_ONLY,
}
# How long a submitted form page keeps leading to the booking it made (double clicks,
# reloads). The cache holds the manage token that long, server-side only.
FORM_TOKEN_SECONDS = 15 * 60


def _form_token_key(form_token: str) -> str:
    return f"openday:registration-form:{form_token}"


def _booked_with(form_token: str, phone: str) -> str | None:
    """The manage token of the booking this form page already made for this phone, if
    any. Another phone from the same page (Back, then a friend's details) is a new
    booking, not a repeat."""
    earlier = cache.get(_form_token_key(form_token)) if form_token else None
    if earlier and earlier["phone"] == phone:
        return earlier["token"]
    return None


def _remember_booking(form_token: str, phone: str, token: str) -> None:
    if form_token:
        cache.set(_form_token_key(form_token), {"phone": phone, "token": token}, FORM_TOKEN_SECONDS)


def _private(response: HttpResponse) -> HttpResponse:
    """Pages behind the manage link: not indexed, not cached, and the link is never sent
    to another site. (same-origin, not no-referrer: with no-referrer browsers send
    `Origin: null` on the cancel form's POST and the CSRF check refuses it.)"""
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def _to_earlier_booking(request, token: str):
    messages.info(request, _("This form was already sent: here is the registration it made."))
    return redirect(Registration.manage_url_for(token))


@never_cache
@require_http_methods(["GET", "POST"])
def register(request, event_slug, pk):
    sub_event = get_object_or_404(
        SubEvent.objects.published().for_listing(), pk=pk, event__slug=event_slug
    )
    if request.method == "POST":
        form = RegistrationForm(request.POST, sub_event=sub_event)
        if form.is_valid():
            form_token = form.cleaned_data["form_token"]
            phone = form.cleaned_data["phone"]
            earlier = _booked_with(form_token, phone)
            if earlier:
                return _to_earlier_booking(request, earlier)
            try:
                booking = services.registration_create(
                    sub_event_id=sub_event.pk,
                    name=form.cleaned_data["name"],
                    phone=phone,
                    email=form.cleaned_data["email"],
                    party_size=form.cleaned_data["party_size"],
                    invitation_code=form.cleaned_data["invitation_code"],
                    source=Registration.Source.WEB,
                    language=get_language(),
                )
            except services.BookingError as error:
                # The same page submitted twice: the first submit may have booked while
                # this one waited for the lock.
                earlier = _booked_with(form_token, phone)
                if earlier:
                    return _to_earlier_booking(request, earlier)
                form.add_booking_error(error)
            else:
                _remember_booking(form_token, phone, booking.token)
                if booking.registration.status == Registration.Status.CONFIRMED:
                    messages.success(request, _("You are registered. This is your ticket."))
                else:
                    messages.info(
                        request,
                        _(
                            "The activity is full, so you are on the waiting list. If a place"
                            " frees up it is yours at once and this page will show it."
                        ),
                    )
                return redirect(booking.manage_url)
    else:
        form = RegistrationForm(sub_event=sub_event)
    return render(
        request,
        "registrations/register.html",
        {
            "sub_event": sub_event,
            "form": form,
            "form_open": sub_event.availability in FORM_STATES,
            "retention_days": settings.OPENDAY_RETENTION_DAYS,
        },
    )


def _registration_or_404(token: str) -> Registration:
    registration = (
        Registration.objects.by_token(token)
        .select_related("sub_event__event", "sub_event__venue__district")
        .first()
    )
    if registration is None or registration.anonymised_at is not None:
        raise Http404
    return registration


def _qr_svg(registration: Registration) -> str:
    # The QR code carries only the signed reference (`checkin_code`): no personal data,
    # not the manage token. segno writes no style attributes; CSS sizes it by class.
    svg = segno.make(registration.checkin_code, error="m").svg_inline(
        scale=1, svgclass="ticket-qr", lineclass="ticket-qr-dark", omitsize=True, light="#fff"
    )
    return mark_safe(svg)  # noqa: S308 - segno's own markup around our signed code


@never_cache
@require_GET
def manage(request, token):
    registration = _registration_or_404(token)
    confirmed = registration.status == Registration.Status.CONFIRMED
    return _private(
        render(
            request,
            "registrations/manage.html",
            {
                "registration": registration,
                "sub_event": registration.sub_event,
                "token": token,
                "manage_link": request.build_absolute_uri(),
                "qr_svg": _qr_svg(registration) if confirmed else "",
                "can_cancel": registration.is_active and not registration.sub_event.is_past,
            },
        )
    )


@never_cache
@require_http_methods(["GET", "POST"])
def cancel(request, token):
    registration = _registration_or_404(token)
    manage_url = Registration.manage_url_for(token)
    if not registration.is_active:
        messages.info(request, _("This registration is already cancelled."))
        return redirect(manage_url)
    if registration.sub_event.is_past:
        messages.error(request, _("The activity is over; there is nothing left to cancel."))
        return redirect(manage_url)
    if request.method == "POST":
        services.registration_cancel(registration=registration)
        notifications.registration_cancelled(registration)
        messages.success(request, _("Your registration is cancelled. Thank you for telling us."))
        return redirect(manage_url)
    return _private(
        render(
            request,
            "registrations/cancel.html",
            {"registration": registration, "sub_event": registration.sub_event, "token": token},
        )
    )


@never_cache
@require_GET
def calendar_file(request, token):
    registration = _registration_or_404(token)
    sub_event = registration.sub_event
    description = _("Reference: %(reference)s · %(status)s · %(people)s people") % {
        "reference": registration.reference,
        "status": registration.get_status_display(),
        "people": registration.party_size,
    }
    body = ics.calendar_for(sub_event.title, [sub_event], description=description)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{registration.reference}.ics"'
    return _private(response)
