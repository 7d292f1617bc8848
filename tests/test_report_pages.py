"""The declarative page list and the parameter checks: no kernel needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURE_NOTEBOOKS

from jinlin_analysis.report.pages import (
    STANDARD_PARAMETERS,
    PageSpec,
    ReportContext,
    expand,
)
from jinlin_analysis.report.parameters import ParameterError, validate


def _context(plan, year=2024, evaluation=False):
    return ReportContext(year, plan, Path("data/processed"), "示例数据（模拟）", evaluation)


def test_one_domain_page_per_domain_in_plan_order(plan):
    runs = expand(_context(plan))
    domain_runs = [r for r in runs if r.notebook.name == "domain.ipynb"]
    assert [r.parameters["domain"] for r in domain_runs] == list(plan.domains)
    assert [r.title for r in domain_runs] == list(plan.domains.values())
    assert runs[0].slug == "overview"
    for run in runs:
        assert set(STANDARD_PARAMETERS) <= set(run.parameters)
        assert run.parameters["year"] == 2024
        assert run.parameters["data_label"] == "示例数据（模拟）"
        assert Path(run.parameters["data_dir"]).is_absolute()


@pytest.mark.parametrize(
    ("year", "evaluation", "expected"),
    [
        (2023, False, "2023年中期评估"),
        (2025, False, "2025年终期评估"),
        (2024, True, "2024年专项评估"),
        (2024, False, None),
    ],
)
def test_the_evaluation_page_comes_in_evaluation_years_or_on_request(
    plan, year, evaluation, expected
):
    titles = {r.slug: r.title for r in expand(_context(plan, year, evaluation))}
    assert titles.get("evaluation") == expected


def test_the_project_notebooks_accept_the_parameters_the_runner_passes(plan):
    validate(expand(_context(plan, 2023)))  # every page, the evaluation page included


def test_unknown_parameters_are_errors_not_silently_ignored(plan):
    spec = PageSpec("domain.ipynb", slug="d", title="t", section="s", parameters={"domian": "x"})
    with pytest.raises(ParameterError) as error:
        validate(expand(_context(plan), (spec,)))
    assert "page d (domain.ipynb, domian=x): parameter 'domian' is not declared" in str(error.value)
    assert "it declares: year, plan_path, data_dir, data_label, domain" in str(error.value)


def test_a_notebook_must_declare_the_standard_parameters(plan):
    spec = PageSpec("incomplete_parameters.ipynb", slug="i", title="t", section="s")
    with pytest.raises(ParameterError) as error:
        validate(expand(_context(plan), (spec,), notebooks_dir=FIXTURE_NOTEBOOKS))
    message = str(error.value)
    assert "incomplete_parameters.ipynb: the parameters cell must declare" in message
    assert "plan_path, data_dir, data_label" in message
    assert "parameter 'plan_path' is not declared" in message


def test_a_parameter_of_the_wrong_type_is_an_error(plan):
    spec = PageSpec("overview.ipynb", slug="o", title="t", section="s")
    runs = expand(_context(plan), (spec,))
    runs[0].parameters["year"] = "2024"
    with pytest.raises(ParameterError, match=r"'year' = '2024' is str, but the notebook's"):
        validate(runs)


def test_a_missing_notebook_is_named(plan):
    spec = PageSpec("nowhere.ipynb", slug="n", title="t", section="s")
    with pytest.raises(ParameterError, match=r"nowhere.ipynb: notebook not found"):
        validate(expand(_context(plan), (spec,)))


def test_page_slugs_must_be_unique(plan):
    spec = PageSpec("overview.ipynb", slug="same", title="t", section="s")
    with pytest.raises(ValueError, match="repeated: same"):
        expand(_context(plan), (spec, spec))
