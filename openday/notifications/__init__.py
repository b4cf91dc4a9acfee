"""Telling people what happened: message kinds, channels (SMS, e-mail) and the delivery
records that make every message go out once, later rather than never.

`services` is what the rest of the project calls (one function per event in a
registration's life); `delivery` sends the records; `sms` holds the text-message gateways.
"""
