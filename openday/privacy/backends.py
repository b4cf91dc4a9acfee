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
