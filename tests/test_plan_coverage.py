"""The plan file quotes the plan text faithfully and misses none of its targets."""

from __future__ import annotations

import re

from conftest import ROOT

PLAN_TEXT = ROOT / "docs" / "plan" / "jinlin-children-development-plan-2021-2025.txt"


def _target_lines() -> list[str]:
    """Every "——" line of chapter 二 (the domains' main targets), dash and indent removed."""
    text = PLAN_TEXT.read_text(encoding="utf-8")
    chapter = text[text.index("二、发展领域、主要目标和策略措施") : text.index("三、组织实施")]
    return [
        line.strip().removeprefix("——").strip()
        for line in chapter.splitlines()
        if line.strip().startswith("——")
    ]


def test_chapter_two_has_the_expected_target_lines():
    lines = _target_lines()
    assert len(lines) == 123
    assert "新生儿访视率保持在90%以上，新生儿死亡率降至3.5‰以下。" in lines


def test_every_target_line_with_a_number_is_cited(plan):
    sources = {indicator.source for indicator in plan.indicators}
    numbered = [line for line in _target_lines() if re.search(r"[0-9０-９]", line)]
    assert len(numbered) > 30
    missing = [line for line in numbered if line not in sources]
    assert missing == []


def test_every_target_line_is_cited_even_qualitative_ones(plan):
    sources = {indicator.source for indicator in plan.indicators}
    missing = [line for line in _target_lines() if line not in sources]
    assert missing == []


def test_every_source_is_a_verbatim_line_of_the_plan(plan):
    lines = set(_target_lines())
    invented = [i.id for i in plan.indicators if i.source not in lines]
    assert invented == []


def test_numbers_in_a_measurable_target_come_from_its_source(plan):
    """A target value or baseline year must appear in the sentence it quotes."""
    for indicator in plan.measurable:
        target = indicator.target
        if target.value is not None and target.value != 100:  # "每所" reads as 100%
            assert f"{target.value:g}" in indicator.source.replace(" ", ""), indicator.id
        if target.baseline_year is not None and "为基数" in indicator.source:
            assert str(target.baseline_year) in indicator.source, indicator.id
