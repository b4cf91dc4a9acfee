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


def kind_segments(kind, *, sign_name: str = "", params=None) -> int:
    """What one message of `kind` (a MessageKind) costs in Chinese, with `params` or, by
    default, every parameter at its longest: the figure to budget with."""
    from django.utils import translation

    from ..kinds import PARAMETER_MAX_LENGTHS

    if params is None:
        params = ["字" * PARAMETER_MAX_LENGTHS[name] for name in kind.params]
    with translation.override("zh-hans"):
        text = kind.render(params)
    return sms_segments(text, sign_name=sign_name)
