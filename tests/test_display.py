"""Text from submissions shows as text: the escaping helpers notebooks must use."""

from __future__ import annotations

import html

import pandas as pd
import pytest
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from jinlin_analysis import display
from jinlin_analysis.display import escape_markdown, headline, headlines, md, table
from jinlin_analysis.fonts import visible_text

HOSTILE = [
    '<script>alert("x")</script>',
    '<img src=x onerror="alert(1)">',
    "**粗体** _斜体_ `代码`",
    "[点我](javascript:alert(1))",
    "$x^2$ 与 $$y$$",
    "- 看起来像列表",
    "1. 看起来像编号",
    "# 看起来像标题",
    "a | b | c",
    "&lt;已转义&gt; &amp; 原样",
    "C:\\报表\\2024*最终*.xlsx",
    "{花括号} ~删除线~ !感叹",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_text_renders_as_exactly_that_text(text):
    rendered = markdown2html_mistune(f"备注：{escape_markdown(text)}")
    assert "<script" not in rendered and "<img" not in rendered and "<a " not in rendered
    assert "<strong>" not in rendered and "<em>" not in rendered and "<li>" not in rendered
    assert html.unescape(rendered.removeprefix("<p>").removesuffix("</p>\n")) == f"备注：{text}"


def test_md_escapes_values_but_not_the_template():
    note = "<script>alert(1)</script> **不是粗体**"
    prose = md("**备注**：{note}；比率 {rate:.1f}‰", note=note, rate=3.456)
    rendered = markdown2html_mistune(prose.data)
    assert rendered.startswith("<p><strong>备注</strong>：")
    assert visible_text(rendered).strip() == f"备注：{note}；比率 3.5‰"


def test_newlines_in_submitted_text_cannot_start_markdown_blocks():
    rendered = markdown2html_mistune(md("备注：{note}", note="第一行\n# 标题\n- 列表").data)
    assert "<h1" not in rendered and "<li>" not in rendered
    assert visible_text(rendered).strip() == "备注：第一行 # 标题 - 列表"


def test_table_escapes_headers_and_cells_and_draws_status_chips():
    display.set_data_label("示例数据（模拟）")
    frame = pd.DataFrame(
        {
            "指标<b>": ["婴儿死亡率", '<img src=x onerror="alert(1)">'],
            "值": [3.456, 12345.0],
            "人数": [12, 123456],
            "状态": ["at_risk", "已达标"],
            "备注": [None, "<script>alert(1)</script>"],
        }
    )
    page = table(frame, caption="<i>表一</i>").data
    assert "<img" not in page and "<script" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page
    text = visible_text(page)
    assert "3.46" in text and "12,345" in text and "123,456" in text and "—" in text
    assert '<span class="jinlin-status jinlin-status-at_risk">存在风险</span>' in page
    assert '<span class="jinlin-status jinlin-status-achieved">已达标</span>' in page
    assert "<caption>&lt;i&gt;表一&lt;/i&gt;" in page and "示例数据（模拟）" in page
    assert '<th class="num">值</th>' in page and '<td class="num">3.46</td>' in page


def test_tables_from_the_plan_alone_carry_no_data_label():
    display.set_data_label("示例数据（模拟）")
    page = table(pd.DataFrame({"指标": ["婴儿死亡率"]}), from_data=False).data
    assert "示例数据" not in page and "<caption>" not in page


def test_table_formats_override_the_defaults():
    page = table(
        pd.DataFrame({"达标概率": [0.823], "年份": [2024]}),
        formats={"达标概率": "{:.0%}", "年份": lambda y: f"{y}年"},
    ).data
    assert "82%" in page and "2024年" in page


def test_headlines_are_escaped_cards_and_carry_their_numbers_for_the_index():
    bundle = headlines(
        headline("<b>达标率</b>", "82.8%"), headline("人口", 243210.0, unit="人")
    )._repr_mimebundle_()
    assert "<b>" not in bundle["text/html"] and "&lt;b&gt;达标率&lt;/b&gt;" in bundle["text/html"]
    assert bundle["application/vnd.jinlin.headline+json"]["headlines"] == [
        {"label": "<b>达标率</b>", "value": "82.8%", "note": ""},
        {"label": "人口", "value": "24.3万人", "note": ""},
    ]
