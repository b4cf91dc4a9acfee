"""Telling people what happened to their booking: message kinds and the channels that carry
them. `sms/` holds the text-message gateways; `kinds.py` names every message kind and its
ordered template parameters."""
