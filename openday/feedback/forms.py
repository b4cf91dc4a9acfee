import re

from django import forms
from django.utils.translation import gettext_lazy as _

from openday.core.phone import normalise_phone
from openday.events.models import District, Event, SubEvent

from .models import Feedback

TEXT_MAX = 2000
TEXT_MIN = 5
# Control characters other than tab and newlines have no place in a suggestion.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
RATING_CHOICES = [
    (5, _("5 — very satisfied")),
    (4, _("4 — satisfied")),
    (3, _("3 — neither")),
    (2, _("2 — dissatisfied")),
    (1, _("1 — very dissatisfied")),
]


class SuggestionForm(forms.Form):
    category = forms.ChoiceField(
        label=_("What is it about?"),
        choices=[c for c in Feedback.Category.choices if c[0] != Feedback.Category.SURVEY],
        initial=Feedback.Category.SUGGESTION,
    )
    district = forms.ModelChoiceField(
        label=_("District"),
        queryset=District.objects.all(),
        required=False,
        empty_label=_("City-wide / not sure"),
    )
    text = forms.CharField(
        label=_("Your suggestion"),
        min_length=TEXT_MIN,
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": TEXT_MAX}),
    )
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you overall? (optional)"),
        choices=RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        widget=forms.RadioSelect,
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=100, required=False)
    contact_phone = forms.CharField(label=_("Mobile phone"), max_length=30, required=False)
    contact_email = forms.EmailField(label=_("E-mail"), required=False)
    contact_consent = forms.BooleanField(
        label=_(
            "I agree that staff may use these contact details to answer me about this "
            "suggestion. They are never published."
        ),
        required=False,
    )
    # A field people never see (hidden by CSS and from screen readers); bots fill it in.
    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(self, *args, sub_event: SubEvent | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        # Filled in here, in the language of the request: formatted in the class body it
        # would be translated once, at start-up.
        self.fields["text"].help_text = _(
            "At most %(max)s characters. Please leave out personal data of others."
        ) % {"max": TEXT_MAX}
        if sub_event is not None:
            # The activity decides the district.
            del self.fields["district"]

    def clean_text(self):
        text = CONTROL_CHARACTERS.sub("", self.cleaned_data["text"]).strip()
        if len(text) < TEXT_MIN:
            raise forms.ValidationError(
                _("Please write at least %(min)s characters."), params={"min": TEXT_MIN}
            )
        return text

    def clean_contact_phone(self):
        phone = self.cleaned_data["contact_phone"].strip()
        return normalise_phone(phone) if phone else ""

    def clean_contact_name(self):
        return CONTROL_CHARACTERS.sub("", self.cleaned_data["contact_name"]).strip()

    def clean(self):
        data = super().clean()
        has_contact = any(data.get(f) for f in ("contact_name", "contact_phone", "contact_email"))
        if has_contact and not data.get("contact_consent"):
            self.add_error(
                "contact_consent",
                _("Please agree to the use of your contact details, or leave them empty."),
            )
        return data

    @property
    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class SurveyForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied were you with this activity?"),
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose a rating from 1 to 5.")},
    )
    text = forms.CharField(
        label=_("What should we keep or change? (optional)"),
        max_length=TEXT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": TEXT_MAX}),
    )

    def clean_text(self):
        return CONTROL_CHARACTERS.sub("", self.cleaned_data["text"]).strip()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleImageField(forms.FileField):
    """Several files in one field; each is checked by `photos_create`, not here, so that
    the whole batch is refused with one message per bad file."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        files = [f for f in files if f]
        if not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        return [super(MultipleImageField, self).clean(f, initial) for f in files]


MAX_FILES_PER_UPLOAD = 30


class PhotoUploadForm(forms.Form):
    event = forms.ModelChoiceField(label=_("Open day"), queryset=Event.objects.all())
    sub_event = forms.ModelChoiceField(
        label=_("Activity"),
        queryset=SubEvent.objects.select_related("event"),
        required=False,
        help_text=_("Leave empty for photos of the open day as a whole."),
    )
    files = MultipleImageField(
        label=_("Photos"),
        help_text=_("JPEG, PNG or WebP; you can choose several files at once."),
    )
    caption = forms.CharField(
        label=_("Caption"),
        max_length=200,
        required=False,
        help_text=_("Also read out to blind visitors: describe what the photo shows."),
    )
    credit = forms.CharField(label=_("Credit"), max_length=100, required=False)

    def clean_files(self):
        files = self.cleaned_data["files"]
        if len(files) > MAX_FILES_PER_UPLOAD:
            raise forms.ValidationError(
                _("Please upload at most %(max)s photos at a time."),
                params={"max": MAX_FILES_PER_UPLOAD},
            )
        return files

    def clean(self):
        data = super().clean()
        event, sub_event = data.get("event"), data.get("sub_event")
        if event and sub_event and sub_event.event_id != event.pk:
            self.add_error("sub_event", _("This activity belongs to another open day."))
        return data
