"""The public registration form. It validates what a person typed and says precisely what
is wrong; the booking rules themselves stay in `services.registration_create`."""

import secrets

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from openday.core.phone import normalise_phone
from openday.events.models import SubEvent

from .models import Registration
from .services import (
    NAME_MAX_LENGTH,
    BookingError,
    DuplicateRegistration,
    InvalidInvitationCode,
    InvalidName,
    InvalidParticipants,
    InvalidPartySize,
    NoShowSuspended,
    OverlappingRegistration,
    normalise_invitation_code,
    normalise_name,
    normalise_participants,
)


def new_form_token() -> str:
    return secrets.token_urlsafe(24)


class RegistrationForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        error_messages={
            "required": _("Enter your name."),
            "max_length": _("A name has at most 100 characters."),
        },
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        help_text=_("For the organisers to reach you about this activity only."),
        error_messages={"required": _("Enter a mobile phone number.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "138 0013 8000"}
        ),
    )
    email = forms.EmailField(
        label=_("E-mail (optional)"),
        required=False,
        help_text=_("We send your ticket there too."),
        error_messages={"invalid": _("Enter an e-mail address such as name@example.com.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    party_size = forms.TypedChoiceField(
        label=_("Number of people, you included"),
        coerce=int,
        error_messages={"invalid_choice": _("Choose how many people come.")},
    )
    invitation_code = forms.CharField(
        label=_("Invitation code (optional)"),
        max_length=32,
        required=False,
        help_text=_("Only if your group received one; it books a reserved place."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )
    participants = forms.CharField(
        label=_("The others in your group"),
        required=False,
        max_length=6000,
        help_text=_(
            "For a group booked with an invitation code (a class, a delegation): one person"
            " per line, the name and, if you like, a mobile number. The number of people is"
            " then counted from this list, you included."
        ),
        error_messages={"max_length": _("The list of names is too long.")},
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "off"}),
    )
    needs = forms.MultipleChoiceField(
        label=_("Accessibility needs (optional)"),
        choices=Registration.Need.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("So that the organisers can prepare; tell us only what helps."),
    )
    needs_note = forms.CharField(
        label=_("Other needs"),
        max_length=200,
        required=False,
        error_messages={"max_length": _("Describe your needs in at most 200 characters.")},
    )
    consent = forms.BooleanField(
        required=True,
        error_messages={
            "required": _("Please agree to the use of your details, or we cannot register you.")
        },
    )
    # A fresh random value per form page: a second submit of the same page (a double
    # click, a reload) leads to the booking the first one made instead of a new one.
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, sub_event: SubEvent, **kwargs):
        super().__init__(*args, **kwargs)
        self.sub_event = sub_event
        sizes = range(1, sub_event.max_party_size + 1)
        self.fields["party_size"].choices = [(n, str(n)) for n in sizes]
        self.fields["party_size"].initial = 1
        if sub_event.max_party_size == 1:
            self.fields["party_size"].widget = forms.HiddenInput()
        self.fields["consent"].label = format_html(
            '{} <a href="{}">{}</a>',
            _("I agree that my details are used to organise this activity as described above."),
            reverse("events:privacy"),
            _("Privacy notice"),
        )
        if not self.is_bound:
            self.initial.setdefault("form_token", new_form_token())

    # Names and codes are cleaned by the service's normalisers; the form only words the
    # message next to the field.
    def clean_name(self) -> str:
        name = normalise_name(self.cleaned_data["name"])
        if not name:
            raise ValidationError(_("Enter your name."), code="required")
        if len(name) > NAME_MAX_LENGTH:
            raise ValidationError(_("A name has at most 100 characters."), code="max_length")
        return name

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])

    def clean_invitation_code(self) -> str:
        return normalise_invitation_code(self.cleaned_data["invitation_code"])

    def clean_participants(self):
        try:
            return normalise_participants(self.cleaned_data["participants"])
        except InvalidParticipants as error:
            raise ValidationError(error.message, code=error.code) from error

    def clean(self):
        cleaned = super().clean()
        members = cleaned.get("participants")
        if members:
            # A group lists its members: the list, not the drop-down, says how many come.
            cleaned["party_size"] = len(members) + 1
            self.errors.pop("party_size", None)
        return cleaned

    def clean_form_token(self) -> str:
        token = self.cleaned_data.get("form_token", "")
        # Anything but what new_form_token() makes is ignored rather than refused.
        if len(token) == 32 and token.replace("-", "").replace("_", "").isalnum():
            return token
        return ""

    def add_booking_error(self, error: BookingError) -> None:
        """Put a refusal of the booking rules next to the field it is about."""
        if isinstance(error, DuplicateRegistration):
            self.add_error(
                "phone",
                ValidationError(
                    "%(message)s %(hint)s",
                    params={
                        "message": error.message,
                        "hint": _(
                            "Open the link in your confirmation to see, change or cancel it."
                        ),
                    },
                    code=error.code,
                ),
            )
        elif isinstance(error, InvalidInvitationCode):
            self.add_error("invitation_code", ValidationError(error.message, code=error.code))
        elif isinstance(error, (NoShowSuspended, OverlappingRegistration)):
            self.add_error("phone", ValidationError(str(error.message), code=error.code))
        elif isinstance(error, InvalidName):
            self.add_error("name", ValidationError(error.message, code=error.code))
        elif isinstance(error, InvalidParticipants):
            self.add_error("participants", ValidationError(error.message, code=error.code))
        elif isinstance(error, InvalidPartySize):
            field = "participants" if self.cleaned_data.get("participants") else "party_size"
            self.add_error(field, ValidationError(error.message, code=error.code))
        else:
            self.add_error(None, ValidationError(error.message, code=error.code))


class FindForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        help_text=_("The number you registered with; we text a code to it."),
        error_messages={"required": _("Enter a mobile phone number.")},
        widget=forms.TextInput(
            attrs={"autocomplete": "tel", "inputmode": "tel", "placeholder": "138 0013 8000"}
        ),
    )

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])
