"""Loading the plan: the bundled plan's encodings, and clear errors for bad plan files."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from jinlin_analysis.plan import PlanError, Scope, TargetType, load_plan


def test_bundled_plan_header(plan):
    assert plan.plan.region == "金林区"
    assert (plan.plan.base_year, plan.plan.target_year) == (2020, 2025)
    assert list(plan.domains) == [
        "health",
        "safety",
        "education",
        "welfare",
        "family",
        "environment",
        "legal",
    ]
    assert all(any(i.domain == d for i in plan.measurable) for d in plan.domains)


@pytest.mark.parametrize(
    ("indicator_id", "target_type", "value"),
    [
        ("prenatal_screening_rate", TargetType.AT_LEAST, 75),  # 达到75%以上
        ("low_birth_weight_rate", TargetType.AT_MOST, 3.5),  # 控制在3.5%以下
        ("caries_rate_under12", TargetType.AT_MOST, 25),  # 控制在25%以内
        ("neonatal_mortality", TargetType.AT_MOST, 3.5),  # 降至3.5‰以下
        ("newborn_visit_rate", TargetType.MAINTAIN_AT_LEAST, 90),  # 保持在90%以上
        ("preschool_gross_enrolment", TargetType.REACH_AND_MAINTAIN_AT_LEAST, 90),
        ("injury_mortality", TargetType.REDUCE_BY, 15),  # 以2020年为基数下降15%
        ("premarital_exam_rate", TargetType.INCREASE, None),  # 提高
        ("new_myopia_rate", TargetType.DECREASE, None),  # 明显下降
        ("drowning_mortality", TargetType.KEEP_DECREASING, None),  # 持续下降
        ("childcare_places", TargetType.KEEP_INCREASING, None),  # 持续增加
        ("obesity_rate", TargetType.NO_INCREASE, None),  # 上升趋势得到有效控制
        ("child_protection_hotline", TargetType.MILESTONE, None),  # 热线开通
    ],
)
def test_plan_wording_is_encoded_faithfully(plan, indicator_id, target_type, value):
    target = plan.indicator(indicator_id).target
    assert target.type is target_type
    assert target.value == value


def test_two_targets_in_one_sentence_are_two_indicators(plan):
    beds, doctors = (
        plan.indicator("paediatric_beds_per_1000"),
        plan.indicator("paediatricians_per_1000"),
    )
    assert beds.source == doctors.source
    assert (doctors.target.value, beds.target.value) == (1, 2.5)
    urban, rural = (
        plan.indicator("parent_school_urban_share"),
        plan.indicator("parent_school_rural_share"),
    )
    assert (urban.target.value, rural.target.value) == (90, 80)


def test_town_scope_and_baselines(plan):
    assert plan.indicator("immunisation_coverage").scope is Scope.EACH_TOWN
    assert [i.id for i in plan.indicators if i.scope is Scope.EACH_TOWN] == [
        "immunisation_coverage"
    ]
    assert plan.indicator("injury_mortality").target.baseline_year == 2020


def test_gross_enrolment_may_exceed_100(plan):
    assert plan.indicator("preschool_gross_enrolment").bounds == (0, None)
    assert plan.indicator("high_school_gross_enrolment").bounds == (0, None)
    assert plan.indicator("prenatal_screening_rate").bounds == (0, 100)


def test_rates_know_their_scale(plan):
    assert plan.indicator("neonatal_mortality").scale == 1000
    assert plan.indicator("injury_mortality").scale == 100_000
    assert plan.indicator("prenatal_screening_rate").scale == 100
    assert plan.indicator("paediatricians_per_1000").scale == 1000


def test_catalog_has_one_row_per_indicator(plan):
    catalog = plan.catalog()
    assert len(catalog) == len(plan.indicators) == catalog["id"].nunique()
    row = catalog.set_index("id").loc["injury_mortality"]
    assert (row.target_type, row.target_value, row.baseline_year) == ("reduce_by", 15, 2020)


# ---------------------------------------------------------------- bad plan files

GOOD_INDICATOR = {
    "id": "infant_mortality",
    "domain": "health",
    "name": "婴儿死亡率",
    "name_en": "Infant mortality rate",
    "unit": "‰",
    "bounds": [0, 1000],
    "target": {"type": "at_most", "value": 5.5},
    "source": "婴儿死亡率控制在5.5‰以下。",
}


def _write_plan(tmp_path: Path, *indicators: dict) -> Path:
    path = tmp_path / "bad_plan.yaml"
    document = {
        "plan": {
            "id": "t",
            "title": "测试规划",
            "region": "金林区",
            "base_year": 2020,
            "target_year": 2025,
        },
        "domains": {"health": "儿童与健康"},
        "indicators": list(indicators),
    }
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    return path


def _problems(path: Path) -> list[tuple[str | None, str, str]]:
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    for problem in caught.value.problems:
        assert problem.file == str(path)
        assert str(path) in str(caught.value)
    return [(p.indicator_id, p.field, p.message) for p in caught.value.problems]


def test_a_minimal_good_plan_loads(tmp_path):
    plan = load_plan(_write_plan(tmp_path, GOOD_INDICATOR))
    assert plan.indicator("infant_mortality").target.value == 5.5


def test_unknown_target_type(tmp_path):
    bad = {**GOOD_INDICATOR, "target": {"type": "below", "value": 5.5}}
    [(indicator_id, field, message)] = _problems(_write_plan(tmp_path, bad))
    assert (indicator_id, field) == ("infant_mortality", "target.type")
    assert "'below'" in message and "at_most" in message


def test_missing_value(tmp_path):
    bad = {**GOOD_INDICATOR, "target": {"type": "at_most"}}
    [(indicator_id, field, message)] = _problems(_write_plan(tmp_path, bad))
    assert (indicator_id, field) == ("infant_mortality", "target.value")
    assert "missing" in message


def test_missing_baseline_year(tmp_path):
    bad = {**GOOD_INDICATOR, "target": {"type": "reduce_by", "value": 15}}
    [(indicator_id, field, _)] = _problems(_write_plan(tmp_path, bad))
    assert (indicator_id, field) == ("infant_mortality", "target.baseline_year")


def test_duplicate_id(tmp_path):
    [(indicator_id, field, message)] = _problems(
        _write_plan(tmp_path, GOOD_INDICATOR, GOOD_INDICATOR)
    )
    assert (indicator_id, field) == ("infant_mortality", "id")
    assert "duplicate" in message


def test_value_outside_bounds(tmp_path):
    bad = {**GOOD_INDICATOR, "bounds": [0, 100], "target": {"type": "at_most", "value": 175}}
    [(indicator_id, field, message)] = _problems(_write_plan(tmp_path, bad))
    assert (indicator_id, field) == ("infant_mortality", "target.value")
    assert "175" in message and "bounds" in message


def test_missing_required_field_and_unknown_domain_are_all_reported(tmp_path):
    no_source = {k: v for k, v in GOOD_INDICATOR.items() if k != "source"}
    wrong_domain = {**GOOD_INDICATOR, "id": "x_rate", "domain": "sport"}
    problems = _problems(_write_plan(tmp_path, no_source, wrong_domain))
    assert ("x_rate", "domain") in [(p[0], p[1]) for p in problems]


def test_every_problem_is_listed_not_just_the_first(tmp_path):
    first = {**GOOD_INDICATOR, "target": {"type": "below", "value": 5.5}}
    second = {**GOOD_INDICATOR, "id": "u5", "unit": None}
    problems = _problems(_write_plan(tmp_path, first, second))
    assert {(p[0], p[1]) for p in problems} == {("infant_mortality", "target.type"), ("u5", "unit")}


def test_unreadable_yaml(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("plan: [unclosed", encoding="utf-8")
    [(indicator_id, _, message)] = _problems(path)
    assert indicator_id is None and "YAML" in message


def test_missing_file(tmp_path):
    [(_, _, message)] = _problems(tmp_path / "nope.yaml")
    assert "not found" in message
