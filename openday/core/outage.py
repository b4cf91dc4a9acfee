"""What people see while the database cannot be reached: a 503 with `Retry-After`, as
JSON (`{"code": "unavailable"}`) from the API and as a short translated page elsewhere;
never a 500 or a stack trace. Nothing is half-written: every write is one transaction,
which the database rolls back when the connection goes.

The log says once every LOG_EVERY_SECONDS per process that the database is unreachable,
not once per request."""

from __future__ import annotations

import logging
import sys
import threading
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
LOG_EVERY_SECONDS = 30
# Raised when a connection cannot be opened or is lost in the middle of a query.
OUTAGE_ERRORS = (OperationalError, InterfaceError)

_last_logged = [0.0]
_log_lock = threading.Lock()


def is_outage(error: BaseException | None) -> bool:
    return isinstance(error, OUTAGE_ERRORS)


def _log(error: BaseException) -> None:
    with _log_lock:
        now = time.monotonic()
        if now - _last_logged[0] < LOG_EVERY_SECONDS:
            return
        _last_logged[0] = now
    logger.error(
        "database unavailable (%s: %s); answering 503 (said again in %s s at most)",
        type(error).__name__,
        str(error).strip().splitlines()[0] if str(error).strip() else "",
        LOG_EVERY_SECONDS,
    )


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith("/api/")


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    _log(error)
    message = _("The service is briefly unavailable. Please try again in a few seconds.")
    if is_api(request):
        response: HttpResponse = JsonResponse(
            {"code": "unavailable", "message": message}, status=503
        )
    else:
        try:
            # `messages` given, so the page never reads the session (in the database).
            response = render(request, "503.html", {"messages": ()}, status=503)
        except Exception:
            response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    # Logged above, once in a while: not again by Django for every request.
    response._has_been_logged = True
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware:
    """Turns a lost database in a view into the 503 above. Errors raised by other
    middleware (loading a session, saving it) reach `server_error`, which does the same."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if is_outage(exception):
            return unavailable_response(request, exception)
        return None


def current_outage() -> BaseException | None:
    """The database error being handled, if that is what is being handled."""
    error = sys.exc_info()[1]
    return error if is_outage(error) else None
