"""docs/sms.md tells operators which templates to register: it must match the code."""

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from openday.notifications.kinds import KINDS, PARAMETER_MAX_LENGTHS
from openday.notifications.sms.segments import kind_segments, sms_length

DOC = (Path(settings.BASE_DIR) / "docs" / "sms.md").read_text(encoding="utf-8")
SIGN = "青岛城管"
EXAMPLE = {
    "code": "123456",
    "minutes": "5",
    "activity": "城管执法体验日",
    "time": "12月5日 09:30",
    "venue": "五四广场",
    "ref": "K7M2Q9XP",
    "link": "https://openday.example.cn/r/Ab3dE5gH7k",
}


def doc_row(kind) -> str:
    return next(line for line in DOC.splitlines() if line.startswith(f"| `{kind.name}` |"))


@pytest.mark.parametrize("kind", KINDS.values(), ids=list(KINDS))
def test_sms_doc_shows_each_kinds_parameters_templates_and_cost(kind):
    row = doc_row(kind)
    with translation.override("zh-hans"):
        text = str(kind.text)
        example = [EXAMPLE[name] for name in kind.params]
        example_length = sms_length(kind.render(example), sign_name=SIGN)
        longest = ["字" * PARAMETER_MAX_LENGTHS[name] for name in kind.params]
        longest_length = sms_length(kind.render(longest), sign_name=SIGN)
    tencent, aliyun = text, text
    for number, name in enumerate(kind.params, 1):
        tencent = tencent.replace(f"{{{name}}}", f"{{{number}}}")
        aliyun = aliyun.replace(f"{{{name}}}", f"${{{name}}}")
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells == [
        f"`{kind.name}`",
        ", ".join(f"`{name}`" for name in kind.params),
        tencent,
        aliyun,
        f"{example_length} chars, {kind_segments(kind, sign_name=SIGN, params=example)}",
        f"{longest_length} chars, {kind_segments(kind, sign_name=SIGN)}",
    ]


def test_sms_doc_lists_every_parameter_with_its_longest_value():
    for name, limit in PARAMETER_MAX_LENGTHS.items():
        assert any(
            line.startswith(f"| `{name}` |") and line.rstrip().endswith(f"| {limit} |")
            for line in DOC.splitlines()
        ), name


def test_segments_follow_the_mainland_gateways_rule():
    from openday.notifications.sms import sms_segments

    assert sms_segments("字" * 64, sign_name="青岛城管") == 1  # 70 with 【青岛城管】
    assert sms_segments("字" * 65, sign_name="青岛城管") == 2
    assert sms_segments("a" * 134) == 2
    assert sms_segments("a" * 135) == 3
    assert sms_segments("") == 1
