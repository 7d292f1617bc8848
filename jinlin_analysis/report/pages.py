"""Which pages a report has: one declarative list, expanded for a given year and plan.

Adding a page is adding a `PageSpec` here and a notebook in notebooks/ that follows the
contract in docs/notebooks.md; the runner validates, runs and exports it, and links it from
the index page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from jinlin_analysis.paths import NOTEBOOKS_DIR
from jinlin_analysis.plan import Plan
from jinlin_analysis.wording import evaluation_name

# Every report notebook declares these in its `parameters` cell and gets them on every run.
STANDARD_PARAMETERS = ("year", "plan_path", "data_dir", "data_label")


@dataclass(frozen=True)
class PageSpec:
    """One notebook's place in the report.

    `slug` (the HTML file's name without .html) and `title` are format strings over the
    page's fields: {year}, {domain} and {domain_name} (pages run per domain), {evaluation}
    ("中期评估" / "终期评估" / "专项评估").
    """

    notebook: str
    slug: str
    title: str
    section: str  # heading the index page lists the page under
    for_each: Literal["domain"] | None = None  # one page per domain of the plan
    when: Literal["always", "evaluation"] = "always"  # "evaluation": mid-term/final or asked
    parameters: Mapping[str, Any] = field(default_factory=dict)  # fixed extra parameters


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.ipynb", slug="overview", title="总览与预警", section="总览"),
    PageSpec(
        "domain.ipynb",
        slug="domain-{domain}",
        title="{domain_name}",
        section="分领域趋势预测",
        for_each="domain",
    ),
    PageSpec("towns.ipynb", slug="towns", title="分镇与城乡差距", section="分镇与城乡差距"),
    PageSpec(
        "evaluation.ipynb",
        slug="evaluation",
        title="{year}年{evaluation}",
        section="规划评估",
        when="evaluation",
    ),
)


@dataclass(frozen=True)
class ReportContext:
    """Everything the page list depends on, settled once per run."""

    year: int
    plan: Plan
    data_dir: Path
    data_label: str
    evaluation: bool = False  # build the evaluation page even in an ordinary year

    @property
    def evaluation_name(self) -> str:
        return evaluation_name(self.plan, self.year)

    @property
    def is_evaluation_year(self) -> bool:
        return self.year in (self.plan.plan.mid_term_year, self.plan.plan.target_year)

    def standard_parameters(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "plan_path": str(self.plan.path.resolve()) if self.plan.path else None,
            "data_dir": str(self.data_dir.resolve()),
            "data_label": self.data_label,
        }


@dataclass(frozen=True)
class PageInfo:
    """What the page template shows around a notebook's content."""

    title: str
    report_title: str
    data_label: str
    generated_at: str


@dataclass(frozen=True)
class PageRun:
    """One notebook execution: the unit the runner validates, runs, exports and links."""

    slug: str
    title: str
    section: str
    notebook: Path
    parameters: dict[str, Any]

    def describe(self) -> str:
        """'domain-health (domain.ipynb, domain=health)': how errors name a page."""
        extra = [f"{k}={v}" for k, v in self.parameters.items() if k not in STANDARD_PARAMETERS]
        return f"{self.slug} ({', '.join([self.notebook.name, *extra])})"


def expand(
    context: ReportContext,
    specs: tuple[PageSpec, ...] = PAGES,
    notebooks_dir: Path = NOTEBOOKS_DIR,
) -> list[PageRun]:
    """The page runs of one report, in the order the index lists them."""
    runs = []
    for spec in specs:
        if spec.when == "evaluation" and not (context.evaluation or context.is_evaluation_year):
            continue
        instances: list[dict[str, Any]] = [{}]
        if spec.for_each == "domain":
            instances = [{"domain": code} for code in context.plan.domains]
        for instance in instances:
            fields = {
                "year": context.year,
                "evaluation": context.evaluation_name,
                "domain_name": context.plan.domains.get(instance.get("domain", ""), ""),
                **instance,
            }
            runs.append(
                PageRun(
                    slug=spec.slug.format(**fields),
                    title=spec.title.format(**fields),
                    section=spec.section,
                    notebook=notebooks_dir / spec.notebook,
                    parameters={**context.standard_parameters(), **spec.parameters, **instance},
                )
            )
    slugs = [run.slug for run in runs]
    duplicated = sorted({s for s in slugs if slugs.count(s) > 1})
    if duplicated:
        raise ValueError(f"page slugs must be unique; repeated: {', '.join(duplicated)}")
    return runs
