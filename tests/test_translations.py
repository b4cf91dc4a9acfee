"""Chinese is the default interface: every string a person reads must be translated, and
the compiled catalogue must match the source."""

from pathlib import Path

import polib
from django.conf import settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(CATALOGUE.with_suffix(".po")))
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalogue_is_up_to_date():
    po = polib.pofile(str(CATALOGUE.with_suffix(".po")))
    mo = polib.mofile(str(CATALOGUE.with_suffix(".mo")))
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        if not entry.msgid_plural:
            assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, entry.msgid
