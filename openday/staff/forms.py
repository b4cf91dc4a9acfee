from django import forms
from django.utils.translation import gettext_lazy as _

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
