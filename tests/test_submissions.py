"""A page showing department-submitted text that holds markup (tests/fixtures/notebooks/
submissions.ipynb), run through the real runner: the text is shown, nothing of it runs.
(tests/test_browser.py opens the same page in Chromium.)"""

from __future__ import annotations

from jinlin_analysis.fonts import visible_text
from jinlin_analysis.report.safety import page_problems

NOTE = '<script>window.jinlinPwned = 1</script><img src=x onerror="window.jinlinPwned = 2">'


def test_submitted_markup_is_text_in_prose_tables_and_charts(submissions_page):
    html = submissions_page.read_text(encoding="utf-8")
    assert page_problems(html) == []
    assert "<script" not in html and "<img" not in html
    text = visible_text(html)
    assert f"备注：{NOTE}" in text  # the Markdown prose
    assert text.count(NOTE) >= 2  # ... and the table cell
    assert "报表_[最终]*版*_$1$.xlsx" in text
    assert "&lt;script&gt;" in html.split("<svg", 1)[1]  # the chart's label, escaped by Vega


def test_stdout_reaches_the_page_but_stderr_and_warnings_do_not(submissions_page):
    html = submissions_page.read_text(encoding="utf-8")
    assert "写给读者的说明" in html
    assert "must not reach the page" not in html
    assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html
