"""Finding one's registrations again: the phone number and a code texted to it lead to
every current registration of the number, with its manage link.

Links are derived, not stored (`manage_link`), so nothing needs rotating: the person sees
the links they were sent. Until the code is checked the page says the same for every
number (a code is sent, whether or not the number booked anything), so it tells nobody
who registered; the sending limits of `verification_send` apply.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from openday.core.network import client_network
from openday.core.phone import normalise_phone
from openday.privacy import verification

from . import manage_link
from .models import Registration

PENDING_SALT = "openday.registrations.find"
PENDING_SECONDS = 30 * 60
# Registrations of activities that ended longer ago than this are not listed.
SHOWN_AFTER_END = timedelta(days=30)


class FindForm(forms.Form):
    phone = forms.CharField(
        label=gettext_lazy("Mobile phone"),
        max_length=40,
        help_text=gettext_lazy("The number you registered with; we text a code to it."),
        error_messages={"required": gettext_lazy("Enter a mobile phone number.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "138 0013 8000"}
        ),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])


def registrations_of(phone: str) -> list[tuple[Registration, str]]:
    """The number's registrations a person may still want (not anonymised, the activity
    not long over), soonest first, each with its manage link."""
    found = (
        Registration.objects.filter(
            phone=phone,
            anonymised_at__isnull=True,
            sub_event__ends_at__gte=timezone.now() - SHOWN_AFTER_END,
        )
        .select_related("sub_event__event", "sub_event__venue")
        .order_by("sub_event__starts_at", "pk")
    )
    return [
        (registration, path)
        for registration in found
        if (path := manage_link.manage_path(registration))
    ]


def _send(request, phone: str, replacing: str = "") -> tuple[str | None, str]:
    try:
        return None, verification.verification_send(
            phone=phone, client_address=client_network(request), replacing=replacing
        )
    except ValidationError as error:
        return error.messages[0], ""
    except verification.VerificationError as error:
        return str(error.message), ""


def _code_step(request, phone: str, verification_id: str, *, error=None, sent=False):
    pending = signing.dumps({"phone": phone, "id": verification_id}, salt=PENDING_SALT)
    context = {"step": "code", "pending": pending, "phone": phone, "error": error, "sent": sent}
    return render(request, "registrations/find.html", context, status=200 if not error else 400)


def _phone_step(request, form: FindForm, *, error: str = ""):
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
            error, verification_id = _send(request, form.cleaned_data["phone"])
            if error is None:
                return _code_step(request, form.cleaned_data["phone"], verification_id, sent=True)
            form.add_error("phone", error)
        return _phone_step(request, form)

    try:
        pending = signing.loads(request.POST["pending"], salt=PENDING_SALT, max_age=PENDING_SECONDS)
        phone, verification_id = str(pending["phone"]), str(pending["id"])
    except (signing.BadSignature, KeyError, TypeError):
        return _phone_step(
            request, FindForm(), error=_("This page has expired. Enter your number again.")
        )
    if request.POST.get("action") == "resend":
        error, new_id = _send(request, phone, replacing=verification_id)
        if error is not None:
            return _code_step(request, phone, verification_id, error=error)
        return _code_step(request, phone, new_id, sent=True)
    try:
        verification.verification_check(
            phone=phone, code=request.POST.get("code", ""), verification_id=verification_id
        )
    except verification.VerificationError as error:
        return _code_step(request, phone, verification_id, error=str(error.message))
    context = {"step": "found", "registrations": registrations_of(phone)}
    return manage_link.private(render(request, "registrations/find.html", context))
