"""`jinlin report`: the whole 2024 report, built once per session through the CLI."""

from __future__ import annotations

import json
import re

import openpyxl
import pandas as pd
from conftest import ROOT

from jinlin_analysis.dataset import SIMULATED_LABEL as SIMULATED
from jinlin_analysis.fonts import visible_text
from jinlin_analysis.report.safety import page_problems

MAX_PAGE_BYTES = 2 * 1024 * 1024


def _pages(report_dir):
    return sorted(report_dir.glob("*.html"))


def test_report_has_an_index_an_overview_and_one_page_per_domain(report_dir, plan):
    names = {p.name for p in _pages(report_dir)}
    domain_pages = {f"domain-{code}.html" for code in plan.domains}
    assert names == {"index.html", "overview.html", "towns.html"} | domain_pages
    index = (report_dir / "index.html").read_text(encoding="utf-8")
    for name in names - {"index.html"}:
        assert f'href="{name}"' in index
    for domain_name in plan.domains.values():
        assert domain_name in index
    assert "evaluation.html" not in index  # 2024 is neither the mid-term nor the final year


def test_every_page_says_the_data_are_simulated(report_dir):
    for page in _pages(report_dir):
        text = visible_text(page.read_text(encoding="utf-8"))
        assert SIMULATED in text, page.name
        assert 'class="jinlin-banner"' in page.read_text(encoding="utf-8"), page.name


def test_pages_show_the_plan_targets_in_words(report_dir, plan):
    overview = visible_text((report_dir / "overview.html").read_text(encoding="utf-8"))
    assert "2024年度监测报告" in overview
    for domain_name in plan.domains.values():
        assert domain_name in overview
    health = visible_text((report_dir / "domain-health.html").read_text(encoding="utf-8"))
    assert "儿童与健康" in health
    assert "控制在3.5‰以下" in health  # neonatal mortality, in words
    health_names = {i.name for i in plan.indicators if i.domain == "health"}
    assert all(name in health for name in health_names)
    others = {i.name for i in plan.indicators if i.domain != "health"} - health_names
    assert not [name for name in others if name in health and len(name) > 6]


def test_pages_have_no_code_parameters_or_stderr(report_dir):
    for page in _pages(report_dir):
        html = page.read_text(encoding="utf-8")
        assert "plan_path" not in html and "data_dir" not in html, page.name
        assert "load_plan" not in html and "%reset" not in html, page.name
        assert 'class="jp-Cell-inputWrapper' not in html, page.name  # no input cells at all
        assert 'data-mime-type="application/vnd.jupyter.stderr"' not in html, page.name
        assert "Warning" not in visible_text(html), page.name


def test_pages_load_nothing_and_run_nothing(report_dir):
    for page in _pages(report_dir):
        html = page.read_text(encoding="utf-8")
        assert page_problems(html) == [], page.name
        assert not re.search(r"(src|href)=[\"']?(https?:)?//", html), page.name


def test_pages_are_under_two_megabytes(report_dir):
    for page in _pages(report_dir):
        assert page.stat().st_size < MAX_PAGE_BYTES, (page.name, page.stat().st_size)


def test_charts_are_inline_svg_with_chinese_text_and_the_embedded_font(report_dir):
    html = (report_dir / "overview.html").read_text(encoding="utf-8")
    svg = re.search(r"<svg .*?</svg>", html, re.DOTALL)
    assert svg is not None
    assert "各领域量化目标的进展状态" in svg[0] and "儿童与健康" in svg[0]
    assert "Jinlin Sans" in svg[0]  # the family vl-convert measured the labels with
    assert re.search(r'@font-face \{ font-family: "Jinlin Sans".*base64,', html)
    assert "<img" not in html  # an SVG in <img> could not use the page's font


def test_headline_numbers_reach_the_index(report_dir, plan):
    index = visible_text((report_dir / "index.html").read_text(encoding="utf-8"))
    assert f"{len(plan.measurable)}项" in index and "量化目标" in index
    assert f"另有定性目标{len(plan.milestones)}项" in index
    health = sum(i.domain == "health" for i in plan.measurable)
    assert f"儿童与健康：量化目标{health}项" in index  # a page's figures follow its link


def test_tables_ship_as_csv_and_xlsx(report_dir, plan):
    csv = pd.read_csv(report_dir / "tables" / "targets.csv", encoding="utf-8-sig")
    assert list(csv["id"]) == [i.id for i in plan.indicators]
    assert (report_dir / "tables" / "targets.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    workbook = openpyxl.load_workbook(report_dir / "tables" / "report-tables.xlsx")
    sheet = workbook["targets"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("id", "domain", "name")
    assert [r[0] for r in rows[1:]] == [i.id for i in plan.indicators]


def test_report_folder_is_readable_by_others(report_dir):
    assert report_dir.stat().st_mode & 0o055 == 0o055  # a web server can serve it
    assert not [p for p in report_dir.parent.iterdir() if p.name.startswith(".")]


def test_notebooks_are_committed_without_outputs():
    for path in [*(ROOT / "notebooks").glob("*.ipynb"), *(ROOT / "tests").rglob("*.ipynb")]:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        for cell in notebook["cells"]:
            if cell["cell_type"] == "code":
                assert not cell["outputs"] and cell["execution_count"] is None, path.name


def _assessment(report_dir) -> pd.DataFrame:
    return pd.read_csv(report_dir / "tables" / "assessment.csv", encoding="utf-8-sig")


def test_assessment_table_ships_with_the_report(report_dir, plan):
    table = _assessment(report_dir)
    assert set(table["indicator_id"]) == {i.id for i in plan.indicators}
    assert (table["as_of"] == 2024).all()
    assert (table["data_label"] == SIMULATED).all()
    workbook = openpyxl.load_workbook(report_dir / "tables" / "report-tables.xlsx")
    assert workbook["assessment"].max_row == len(table) + 1


def test_overview_headlines_and_warnings_match_the_assessment(report_dir, plan):
    from jinlin_analysis import findings
    from jinlin_analysis.wording import STATUS_LABELS

    rows = findings.headline_rows(_assessment(report_dir), plan)
    counts = findings.status_counts(rows)
    index = visible_text((report_dir / "index.html").read_text(encoding="utf-8"))
    overview = visible_text((report_dir / "overview.html").read_text(encoding="utf-8"))
    rate = findings.attainment_rate(rows)
    assert f"{rate:.1%}" in index and f"{rate:.1%}" in overview
    sentence = "，".join(f"{STATUS_LABELS[s]}{n}项" for s, n in counts.items() if n)
    assert f"全区共有{counts.sum()}项量化目标：{sentence}" in overview
    warned = rows[
        rows["status"].isin(["off_track", "at_risk"]) & (rows["target_type"] != "milestone")
    ]
    section = overview.split("预警清单", 1)[1].split("预警状态的变化", 1)[0]
    positions = [section.index(name) for name in warned["indicator_name"]]
    assert len(positions) == len(warned)


def test_domain_pages_draw_one_fan_chart_per_measurable_target(report_dir, plan):
    table = _assessment(report_dir)
    for domain in plan.domains:
        html = (report_dir / f"domain-{domain}.html").read_text(encoding="utf-8")
        ids = [i.id for i in plan.measurable if i.domain == domain]
        reported = table[table["indicator_id"].isin(ids)].dropna(subset=["last_value"])
        assert html.count("<svg") == reported["indicator_id"].nunique(), domain
        text = visible_text(html)
        for indicator_id in reported["indicator_id"].unique():
            indicator = plan.indicator(indicator_id)
            assert f"{indicator.name}为" in text, indicator_id  # the generated paragraph
        assert "80%预测区间" in text


def test_towns_page_checks_every_town_target_town_by_town(report_dir, plan):
    text = visible_text((report_dir / "towns.html").read_text(encoding="utf-8"))
    for town in ("甲镇", "乙镇", "丙镇", "丁镇", "戊镇"):
        assert town in text
    assert "城乡差距" in text and "性别差异" in text


def test_mid_term_report_has_the_evaluation_and_ignores_later_data(report_2023, plan):
    full, truncated = report_2023
    names = sorted(p.name for p in full.glob("*.html"))
    assert "evaluation.html" in names
    assert names == sorted(p.name for p in truncated.glob("*.html"))
    evaluation = visible_text((full / "evaluation.html").read_text(encoding="utf-8"))
    assert "2023年中期评估" in evaluation and "已达到" in evaluation
    for name in names:
        page, same = (d.joinpath(name).read_text(encoding="utf-8") for d in (full, truncated))
        assert page == same, f"{name}: the 2023 report changes when 2024 data are removed"
