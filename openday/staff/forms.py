from django import forms
from django.utils.translation import gettext_lazy as _

from openday.core.phone import normalise_phone
from openday.registrations import services as booking
from openday.registrations.models import Registration

from .models import StaffMessage

MAX_IMPORT_BYTES = 2 * 1024 * 1024


class StaffMessageForm(forms.Form):
    CHECKED_IN_CHOICES = [
        ("", _("everyone")),
        ("yes", _("only those who came")),
        ("no", _("only those who did not come")),
    ]

    kind = forms.ChoiceField(label=_("kind"), choices=StaffMessage.Kind.choices)
    statuses = forms.MultipleChoiceField(
        label=_("send to registrations that are"),
        choices=Registration.Status.choices,
        initial=[Registration.Status.CONFIRMED],
        widget=forms.CheckboxSelectMultiple,
    )
    checked_in = forms.ChoiceField(label=_("check-in"), choices=CHECKED_IN_CHOICES, required=False)
    subject = forms.CharField(label=_("subject"), max_length=200)
    body = forms.CharField(label=_("message"), widget=forms.Textarea, max_length=5000)

    def __init__(self, *args, sub_event, **kwargs):
        super().__init__(*args, **kwargs)
        self.sub_event = sub_event


class GuestImportForm(forms.Form):
    file = forms.FileField(
        label=_("guest list (CSV or XLSX)"),
        help_text=_("Columns: name, phone, group, activity (its number or title)."),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is too large (at most 2 MB)."))
        return upload


class WalkInForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        error_messages={"required": _("Enter the walk-in's name.")},
    )
    phone = forms.CharField(
        label=_("Mobile phone"),
        max_length=40,
        error_messages={"required": _("Enter the walk-in's mobile phone number.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    party_size = forms.TypedChoiceField(
        label=_("People"),
        coerce=int,
        widget=forms.Select(attrs={"class": "form-select form-select-lg", "id": "walk-in-party"}),
    )

    def __init__(self, *args, sub_event, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party_size"].choices = [
            (n, str(n)) for n in range(1, sub_event.max_party_size + 1)
        ]

    def clean_name(self) -> str:
        name = booking.normalise_name(self.cleaned_data["name"])
        if not name:
            raise forms.ValidationError(_("Enter the walk-in's name."))
        return name

    def clean_phone(self) -> str:
        return normalise_phone(self.cleaned_data["phone"])
