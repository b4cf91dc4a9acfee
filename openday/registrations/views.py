"""The citizen's side of a registration: the form, the ticket and manage page behind the
secret link, cancelling, and the calendar file.

Seats change only through `services.registration_create` and `services.registration_cancel`.
"""

import segno
from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_safe

from openday.core import ratelimit
from openday.core.network import client_network
from openday.events import ics
from openday.events.models import Notice, SubEvent
from openday.notifications import services as notify
from openday.privacy import retention, verification
from openday.privacy.consent import consent_text_current

from . import idempotency, manage_link, selectors, services
from .forms import FindForm, RegistrationForm
from .models import Registration

# States of a sub-event in which the form is offered (the booking rules still decide).
FORM_STATES = {
    SubEvent.Availability.AVAILABLE,
    SubEvent.Availability.ALMOST_FULL,
    SubEvent.Availability.WAITLIST,
    SubEvent.Availability.INVITATION_ONLY,
}


def _form_key(form_token: str) -> str:
    # The form page's hidden token is the idempotency key of the bookings made from it.
    return f"form:{form_token}" if form_token else ""


def _booked_with(sub_event: SubEvent, form_token: str, phone: str) -> str | None:
    """The manage token of the booking this form page already made for this phone, if
    any (kept in the database for a day: `idempotency`). Another phone from the same page
    (Back, then a friend's details) is a new booking, not a repeat."""
    earlier = idempotency.earlier_answer(
        key=_form_key(form_token), sub_event_id=sub_event.pk, phone=phone
    )
    return earlier.token if earlier else None


def _to_earlier_booking(request, token: str):
    messages.info(request, _("This form was already sent: here is the registration it made."))
    return redirect(manage_link.path_for_token(token))


# The form's second step (OPENDAY_PHONE_VERIFICATION): what the person typed in the first
# step, and the verification ID of the code texted to them, travel in a signed hidden
# field, never the code, and expire with the code's time plus a margin for a slow text
# message.
PENDING_SALT = "openday.registrations.pending"
PENDING_SECONDS = 30 * 60
PENDING_FIELDS = (
    "name",
    "phone",
    "email",
    "party_size",
    "invitation_code",
    "participants",
    "needs_note",
    "form_token",
)


def _too_many(request, wait: int) -> HttpResponse:
    response = render(request, "429.html", status=429)
    response["Retry-After"] = str(wait)
    return response


def _pending_dump(form: RegistrationForm, verification_id: str) -> str:
    data = {field: form.cleaned_data[field] for field in PENDING_FIELDS}
    data["needs"] = form.cleaned_data["needs"]
    data["participants"] = "\n".join(
        f"{member.name} {member.phone}".strip() for member in form.cleaned_data["participants"]
    )
    data["verification_id"] = verification_id
    return signing.dumps(data, salt=PENDING_SALT, compress=True)


def _pending_load(value: str) -> tuple[dict, str] | None:
    """The form data of the first step, and the verification ID of its code."""
    try:
        data = signing.loads(value, salt=PENDING_SALT, max_age=PENDING_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    needs = data.get("needs")
    form_data = {field: str(data.get(field, "")) for field in PENDING_FIELDS} | {
        "consent": "on",
        "needs": [str(code) for code in needs] if isinstance(needs, list) else [],
    }
    return form_data, str(data.get("verification_id", ""))


def _book(request, sub_event: SubEvent, form: RegistrationForm):
    """Book from a valid form: the redirect to the new (or earlier) registration, or None
    with the refusal added to the form."""
    form_token = form.cleaned_data["form_token"]
    phone = form.cleaned_data["phone"]
    earlier = _booked_with(sub_event, form_token, phone)
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
            needs=form.cleaned_data["needs"],
            needs_note=form.cleaned_data["needs_note"],
            idempotency_key=_form_key(form_token),
            participants=form.cleaned_data["participants"],
        )
    except services.BookingError as error:
        # The same page submitted twice: the first submit may have booked while this one
        # waited for the lock.
        earlier = _booked_with(sub_event, form_token, phone)
        if earlier:
            return _to_earlier_booking(request, earlier)
        # Reached only with a verified number where the site checks numbers.
        form.add_booking_error(
            services.public_refusal(
                error,
                phone_verified=verification.verification_required(),
                sub_event_id=sub_event.pk,
                phone=phone,
            )
        )
        return None
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


def _send_code(request, form: RegistrationForm, replacing: str = "") -> tuple[str | None, str]:
    """Text a code to the form's phone (the code of `replacing` stops working): (the error
    message to show, or None when sent; the verification ID of the new code, or "")."""
    try:
        verification_id = verification.verification_send(
            phone=form.cleaned_data["phone"],
            client_address=client_network(request),
            replacing=replacing,
        )
    except ValidationError as error:
        return error.messages[0], ""
    except verification.VerificationError as error:
        return str(error.message), ""
    return None, verification_id


def _verify_step(request, sub_event, form, *, verification_id, error=None, sent=False, status=200):
    return render(
        request,
        "registrations/verify.html",
        {
            "sub_event": sub_event,
            "pending": _pending_dump(form, verification_id),
            "phone": form.cleaned_data["phone"],
            "error": error,
            "sent": sent,
        },
        status=status,
    )


def _register_post(request, sub_event: SubEvent):
    """The POST path of the form: a response, or the bound form to show again."""
    pending = request.POST.get("pending")
    verification_id = ""
    if pending is not None and verification.verification_required():
        loaded = _pending_load(pending)
        if loaded is None:
            messages.error(request, _("The form has expired. Please enter your details again."))
            return RegistrationForm(sub_event=sub_event)
        data, verification_id = loaded
        form = RegistrationForm(data, sub_event=sub_event)
    else:
        form = RegistrationForm(request.POST, sub_event=sub_event)
    wait = ratelimit.retry_after(request, phone=form.data.get("phone"), scope="booking")
    if wait is not None:
        return _too_many(request, wait)
    if not form.is_valid():
        return form
    if not verification.verification_required():
        return _book(request, sub_event, form) or form
    if pending is None:
        # First step done: text the code and ask for it.
        error, verification_id = _send_code(request, form)
        if error is not None:
            form.add_error(None, error)
            return form
        return _verify_step(request, sub_event, form, verification_id=verification_id, sent=True)
    if request.POST.get("action") == "resend":
        error, new_id = _send_code(request, form, replacing=verification_id)
        return _verify_step(
            request,
            sub_event,
            form,
            # A refused resend keeps the code already sent usable.
            verification_id=new_id or verification_id,
            error=error,
            sent=error is None,
        )
    # The code page sent twice (a double click): the first one spent the code and booked.
    earlier = _booked_with(sub_event, form.cleaned_data["form_token"], form.cleaned_data["phone"])
    if earlier:
        return _to_earlier_booking(request, earlier)
    # Checked before the booking and outside any transaction: a wrong guess stays counted.
    try:
        verification.verification_check(
            phone=form.cleaned_data["phone"],
            code=request.POST.get("code", ""),
            verification_id=verification_id,
        )
    except verification.VerificationError as error:
        return _verify_step(
            request, sub_event, form, verification_id=verification_id, error=str(error.message)
        )
    return _book(request, sub_event, form) or form


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def register(request, event_slug, pk):
    sub_event = get_object_or_404(
        SubEvent.objects.published().for_listing(), pk=pk, event__slug=event_slug
    )
    if request.method == "POST":
        result = _register_post(request, sub_event)
        if isinstance(result, HttpResponse):
            return result
        form = result
    else:
        form = RegistrationForm(sub_event=sub_event)
    return render(
        request,
        "registrations/register.html",
        {
            "sub_event": sub_event,
            "form": form,
            "form_open": sub_event.availability in FORM_STATES,
            "consent_text": consent_text_current(),
            "verification": verification.verification_required(),
            "notices": list(
                Notice.objects.for_page(event_id=sub_event.event_id, sub_event_id=sub_event.pk)
            ),
        },
    )


def _registration_or_404(token: str) -> Registration:
    registration = (
        manage_link.lookup(token)
        .select_related("sub_event__event", "sub_event__venue__district", "reminder_opt_out")
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


@manage_link.page
@require_safe
def manage(request, token):
    registration = _registration_or_404(token)
    # A code to scan only while it can still let someone in.
    ticket_state = registration.ticket_state
    return render(
        request,
        "registrations/manage.html",
        {
            "registration": registration,
            "sub_event": registration.sub_event,
            "token": token,
            "manage_link": request.build_absolute_uri(),
            "ticket_state": ticket_state,
            "qr_svg": _qr_svg(registration) if ticket_state == "valid" else "",
            "can_cancel": services.registration_cancellable(registration),
            "can_erase": retention.registration_can_be_erased(registration),
            "waitlist_position": services.waitlist_position(registration),
            # Only a party of several can have named members.
            "participants": list(registration.participants.all())
            if registration.party_size > 1
            else [],
            "names_editable_until": services.participants_editable_until(registration.sub_event),
            "names_editable": registration.is_active
            and timezone.now() < services.participants_editable_until(registration.sub_event),
            "reminders_off": notify.reminders_are_off(registration),
            "notices": list(
                Notice.objects.for_page(
                    event_id=registration.sub_event.event_id,
                    sub_event_id=registration.sub_event_id,
                )
            ),
        },
    )


@manage_link.page
@require_http_methods(["POST"])
def group_names(request, token):
    """The group's leader corrects the names of its members (the manage page's form)."""
    registration = _registration_or_404(token)
    names = [
        request.POST.get(f"member-{member.position}", "")
        for member in registration.participants.all()
    ]
    try:
        services.registration_participants_rename(registration=registration, names=names)
    except services.BookingError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, _("The names are saved."))
    return redirect(manage_link.path_for_token(token) + "#group")


def _ask_first(request, template: str, registration: Registration, token: str):
    """The page that asks before a step that cannot be undone (cancel, delete my data)."""
    context = {"registration": registration, "sub_event": registration.sub_event, "token": token}
    return render(request, template, context)


@manage_link.page
@require_http_methods(["GET", "HEAD", "POST"])
def cancel(request, token):
    registration = _registration_or_404(token)
    manage_url = manage_link.path_for_token(token)
    if not registration.is_active:
        messages.info(request, _("This registration is already cancelled."))
        return redirect(manage_url)
    if not services.registration_cancellable(registration):
        messages.error(request, str(services.CancellationClosed.message))
        return redirect(manage_url)
    if request.method == "POST":
        # The service decides (and tells the person, and anyone promoted, once committed).
        try:
            services.registration_cancel(registration=registration)
        except services.BookingError as error:
            messages.error(request, str(error.message))
            return redirect(manage_url)
        messages.success(request, _("Your registration is cancelled. Thank you for telling us."))
        return redirect(manage_url)
    return _ask_first(request, "registrations/cancel.html", registration, token)


@manage_link.page
@require_http_methods(["POST"])
def reminders(request, token):
    """Turn the reminder before the activity off (or on again)."""
    registration = _registration_or_404(token)
    off = request.POST.get("reminders") == "off"
    if registration.is_active:
        notify.reminders_off(registration, off=off)
        if off:
            messages.success(request, _("You will get no reminder before this activity."))
        else:
            messages.success(request, _("You will get a reminder before this activity."))
    return redirect(manage_link.path_for_token(token))


@manage_link.page
@require_http_methods(["GET", "HEAD", "POST"])
def erase(request, token):
    """ "Delete my data", once the activity is over: a confirmation page, then (POST) the
    registration is anonymised and its manage link leads nowhere."""
    registration = _registration_or_404(token)
    if request.method == "POST":
        try:
            retention.registration_erase(registration=registration)
        except retention.ErasureNotAllowed as error:
            messages.error(request, str(error.message))
            return redirect(manage_link.path_for_token(token))
        return render(request, "registrations/erased.html")
    if not retention.registration_can_be_erased(registration):
        messages.error(request, str(retention.ErasureNotAllowed.message))
        return redirect(manage_link.path_for_token(token))
    return _ask_first(request, "registrations/erase.html", registration, token)


@manage_link.page
@require_safe
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
    return response


# --- Finding one's registrations again ---------------------------------------------------
# The phone number and a code texted to it lead to every current registration of the
# number, with its manage link. Links are derived (`manage_link`), so nothing is rotated.
# Until the code is checked the page reads the same for every number (a code is sent
# whether or not the number booked anything); `verification_send`'s limits apply.
FIND_SALT = "openday.registrations.find"
FIND_SECONDS = 30 * 60


def _find_send(request, phone: str, replacing: str = "") -> tuple[str | None, str]:
    try:
        return None, verification.verification_send(
            phone=phone, client_address=client_network(request), replacing=replacing
        )
    except ValidationError as error:
        return error.messages[0], ""
    except verification.VerificationError as error:
        return str(error.message), ""


def _find_code_step(request, phone: str, verification_id: str, *, error=None, sent=False):
    pending = signing.dumps({"phone": phone, "id": verification_id}, salt=FIND_SALT)
    context = {"step": "code", "pending": pending, "phone": phone, "error": error, "sent": sent}
    return render(request, "registrations/find.html", context, status=200 if not error else 400)


def _find_phone_step(request, form: FindForm, *, error: str = ""):
    context = {"step": "phone", "form": form, "error": error}
    status = 400 if error or form.errors else 200
    return render(request, "registrations/find.html", context, status=status)


@require_http_methods(["GET", "POST"])
def find(request):
    """Step one asks for the number and texts a code; step two checks the code and lists
    the number's registrations."""
    if request.method == "GET" or "pending" not in request.POST:
        form = FindForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            error, verification_id = _find_send(request, form.cleaned_data["phone"])
            if error is None:
                return _find_code_step(
                    request, form.cleaned_data["phone"], verification_id, sent=True
                )
            form.add_error("phone", error)
        return _find_phone_step(request, form)

    try:
        pending = signing.loads(request.POST["pending"], salt=FIND_SALT, max_age=FIND_SECONDS)
        phone, verification_id = str(pending["phone"]), str(pending["id"])
    except (signing.BadSignature, KeyError, TypeError):
        return _find_phone_step(
            request, FindForm(), error=_("This page has expired. Enter your number again.")
        )
    if request.POST.get("action") == "resend":
        error, new_id = _find_send(request, phone, replacing=verification_id)
        if error is not None:
            return _find_code_step(request, phone, verification_id, error=error)
        return _find_code_step(request, phone, new_id, sent=True)
    try:
        verification.verification_check(
            phone=phone, code=request.POST.get("code", ""), verification_id=verification_id
        )
    except verification.VerificationError as error:
        return _find_code_step(request, phone, verification_id, error=str(error.message))
    context = {"step": "found", "registrations": selectors.current_registrations_of(phone)}
    return manage_link.private(render(request, "registrations/find.html", context))
