"""The test suite runs the production settings (DEBUG off), which refuse to start without
a real SECRET_KEY; this module gives them one that exists only here."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-" + "k3y-9Qm2-vX7w-Lr4t-" * 3)

from openday.settings import *  # noqa: E402, F403

# Tests log in hundreds of times; the production hasher is slow by design.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
