"""Languages: the public pages carry theirs in the URL (Chinese unprefixed, English under
/en/), so a page is the same for everyone who asks for its address and can be cached
whole; switching language is a plain link to the same page in the other language.

Everything not under `i18n_patterns` (the API, the admin, the staff tools) follows the
visitor's language cookie or browser, as Django does without language prefixes.
"""

from django.conf import settings
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.urls import translate_url
from django.utils import translation


def alternates(path: str) -> dict[str, str]:
    """The same page in each language, by language code; empty when `path` is not a
    page whose URL carries its language."""
    urls = {code: translate_url(path, code) for code, _name in settings.LANGUAGES}
    return urls if len(set(urls.values())) > 1 else {}


class LocaleMiddleware(DjangoLocaleMiddleware):
    def process_request(self, request):
        super().process_request(request)
        if not alternates(request.path_info):
            language = translation.get_language_from_request(request)
            translation.activate(language)
            request.LANGUAGE_CODE = translation.get_language()


def language_links(request) -> dict:
    """Template context: `language_links`, a list of (code, absolute URL) of this page in
    each language, for the language switch and the `hreflang` alternates."""
    path = request.get_full_path()
    return {
        "language_links": [
            (code, request.build_absolute_uri(url)) for code, url in alternates(path).items()
        ]
    }
