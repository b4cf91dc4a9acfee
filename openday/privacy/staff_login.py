"""An optional second factor for staff: a time-based one-time code (TOTP) from an
authenticator app, for every account that has enrolled one.

Staff enrol in the admin (OTP_TOTP → TOTP devices → add; the page shows a QR code to
scan). Accounts with a confirmed device must type the app's current code at login;
accounts without one log in with their password alone, so the factor can be rolled out
account by account. django-otp throttles wrong codes per device; django-axes has already
throttled wrong passwords before this runs.
"""

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, verify_token


class StaffLoginForm(AdminAuthenticationForm):
    otp_token = forms.CharField(
        label=_("One-time code"),
        required=False,
        max_length=8,
        help_text=_("Only if you set up an authenticator app for this account."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    error_messages = {
        **AdminAuthenticationForm.error_messages,
        "otp_required": _("Enter the one-time code from your authenticator app."),
        "otp_invalid": _("The one-time code is wrong or has expired."),
    }

    def clean(self):
        cleaned = super().clean()
        user = self.get_user()
        if user is None:
            return cleaned
        devices = list(devices_for_user(user, confirmed=True))
        if not devices:
            return cleaned
        token = "".join((cleaned.get("otp_token") or "").split())
        if not token:
            raise ValidationError(self.error_messages["otp_required"], code="otp_required")
        if not any(verify_token(user, device.persistent_id, token) for device in devices):
            raise ValidationError(self.error_messages["otp_invalid"], code="otp_invalid")
        return cleaned
