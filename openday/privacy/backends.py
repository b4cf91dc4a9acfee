from axes.backends import AxesStandaloneBackend


class LoginLockoutBackend(AxesStandaloneBackend):
    """django-axes' lockout check for logins through a web request (the admin login).

    `authenticate()` without a request comes from code, not from a login form (the
    `createsuperuser` checks, the test client's `login()`); there is no client to lock
    out, so it is left to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def login_username(request, credentials=None) -> str | None:
    """The username django-axes records and locks (AXES_USERNAME_CALLABLE).

    Django's login form does not limit the length of what is typed, and axes stores it in a
    255-character column: a long or NUL-laden guess would make PostgreSQL fail the request.
    No real username is longer than the user model allows, so the cut loses nothing.
    """
    from django.contrib.auth import get_user_model

    field = get_user_model().USERNAME_FIELD
    if credentials:
        username = credentials.get(field)
    else:
        username = getattr(request, "data", request.POST).get(field)
    if not isinstance(username, str):
        return None
    max_length = get_user_model()._meta.get_field(field).max_length or 150
    return username.replace("\x00", "")[:max_length]
