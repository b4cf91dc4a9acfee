"""The interface an SMS gateway implements."""

from dataclasses import dataclass


@dataclass(frozen=True)
class SmsMessage:
    phone: str  # normalised: 11 digits, mainland mobile
    text: str


class BaseSmsBackend:
    """Base class for SMS backends.

    A subclass implements `send_messages(messages) -> int`: send each message, return how
    many were accepted by the gateway. On a failure it raises, unless `fail_silently` is
    true, in which case it returns the count of those sent. It is created for each sending
    (`get_connection()`), so it may open a connection in `open()` and close it in `close()`;
    settings it needs (gateway URL, credentials, signature) it reads from `django.conf.settings`
    or from keyword arguments. It must never log the text of a message: it holds a code.
    """

    def __init__(self, fail_silently: bool = False, **kwargs):
        self.fail_silently = fail_silently

    def open(self) -> None:
        """Open a connection to the gateway, if it needs one."""

    def close(self) -> None:
        """Close the connection opened by `open()`."""

    def __enter__(self):
        self.open()
        return self

    def __exit__(self, exc_type, exc_value, traceback):
        self.close()

    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise NotImplementedError("an SMS backend must implement send_messages()")
