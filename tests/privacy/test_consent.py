import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from openday.privacy.consent import consent_statement_current, consent_text_current
from openday.privacy.models import ConsentStatement

pytestmark = pytest.mark.django_db


def test_consent_statement_is_frozen_in_every_language_on_first_use(settings):
    statement = consent_statement_current()
    assert statement.version == settings.OPENDAY_CONSENT_VERSION
    assert set(statement.texts) == {"zh-hans", "en"}
    assert "180" in statement.texts["en"]
    assert "180" in statement.texts["zh-hans"]
    assert statement.texts["zh-hans"] != statement.texts["en"]


def test_consent_statement_keeps_the_text_people_agreed_to(settings):
    first = consent_statement_current()
    settings.OPENDAY_RETENTION_DAYS = 30
    again = consent_statement_current()
    assert again.pk == first.pk
    assert again.texts == first.texts
    assert ConsentStatement.objects.count() == 1


def test_consent_text_current_follows_the_language():
    assert "姓名" in consent_text_current("zh-hans")
    assert "name" in consent_text_current("en")


def test_unknown_consent_version_stops_the_site(settings):
    settings.OPENDAY_CONSENT_VERSION = "1999-9"
    with pytest.raises(SystemCheckError, match="openday.E001"):
        call_command("check")
