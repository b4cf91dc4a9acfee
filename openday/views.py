"""Probes for load balancers and orchestrators."""

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from openday.core.outage import current_outage, is_api, unavailable_response


@never_cache
@require_safe
def healthz(request):
    """The process is up and serving. Touches no database, so a slow database does not
    take every app server out of the load balancer at once."""
    return HttpResponse("ok", content_type="text/plain")


def _database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return {"status": "unavailable", "error": type(error).__name__}
    return {"status": "ok"}


def _cache() -> dict:
    """Through the cache's circuit breaker (openday.core.cache): a failing cache is
    reported, not waited for."""
    reachable = getattr(cache, "reachable", None)
    if reachable is None:  # local memory: nothing to reach
        return {"status": "ok", "shared": False}
    return {"status": "ok" if reachable() else "unavailable", "shared": True}


def _task_queue(database_ok: bool) -> dict:
    backend = settings.TASKS["default"]["BACKEND"]
    if not backend.startswith("django_tasks_db"):
        return {"status": "ok", "backend": "immediate"}
    if not database_ok:
        return {"status": "unavailable", "backend": "database"}
    from django_tasks_db.models import DBTaskResult

    try:
        ready = DBTaskResult.objects.ready()
        oldest = ready.order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
        return {
            "status": "ok",
            "backend": "database",
            "ready": ready.count(),
            "running": DBTaskResult.objects.running().count(),
            # A queue that only grows older means no worker is taking tasks.
            "oldest_ready_seconds": int((timezone.now() - oldest).total_seconds()) if oldest else 0,
        }
    except DatabaseError as error:
        return {"status": "unavailable", "backend": "database", "error": type(error).__name__}


@never_cache
@require_safe
def readyz(request):
    """Ready for traffic when the database answers (200, else 503). The body reports each
    dependency; a failing cache only slows the site down, so it is reported, not fatal."""
    database = _database()
    body = {
        "database": database,
        "cache": _cache(),
        "task_queue": _task_queue(database["status"] == "ok"),
    }
    body["status"] = "ok" if database["status"] == "ok" else "unavailable"
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


def server_error(request):
    """Django's 500 handler: a lost database is a 503 (openday.core.outage); the API
    answers JSON whatever went wrong, never an HTML page."""
    error = current_outage()
    if error is not None:
        return unavailable_response(request, error)
    if is_api(request):
        return JsonResponse(
            {"code": "server_error", "message": _("Something went wrong. Please try again.")},
            status=500,
        )
    return defaults.server_error(request)
