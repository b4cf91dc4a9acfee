"""System checks for text messages: `manage.py check` and `check --deploy`."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from .kinds import PARAMETERS
from .sms import LOCAL_BACKENDS, backend_path

# `manage.py check --tag sms` runs only these.
SMS = "sms"


def _backend_class():
    try:
        return import_string(backend_path()), None
    except ImportError as exc:
        return None, Error(
            f"OPENDAY_SMS_BACKEND={settings.OPENDAY_SMS_BACKEND!r} cannot be imported: {exc}",
            hint="Use console, file, locmem, tencent, aliyun or the dotted path of a class.",
            id="notifications.E001",
        )


@register(SMS)
def check_sms_settings(app_configs, **kwargs):
    backend_class, error = _backend_class()
    messages = [error] if error else []
    for kind in sorted(set(settings.OPENDAY_SMS_TEMPLATES) - set(PARAMETERS)):
        messages.append(
            Warning(
                f"OPENDAY_SMS_TEMPLATES names an unknown message kind: {kind!r}.",
                hint=f"The kinds are: {', '.join(map(str, PARAMETERS))}.",
                id="notifications.W002",
            )
        )
    return messages


@register(Tags.security, SMS, deploy=True)
def check_phone_verification_backend(app_configs, **kwargs):
    if settings.OPENDAY_PHONE_VERIFICATION and backend_path() in LOCAL_BACKENDS:
        return [
            Warning(
                "Phone verification is on but codes are not sent to phones.",
                hint="Set OPENDAY_SMS_BACKEND to tencent or aliyun (docs/sms.md).",
                id="openday.W001",
            )
        ]
    return []


@register(SMS, deploy=True)
def check_sms_gateway(app_configs, **kwargs):
    """A gateway sends only kinds that have a template ID: each missing one is a kind of
    message nobody receives by SMS, and a gateway that cannot start sends nothing."""
    backend_class, error = _backend_class()
    if backend_class is None or not getattr(backend_class, "requires_templates", False):
        return []
    messages = []
    try:
        backend_class()
    except ImproperlyConfigured as exc:
        messages.append(Error(str(exc), hint="See docs/sms.md.", id="notifications.E002"))
    for kind in map(str, PARAMETERS):
        if not settings.OPENDAY_SMS_TEMPLATES.get(kind):
            messages.append(
                Warning(
                    f"No SMS template ID for the message kind {kind!r}: "
                    "these messages are not sent by SMS.",
                    hint="Add it to OPENDAY_SMS_TEMPLATES (docs/sms.md has the template).",
                    id="notifications.W001",
                )
            )
    return messages


@register(SMS, deploy=True)
def check_sms_budget(app_configs, **kwargs):
    """A gateway without a budget sends whatever a mistake or a loop asks it to."""
    if backend_path() in LOCAL_BACKENDS:
        return []
    if settings.OPENDAY_SMS_BUDGET_HOUR or settings.OPENDAY_SMS_BUDGET_DAY:
        return []
    return [
        Warning(
            "Text messages have no budget (OPENDAY_SMS_BUDGET_HOUR and OPENDAY_SMS_BUDGET_DAY "
            "are 0): nothing holds back reminders or staff messages however many there are.",
            hint="Set a budget per hour and per day (defaults 2000 and 20000; docs/sms.md).",
            id="notifications.W003",
        )
    ]
