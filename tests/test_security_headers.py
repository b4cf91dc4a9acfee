"""Every public page, found by following links from the programme (and the API's lists
when the API is there), carries the security headers, has no inline script or style,
and shows no phone number of anyone who registered or gave feedback."""

import json
import re
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urlsplit

import pytest
from django.conf import settings
from django.core.management import call_command
from django.urls import Resolver404, resolve

from openday.feedback.models import Feedback
from openday.registrations import manage_link
from openday.registrations.models import Registration, hash_token
from tests import factories

pytestmark = pytest.mark.django_db

MAX_PAGES = 120
API_LISTS = ["/api/v1/events", "/api/v1/subevents", "/api/v1/openapi.json"]
SKIPPED_PREFIXES = ("/static/", "/media/", "/i18n/", f"/{settings.OPENDAY_ADMIN_URL}")
MANAGE_TOKEN = "manage-token-for-the-crawler-0123456789abcdef"


class LinkCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def same_site_path(href: str) -> str | None:
    href, _fragment = urldefrag(href)
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    if parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def resolvable(path: str) -> bool:
    try:
        resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return True


def crawl(client, seeds):
    """Yield (path, response) for every public page reachable from the seeds."""
    queue = deque(seeds)
    seen = set(seeds)
    while queue and len(seen) <= MAX_PAGES:
        path = queue.popleft()
        response = client.get(path, secure=True)
        yield path, response
        content_type = response.get("Content-Type", "")
        body = response.content.decode("utf-8", "replace")
        if "html" in content_type:
            collector = LinkCollector()
            collector.feed(body)
            found = collector.links
        elif "json" in content_type:
            found = re.findall(r'"(/[^"\s]*)"', body)
        else:
            found = []
        for href in found:
            link = same_site_path(href)
            if link and link not in seen and resolvable(link):
                seen.add(link)
                queue.append(link)


@pytest.fixture
def public_pages(client):
    call_command("load_demo")
    registration = Registration.objects.first()
    Registration.objects.filter(pk=registration.pk).update(
        manage_token_hash=hash_token(MANAGE_TOKEN)
    )
    factories.FeedbackFactory(contact_phone="13612345678", is_published=True, public_reply="谢谢")
    seeds = ["/", manage_link.path_for_token(MANAGE_TOKEN)]
    seeds += [path for path in API_LISTS if resolvable(path)]
    pages = list(crawl(client, seeds))
    assert len(pages) >= 5, [path for path, _ in pages]
    return pages


def assert_security_headers(path, response, *, camera=False):
    csp = response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'", path
    assert directives["script-src"] == "'self'", path
    assert directives["style-src"] == "'self'", path
    assert directives["object-src"] == "'none'", path
    assert directives["frame-ancestors"] == "'none'", path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert response["X-Content-Type-Options"] == "nosniff", path
    assert response["Referrer-Policy"] == "same-origin", path
    assert response["X-Frame-Options"] == "DENY", path
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", path
    policy = response["Permissions-Policy"]
    assert ("camera=(self)" if camera else "camera=()") in policy, path
    assert "microphone=()" in policy and "geolocation=()" in policy, path


INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
)
INLINE_STYLE = re.compile(r"<style\b|\sstyle=")
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)


def test_public_pages_all_answer(public_pages):
    assert [(path, r.status_code) for path, r in public_pages if r.status_code >= 400] == []


def test_public_pages_carry_the_security_headers(public_pages):
    for path, response in public_pages:
        assert_security_headers(path, response)


def test_public_pages_have_no_inline_script_or_style(public_pages):
    for path, response in public_pages:
        if "html" not in response.get("Content-Type", ""):
            continue
        html = response.content.decode()
        assert not INLINE_SCRIPT.search(html), path
        assert not INLINE_STYLE.search(html), path
        assert not EVENT_HANDLER.search(html), path


def test_public_pages_show_no_full_phone_number(public_pages):
    phones = set(Registration.objects.exclude(phone="").values_list("phone", flat=True))
    phones |= set(
        Feedback.objects.exclude(contact_phone="").values_list("contact_phone", flat=True)
    )
    assert len(phones) > 10
    for path, response in public_pages:
        body = response.content.decode("utf-8", "replace")
        shown = set(re.findall(r"(?<!\d)1[3-9]\d{9}(?!\d)", body)) & phones
        assert shown == set(), path


def test_camera_is_allowed_only_on_the_check_in_pages(client, db):
    assert_security_headers("checkin", client.get("/staff/checkin/", secure=True), camera=True)
    assert_security_headers("healthz", client.get("/healthz", secure=True))


def test_admin_pages_carry_the_security_headers(admin_client):
    for path in ["/admin/", "/admin/registrations/registration/", "/admin/login/"]:
        assert_security_headers(path, admin_client.get(path, secure=True))


def test_error_pages_carry_the_security_headers(client, db):
    response = client.get("/no-such-page/", secure=True)
    assert response.status_code == 404
    assert_security_headers("404", response)


def test_api_answers_carry_the_security_headers(client, db):
    for path in [p for p in API_LISTS if resolvable(p)] or ["/healthz"]:
        response = client.get(path, secure=True)
        assert_security_headers(path, response)
        if "json" in response.get("Content-Type", ""):
            json.loads(response.content)
