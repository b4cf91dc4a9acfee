from django.conf import settings
from django.shortcuts import render


def login_locked_out(request, original_response=None, credentials=None):
    """What django-axes shows instead of the login form once a username or an address is
    locked out (AXES_LOCKOUT_CALLABLE): 429, in the person's language, saying for how long."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {"failure_limit": settings.AXES_FAILURE_LIMIT, "minutes": minutes}
    return render(request, "privacy/locked_out.html", context, status=429)
