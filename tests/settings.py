"""The test suite runs the production settings (DEBUG off), which refuse to start without
a real SECRET_KEY; this module gives them one that exists only here, and lets the test
client and the live server (browser tests) speak plain HTTP."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "k3y-9Qm2-vX7w-Lr4t-" * 3)

from openday.settings import *  # noqa: E402, F403

# Tests log in hundreds of times; the production hasher is slow by design.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The live server's middleware is built once, before any per-test override, so the HTTPS
# redirect is switched off here; tests of the redirect switch it back on.
SECURE_SSL_REDIRECT = False

# Nor may pages ask the browser to fetch their scripts and styles over HTTPS.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {**CONTENT_SECURITY_POLICY["DIRECTIVES"], "upgrade-insecure-requests": False}  # noqa: F405
}
