"""The page gate: nothing that runs, nothing that loads from anywhere."""

from __future__ import annotations

import pytest

from jinlin_analysis.report.safety import UnsafePageError, check_page, page_problems

SAFE = """<!DOCTYPE html><html><head><meta charset="utf-8">
<style>@font-face { src: url(data:font/woff;base64,AAAA) }</style></head>
<body><a href="index.html">目录</a> <a href="#top">顶部</a> <a href="tables/targets.csv">CSV</a>
<svg><g clip-path="url(#overview-c1-1)"><text>婴儿死亡率 &lt;script&gt;</text></g></svg>
<img src="data:image/png;base64,AAAA"></body></html>"""


def test_a_report_page_passes():
    assert page_problems(SAFE) == []


@pytest.mark.parametrize(
    ("markup", "problem"),
    [
        ("<script>alert(1)</script>", "<script> is not allowed"),
        ('<script src="https://cdn.example/vega.js"></script>', "<script> is not allowed"),
        ('<img src="x" onerror="alert(1)">', "event handler onerror="),
        ('<svg onload="alert(1)"></svg>', "event handler onload="),
        ('<img src="https://example.org/a.png">', "points outside the report"),
        ('<img src="//example.org/a.png">', "points outside the report"),
        ('<a href="javascript:alert(1)">x</a>', "points outside the report"),
        ('<a href="../2023/index.html">x</a>', "points outside the report"),
        ('<a href="/etc/passwd">x</a>', "points outside the report"),
        ('<use xlink:href="https://example.org/s.svg#a"/>', "points outside the report"),
        ('<link rel="stylesheet" href="style.css">', "<link> is not allowed"),
        ('<iframe src="data:text/html,hi"></iframe>', "<iframe> is not allowed"),
        ('<meta http-equiv="refresh" content="0;url=https://x">', "http-equiv"),
        ("<style>@import url(https://x/a.css);</style>", "CSS loads"),
        ("<style>body { background: url('https://x/a.png') }</style>", "CSS loads"),
        ('<div style="background:url(https://x/a.png)"></div>', "CSS loads"),
        ('<object data="https://x/a.swf"></object>', "<object> is not allowed"),
    ],
)
def test_dangerous_markup_is_caught(markup, problem):
    problems = page_problems(SAFE.replace("</body>", markup + "</body>"))
    assert any(problem in p for p in problems), problems


def test_check_page_names_the_page():
    with pytest.raises(UnsafePageError, match="page overview would run script"):
        check_page("<script>x</script>", "overview")
