"""What a text message costs: the number of segments the gateway bills.

Mainland gateways (Tencent Cloud, Alibaba Cloud) count the signature 【…】 with the text and
count every character as one, Chinese or Latin, letter, digit or punctuation: up to 70
characters is one message; a longer one is split into segments of 67 (the rest carries the
header that joins them on the handset).
"""

SINGLE = 70
PER_SEGMENT = 67


def sms_length(text: str, *, sign_name: str = "") -> int:
    signature = f"【{sign_name}】" if sign_name else ""
    return len(signature + text)


def sms_segments(text: str, *, sign_name: str = "") -> int:
    """How many messages the gateway bills for `text` sent under `sign_name`."""
    length = sms_length(text, sign_name=sign_name)
    if length <= SINGLE:
        return 1
    return -(-length // PER_SEGMENT)


# The longest value each template parameter carries, for the cost of a kind at its
# longest (docs/sms.md): titles and names are shortened to 20 characters
# (kinds.MAX_PARAMETER_LENGTH); a code, a reference and a link are what they are.
PARAMETER_MAX_LENGTHS = {
    "code": 6,  # the one-time code
    "minutes": 2,  # how long it is valid
    "activity": 20,  # the activity's title
    "event": 20,  # the open day's title
    "time": 12,  # "12月5日 09:30"
    "venue": 20,  # the venue's name
    "reference": 8,  # the booking reference
    "subject": 20,  # the subject of a staff message
    "notice": 20,  # a notice on the day
    "link": 40,  # a short link to the booking or a page of the site
}


def kind_segments(kind: str, *, sign_name: str = "", params: dict | None = None) -> int:
    """What one message of `kind` costs in Chinese, with `params` (by name) or, by
    default, every parameter at its longest: the figure to budget with."""
    from django.utils import translation

    from ..kinds import PARAMETERS, sms_text

    if params is None:
        params = {name: "字" * PARAMETER_MAX_LENGTHS[name] for name in PARAMETERS[kind]}
    with translation.override("zh-hans"):
        text = sms_text(kind, params)
    return sms_segments(text, sign_name=sign_name)
