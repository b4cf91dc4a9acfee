"""Chinese is the default interface: every string a person reads must be translated, and
the compiled catalogue must match the source."""

import ast
from pathlib import Path

import polib
from django.conf import settings
from django.utils import translation

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


# --- strings are translated when shown, not when the code is imported ----------------------

EAGER = {"gettext", "ngettext", "pgettext", "npgettext"}
LAZY = {"gettext_lazy", "ngettext_lazy", "pgettext_lazy", "npgettext_lazy"}


def _translation_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    eager, lazy = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
            for alias in node.names:
                if alias.name in EAGER:
                    eager.add(alias.asname or alias.name)
                elif alias.name in LAZY:
                    lazy.add(alias.asname or alias.name)
    return eager, lazy


def _import_time_code(body: list[ast.stmt]):
    """The expressions Python runs when the module is imported: module and class bodies,
    default values and decorators; not the bodies of functions and lambdas."""
    for statement in body:
        if isinstance(statement, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = statement.args
            yield from (d for d in arguments.defaults + arguments.kw_defaults if d is not None)
            yield from statement.decorator_list
        elif isinstance(statement, ast.ClassDef):
            yield from statement.bases
            yield from statement.decorator_list
            yield from _import_time_code(statement.body)
        elif isinstance(statement, ast.If | ast.Try | ast.With | ast.For):
            if isinstance(statement, ast.If):
                yield statement.test
            nested = [*statement.body, *getattr(statement, "orelse", [])]
            for handler in getattr(statement, "handlers", []):
                nested.extend(handler.body)
            yield from _import_time_code(nested)
        else:
            yield statement


def _evaluated(node: ast.AST, eager: set[str], lazy: set[str]):
    """Translations that this import-time expression turns into text at once."""
    translated = eager | lazy

    def is_call(value, names):
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id in names
        )

    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, ast.Lambda):
            continue
        if is_call(current, eager):
            yield current.lineno, "gettext() instead of gettext_lazy()"
        elif isinstance(current, ast.BinOp) and (
            is_call(current.left, translated) or is_call(current.right, translated)
        ):
            yield current.lineno, "a translated string formatted or joined"
        elif (
            isinstance(current, ast.Call)
            and isinstance(current.func, ast.Attribute)
            and is_call(current.func.value, translated)
        ):
            yield current.lineno, f"a translated string's .{current.func.attr}()"
        elif (
            isinstance(current, ast.Call)
            and isinstance(current.func, ast.Name)
            and current.func.id == "str"
            and any(is_call(arg, lazy) for arg in current.args)
        ):
            yield current.lineno, "str() of a lazy translation"
        elif isinstance(current, ast.FormattedValue) and is_call(current.value, translated):
            yield current.lineno, "a translated string in an f-string"
        stack.extend(ast.iter_child_nodes(current))


def test_no_string_is_translated_at_import_time():
    """A string translated while the code is imported stays in the language of start-up
    (Chinese) on the English pages."""
    found = []
    for path in sorted((Path(settings.BASE_DIR) / "openday").rglob("*.py")):
        if "migrations" in path.parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        eager, lazy = _translation_names(tree)
        for code in _import_time_code(tree.body):
            for line, what in _evaluated(code, eager, lazy):
                found.append(f"{path.relative_to(settings.BASE_DIR)}:{line}: {what}")
    assert found == []


def test_suggestion_help_text_follows_the_page_language(client, db, english):
    from django.urls import reverse

    from tests import factories

    event = factories.EventFactory()
    english_page = client.get(reverse("feedback:suggest", args=[event.slug])).content.decode()
    assert "At most 2000 characters" in english_page
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    with translation.override("zh-hans"):
        chinese_page = client.get(reverse("feedback:suggest", args=[event.slug])).content.decode()
    assert "At most 2000 characters" not in chinese_page
