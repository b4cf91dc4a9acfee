"""The base class of every refusal a rule gives (booking, check-in, feedback, verification).

`code` is stable: API clients and tests rely on it. `message` is for people, in their
language; a subclass sets a default and a raiser may pass a more precise one.
"""

from django.utils.translation import gettext_lazy as _


class Refusal(Exception):
    code = "refused"
    message = _("The request could not be completed.")

    def __init__(self, message=None):
        if message is not None:
            self.message = message
        super().__init__(str(self.message))
