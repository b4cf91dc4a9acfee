"""docs/sms.md tells operators which templates to register: it must match the code."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from openday.notifications.kinds import PARAMETERS, sms_text
from openday.notifications.sms import sms_segments
from openday.notifications.sms.segments import PARAMETER_MAX_LENGTHS, kind_segments, sms_length

DOC = (Path(settings.BASE_DIR) / "docs" / "sms.md").read_text(encoding="utf-8")
SIGN = "青岛城管"
EXAMPLE = {
    "code": "123456",
    "minutes": "5",
    "activity": "城管执法体验日",
    "event": "青岛城管公众开放日",
    "time": "12月5日 09:30",
    "venue": "五四广场",
    "reference": "K7M2Q9XP",
    "subject": "集合地点调整",
    "notice": "请从东门入场",
    "link": "https://openday.example.cn/r/Ab3dE5gH7k",
}


def template_texts(kind: str) -> tuple[str, str]:
    """The suggested Chinese text with Tencent's numbered and Alibaba's named variables."""
    names = PARAMETERS[kind]
    with translation.override("zh-hans"):
        tencent = sms_text(kind, {name: f"{{{number}}}" for number, name in enumerate(names, 1)})
        aliyun = sms_text(kind, {name: f"${{{name}}}" for name in names})
    return tencent, aliyun


@pytest.mark.parametrize("kind", list(PARAMETERS))
def test_sms_doc_shows_each_kinds_parameters_templates_and_cost(kind):
    row = next(line for line in DOC.splitlines() if line.startswith(f"| `{kind}` |"))
    with translation.override("zh-hans"):
        example = {name: EXAMPLE[name] for name in PARAMETERS[kind]}
        example_length = sms_length(sms_text(kind, example), sign_name=SIGN)
        longest = {name: "字" * PARAMETER_MAX_LENGTHS[name] for name in PARAMETERS[kind]}
        longest_length = sms_length(sms_text(kind, longest), sign_name=SIGN)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells == [
        f"`{kind}`",
        ", ".join(f"`{name}`" for name in PARAMETERS[kind]),
        *template_texts(kind),
        f"{example_length} chars, {kind_segments(kind, sign_name=SIGN, params=example)}",
        f"{longest_length} chars, {kind_segments(kind, sign_name=SIGN)}",
    ]


def test_sms_doc_lists_every_parameter_with_its_longest_value():
    used = {name for names in PARAMETERS.values() for name in names}
    assert used == set(PARAMETER_MAX_LENGTHS)
    for name, limit in PARAMETER_MAX_LENGTHS.items():
        assert re.search(rf"^\| `{name}` \|.*\| {limit} \|$", DOC, re.MULTILINE), name


def test_segments_follow_the_mainland_gateways_rule():
    assert sms_segments("字" * 64, sign_name="青岛城管") == 1  # 70 with 【青岛城管】
    assert sms_segments("字" * 65, sign_name="青岛城管") == 2
    assert sms_segments("a" * 134) == 2
    assert sms_segments("a" * 135) == 3
    assert sms_segments("") == 1
