"""The manage link: the one owner of the secret that opens a registration's page.

A registration keeps a random salt and the SHA-256 of its token; the token itself is an
HMAC of the salt under the site's key, so it can be derived again whenever a message
needs the link (a reminder a week later, a text message sent by a worker) and is stored
nowhere: not in the database, the cache or a task's arguments. Whoever has the database
alone cannot make a link; whoever has the key alone does not know the salts.

Rotating the link (`issue`) draws a new salt: the old link stops working at once. When
SECRET_KEY is rotated, the old key stays in SECRET_KEY_FALLBACKS for a while: links
already sent keep working (the lookup compares hashes), and `token_for` derives with
whichever key made the stored hash.

Every route that takes a token looks it up here (`lookup`), so a registration whose
personal data was removed is found by none of them, and counts against one rate limit
(`retry_after`; pages use the `page` decorator). The log filter
(`openday.privacy.logs`) cuts the token out of each of their paths.
"""

from __future__ import annotations

import base64
import functools
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import salted_hmac

from openday.core import ratelimit

from .models import Registration, hash_token

KEY_SALT = "openday.registrations.manage-link"


def _derive(salt: str, secret: str) -> str:
    digest = salted_hmac(KEY_SALT, salt, secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def new_link() -> tuple[dict[str, str], str]:
    """A fresh link: the fields a registration stores for it, and its token."""
    salt = secrets.token_urlsafe(16)
    token = _derive(salt, settings.SECRET_KEY)
    return {"manage_salt": salt, "manage_token_hash": hash_token(token)}, token


def issue(registration: Registration) -> str:
    """Give the registration a new link (the caller saves it) and return its token."""
    fields, token = new_link()
    for name, value in fields.items():
        setattr(registration, name, value)
    return token


def token_for(registration: Registration) -> str | None:
    """The registration's current token, derived again; None when it cannot be (data
    removed, or a link made before links were derivable: `issue` a new one)."""
    if not registration.manage_salt or registration.anonymised_at is not None:
        return None
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        token = _derive(registration.manage_salt, secret)
        if secrets.compare_digest(hash_token(token), registration.manage_token_hash):
            return token
    return None


def path_for_token(token: str) -> str:
    return reverse("registrations:manage", kwargs={"token": token})


def manage_path(registration: Registration) -> str:
    """The site-relative link to the registration's page, or "" (see `token_for`)."""
    token = token_for(registration)
    return path_for_token(token) if token else ""


def manage_url(registration: Registration) -> str:
    """The absolute link, for messages that leave the site; "" when there is none."""
    path = manage_path(registration)
    return f"{settings.OPENDAY_BASE_URL}{path}" if path else ""


def lookup(token: str):
    """The registration a token opens, as a queryset (empty for a wrong token or removed
    personal data). The token is hashed first: the lookup is an index probe on a digest."""
    if not token or len(token) > 200:
        return Registration.objects.none()
    return Registration.objects.filter(
        manage_token_hash=hash_token(token),
        anonymised_at__isnull=True,
    )


# --- The routes that take a token ---------------------------------------------------
# Every one of them (the manage pages under /r/<token>/, the survey, and the API's
# GET /api/v1/registrations/{token} and POST .../cancel) counts its requests per address
# in one scope, so that nobody can try token after token by switching routes.

RATE_SCOPE = "manage"


def retry_after(request: HttpRequest) -> int | None:
    """Count one request to a route that takes a token: the seconds to wait when the
    client is over OPENDAY_RATELIMIT_MANAGE, or None."""
    return ratelimit.retry_after(
        request, scope=RATE_SCOPE, address_rate=settings.OPENDAY_RATELIMIT_MANAGE
    )


def private(response: HttpResponse) -> HttpResponse:
    """Pages behind the manage link: not indexed, not cached, and the link is never sent
    to another site. (same-origin, not no-referrer: with no-referrer browsers send
    `Origin: null` on the cancel form's POST and the CSRF check refuses it.)"""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "same-origin"
    return response


def page(view):
    """A page that takes a token: rate limited (`retry_after`, a 429 page with
    Retry-After), private (`private`). A wrong token is still a plain 404."""

    @functools.wraps(view)
    def guarded(request, *args, **kwargs):
        wait = retry_after(request)
        if wait is not None:
            response = render(request, "429.html", status=429)
            response["Retry-After"] = str(wait)
            return private(response)
        return private(view(request, *args, **kwargs))

    return guarded
