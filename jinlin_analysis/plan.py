"""The plan as data: load and validate a plan file (format: docs/plan-format.md).

A plan is read once into frozen pydantic models so that every later step (templates,
validation, the engine, the report) works from one checked description of the targets.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from jinlin_analysis.errors import JinlinError

DEFAULT_PLAN = "jinlin_2021_2025.yaml"

# How many units one "per" of a rate holds; used to check value = numerator/denominator * per.
UNIT_SCALE = {"%": 100, "‰": 1000, "1/10万": 100_000}


class TargetType(StrEnum):
    """Target types; docs/plan-format.md gives the plan wording each one encodes."""

    AT_LEAST = "at_least"  # 达到X以上 (X included), at the target year
    AT_MOST = "at_most"  # 控制在/降至X以下, X以内 (X included), at the target year
    MAINTAIN_AT_LEAST = "maintain_at_least"  # 保持在X以上: every year of the period
    REACH_AND_MAINTAIN_AT_LEAST = "reach_and_maintain_at_least"  # 达到并保持在X以上
    REDUCE_BY = "reduce_by"  # 以Y年为基数下降X%
    INCREASE = "increase"  # 提高/增加, relative to the baseline year
    DECREASE = "decrease"  # 下降/降低/减少, relative to the baseline year
    KEEP_INCREASING = "keep_increasing"  # 持续增加/不断提高: a rise every year
    KEEP_DECREASING = "keep_decreasing"  # 持续下降: a fall every year
    NO_INCREASE = "no_increase"  # 上升趋势得到有效控制
    MILESTONE = "milestone"  # qualitative: 机制建立, 热线开通, ...

    @property
    def needs_value(self) -> bool:
        return self in _VALUE_TYPES

    @property
    def needs_baseline(self) -> bool:
        return self in _BASELINE_TYPES

    @property
    def higher_is_better(self) -> bool | None:
        """Direction of improvement, or None for milestones."""
        if self is TargetType.MILESTONE:
            return None
        return self in _HIGHER_IS_BETTER


_VALUE_TYPES = {
    TargetType.AT_LEAST,
    TargetType.AT_MOST,
    TargetType.MAINTAIN_AT_LEAST,
    TargetType.REACH_AND_MAINTAIN_AT_LEAST,
    TargetType.REDUCE_BY,
}
_BASELINE_TYPES = {
    TargetType.REDUCE_BY,
    TargetType.INCREASE,
    TargetType.DECREASE,
    TargetType.KEEP_INCREASING,
    TargetType.KEEP_DECREASING,
    TargetType.NO_INCREASE,
}
_HIGHER_IS_BETTER = {
    TargetType.AT_LEAST,
    TargetType.MAINTAIN_AT_LEAST,
    TargetType.REACH_AND_MAINTAIN_AT_LEAST,
    TargetType.INCREASE,
    TargetType.KEEP_INCREASING,
}


class Scope(StrEnum):
    DISTRICT = "district"  # the plan's region as a whole
    EACH_TOWN = "each_town"  # 以镇为单位: every town must meet the target


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Target(_Frozen):
    type: TargetType
    value: float | None = None
    baseline_year: int | None = None

    @model_validator(mode="after")
    def _value_matches_type(self) -> Target:
        if self.type.needs_value and self.value is None:
            raise ValueError(f"field 'target.value' is missing: type '{self.type}' needs a number")
        if not self.type.needs_value and self.value is not None:
            raise ValueError(f"field 'target.value' must be empty for type '{self.type}'")
        if self.type.needs_baseline and self.baseline_year is None:
            raise ValueError(
                f"field 'target.baseline_year' is missing: type '{self.type}' compares with a year"
            )
        if self.type is TargetType.REDUCE_BY and not 0 < self.value < 100:  # type: ignore[operator]
            raise ValueError("field 'target.value' of a reduce_by target is a percent in (0, 100)")
        return self


class Counts(_Frozen):
    """What a rate is built from, so submissions can send counts and we can check them."""

    numerator: str
    denominator: str
    per: float | None = None  # defaults to the unit's scale (% -> 100, ‰ -> 1000, ...)
    # a named prior on the trend of the counts' rate (engine.noise.SLOPE_PRIORS), e.g.
    # child_mortality: with 1-3 deaths a year the fitted slope is shrunk towards -4% a year
    slope_prior: str | None = None

    @model_validator(mode="after")
    def _known_prior(self) -> Counts:
        from jinlin_analysis.engine.noise import SLOPE_PRIORS

        if self.slope_prior is not None and self.slope_prior not in SLOPE_PRIORS:
            known = ", ".join(sorted(SLOPE_PRIORS))
            raise ValueError(
                f"field 'counts.slope_prior': '{self.slope_prior}' is not one of {known}"
            )
        return self


Bounds = Annotated[tuple[float | None, float | None], Field(default=(None, None))]


class Indicator(_Frozen):
    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    domain: str
    name: str
    name_en: str
    unit: str | None = None
    bounds: Bounds
    target: Target
    scope: Scope = Scope.DISTRICT
    counts: Counts | None = None
    note: str | None = None
    source: str

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        lower, upper = self.bounds
        if lower is not None and upper is not None and lower >= upper:
            raise ValueError(f"field 'bounds': lower {lower} is not below upper {upper}")
        value = self.target.value
        is_level = value is not None and self.target.type is not TargetType.REDUCE_BY
        if is_level and (
            (lower is not None and value < lower) or (upper is not None and value > upper)
        ):
            raise ValueError(
                f"field 'target.value': {value:g} is outside bounds [{lower}, {upper}]"
            )
        if not self.is_milestone and not self.unit:
            raise ValueError("field 'unit' is missing: every measurable indicator needs a unit")
        if self.counts is not None and self.scale is None:
            raise ValueError(
                f"field 'counts.per' is missing: unit '{self.unit}' has no known scale"
            )
        return self

    @property
    def is_milestone(self) -> bool:
        return self.target.type is TargetType.MILESTONE

    @property
    def scale(self) -> float | None:
        """Multiplier from numerator/denominator to the reported value."""
        if self.counts is not None and self.counts.per is not None:
            return self.counts.per
        return UNIT_SCALE.get(self.unit or "")


class PlanInfo(_Frozen):
    id: str
    title: str
    region: str
    base_year: int
    target_year: int
    mid_term_year: int | None = None
    document: str | None = None


class Plan(_Frozen):
    plan: PlanInfo
    domains: dict[str, str]
    indicators: tuple[Indicator, ...]
    path: Path | None = None

    @property
    def info(self) -> PlanInfo:
        return self.plan

    @cached_property
    def by_id(self) -> dict[str, Indicator]:
        return {indicator.id: indicator for indicator in self.indicators}

    def indicator(self, indicator_id: str) -> Indicator:
        try:
            return self.by_id[indicator_id]
        except KeyError:
            raise KeyError(f"plan {self.plan.id!r} has no indicator {indicator_id!r}") from None

    @property
    def measurable(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if not i.is_milestone)

    @property
    def milestones(self) -> tuple[Indicator, ...]:
        return tuple(i for i in self.indicators if i.is_milestone)

    @property
    def years(self) -> range:
        """The plan period, base year to target year inclusive."""
        return range(self.plan.base_year, self.plan.target_year + 1)

    def catalog(self) -> pd.DataFrame:
        """One row per indicator: what `jinlin catalog` prints and the report lists."""
        rows = [
            {
                "id": i.id,
                "domain": i.domain,
                "name": i.name,
                "unit": i.unit or "",
                "target_type": i.target.type.value,
                "target_value": i.target.value,
                "baseline_year": i.target.baseline_year,
                "scope": i.scope.value,
                "source": i.source,
            }
            for i in self.indicators
        ]
        frame = pd.DataFrame(rows)
        frame["baseline_year"] = frame["baseline_year"].astype("Int64")
        return frame


class PlanProblem(BaseModel):
    file: str
    indicator_id: str | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"indicator '{self.indicator_id}', " if self.indicator_id else ""
        return f"{self.file}: {where}field '{self.field}': {self.message}"


class PlanError(JinlinError, ValueError):
    """A plan file that cannot be used; lists every problem found, not just the first."""

    def __init__(self, problems: list[PlanProblem]):
        self.problems = problems
        super().__init__("invalid plan file:\n" + "\n".join(f"  - {p}" for p in problems))


def bundled_plan_path(name: str = DEFAULT_PLAN) -> Path:
    return Path(str(resources.files("jinlin_analysis.plans") / name))


def load_plan(path: str | Path | None = None) -> Plan:
    """Read and validate a plan file; the bundled Jinlin 2021-2025 plan by default."""
    path = Path(path) if path is not None else bundled_plan_path()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanError([_problem(path, None, "-", "file not found")]) from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise PlanError([_problem(path, None, "-", f"not a readable YAML file: {exc}")]) from None
    if not isinstance(raw, dict):
        expected = "expected a mapping with 'plan', 'domains' and 'indicators'"
        raise PlanError([_problem(path, None, "-", expected)])
    problems = _structural_problems(path, raw)
    if problems:
        raise PlanError(problems)
    try:
        return Plan.model_validate({**raw, "path": path})
    except ValidationError as exc:
        raise PlanError(_translate(path, raw, exc)) from None


def _problem(path: Path, indicator_id: str | None, field: str, message: str) -> PlanProblem:
    return PlanProblem(file=str(path), indicator_id=indicator_id, field=field, message=message)


def _structural_problems(path: Path, raw: dict[str, Any]) -> list[PlanProblem]:
    """Checks that span indicators (pydantic validates each one on its own)."""
    indicators = raw.get("indicators") or []
    if not isinstance(indicators, list):
        return [_problem(path, None, "indicators", "must be a list")]
    ids = [item.get("id") for item in indicators if isinstance(item, dict)]
    problems = [
        _problem(path, ident, "id", f"duplicate id: used by {count} indicators; ids must be unique")
        for ident, count in Counter(ids).items()
        if ident is not None and count > 1
    ]
    domains = raw.get("domains") or {}
    for item in indicators:
        if isinstance(item, dict) and item.get("domain") not in domains:
            problems.append(
                _problem(
                    path,
                    item.get("id"),
                    "domain",
                    f"unknown domain {item.get('domain')!r}; declare it under 'domains' "
                    f"(known: {', '.join(domains)})",
                )
            )
    return problems


def _translate(path: Path, raw: dict[str, Any], exc: ValidationError) -> list[PlanProblem]:
    """Turn pydantic's locations into file / indicator id / field."""
    indicators = raw.get("indicators") or []
    problems = []
    for error in exc.errors():
        loc = list(error["loc"])
        indicator_id = None
        if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
            item = indicators[loc[1]] if loc[1] < len(indicators) else {}
            indicator_id = item.get("id") if isinstance(item, dict) else None
            loc = loc[2:]
            if indicator_id is None:
                indicator_id = f"#{error['loc'][1] + 1}"
        field = ".".join(str(part) for part in loc if not str(part).startswith("function-"))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "missing":
            message = "required field is missing"
        elif error["type"] == "enum":
            message = f"unknown value {error['input']!r}; {error['msg']}"
        elif message.startswith("field '"):
            field, _, message = message[len("field '") :].partition("'")
            message = message.lstrip(": ")
        problems.append(_problem(path, indicator_id, field or "-", message))
    return problems
