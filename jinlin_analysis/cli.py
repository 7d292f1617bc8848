"""The `jinlin` command: one sub-command per job, each a thin wrapper over the package."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from jinlin_analysis.errors import JinlinError
from jinlin_analysis.plan import load_plan


def main(argv: Sequence[str] | None = None) -> int:
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `jinlin catalog | head` ends quietly
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        return args.run(args) or 0
    except JinlinError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # e.g. Ctrl-C during `jinlin report`: nothing was left half-built
        print("interrupted", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="jinlin",
        description="Monitoring and early warning for the Jinlin children's development plan.",
    )
    commands = parser.add_subparsers(title="commands")

    catalog = commands.add_parser("catalog", help="list the plan's indicators and targets")
    _add_plan_option(catalog)
    catalog.add_argument("--format", choices=["table", "csv"], default="table")
    catalog.set_defaults(run=_catalog)

    report = commands.add_parser("report", help="build the annual HTML report")
    _add_plan_option(report)
    report.add_argument(
        "--year", type=int, default=None, help="report year (default: the latest year with data)"
    )
    report.add_argument(
        "--data", type=Path, default=None, help="monitoring data folder (default: data/processed/)"
    )
    report.add_argument("--out", type=Path, default=None, help="output root (default: outputs/)")
    report.add_argument(
        "--jobs", type=int, default=None, help="notebooks run at once (default: CPU count)"
    )
    report.add_argument(
        "--evaluation",
        action="store_true",
        help="include the evaluation page (always included in the mid-term and final years)",
    )
    report.set_defaults(run=_report)

    template = commands.add_parser("template", help="write the Excel workbook departments fill in")
    _add_plan_option(template)
    template.add_argument("--year", type=int, required=True, help="the year the data describe")
    template.add_argument("--out", type=Path, required=True, help="the .xlsx file to write")
    template.add_argument(
        "--domain", action="append", help="only this domain (repeatable), e.g. health"
    )
    _add_regions_option(template)
    _add_db_option(template, "last year's values are shown from it when present")
    template.set_defaults(run=_template)

    validate = commands.add_parser("validate", help="check filled templates and long CSV/XLSX")
    validate.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    _add_intake_options(validate)
    _add_db_option(validate, "earlier years for the unusual-change check")
    validate.add_argument("--format", choices=["table", "csv"], default="table")
    validate.set_defaults(run=_validate)

    ingest = commands.add_parser("ingest", help="validate and merge into the monitoring database")
    ingest.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files or folders")
    _add_intake_options(ingest)
    _add_db_option(ingest, "the database to merge into")
    ingest.add_argument(
        "--revise", action="store_true", help="replace values already held (needs --reason)"
    )
    ingest.add_argument("--reason", help="why values are revised; kept in the revisions log")
    ingest.add_argument("--by", help="who revises (default: the login name)")
    ingest.set_defaults(run=_ingest)

    demo = commands.add_parser("demo-data", help="regenerate the simulated demo data set")
    demo.add_argument("--out", type=Path, default=None, help="folder (default: data/raw/demo)")
    demo.add_argument("--seed", type=int, default=None, help="random seed (default: scenario's)")
    demo.set_defaults(run=_demo)

    assess = commands.add_parser(
        "assess", help="forecast every target: interval, probability of attainment, status"
    )
    _add_plan_option(assess)
    assess.add_argument(
        "--observations",
        type=Path,
        default=None,
        help="a long-format CSV/XLSX file, validated first (default: the monitoring database)",
    )
    _add_regions_option(assess)
    _add_db_option(assess, "used when --observations is not given")
    assess.add_argument("--as-of", type=int, required=True, help="use data up to this year")
    assess.add_argument("--target-year", type=int, default=None, help="default: the plan's")
    assess.add_argument("--out", type=Path, required=True, help="CSV file to write")
    assess.set_defaults(run=_assess)

    backtest = commands.add_parser(
        "backtest", help="recalibrate on the international panel and rewrite docs/backtest.md"
    )
    backtest.add_argument("--docs", type=Path, default=None, help="default: docs/")
    backtest.add_argument(
        "--small-counts",
        action="store_true",
        help="instead: semi-synthetic backtest of the small-count path, writes "
        "docs/backtest-small-counts.md (the calibration file is not touched)",
    )
    backtest.set_defaults(run=_backtest)
    return parser


def _add_regions_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--regions",
        type=Path,
        default=None,
        help="regions file (default: regions.yaml beside the data)",
    )


def _add_db_option(parser: argparse.ArgumentParser, purpose: str) -> None:
    parser.add_argument(
        "--db",
        type=Path,
        default=None,
        help=f"monitoring database folder (default: data/processed/); {purpose}",
    )


def _add_intake_options(parser: argparse.ArgumentParser) -> None:
    _add_plan_option(parser)
    _add_regions_option(parser)
    parser.add_argument(
        "--years",
        type=_year_range,
        default=None,
        help="accepted years, e.g. 2010-2025 (default: base year - 10 to target year)",
    )
    parser.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of messages")


def _year_range(text: str) -> range:
    first, _, last = text.partition("-")
    try:
        return range(int(first), int(last or first) + 1)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected FIRST-LAST, e.g. 2010-2025, not {text!r}"
        ) from None


def _add_plan_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--plan", type=Path, default=None, help="plan file (default: the bundled 2021-2025 plan)"
    )


def _catalog(args: argparse.Namespace) -> int:
    frame = load_plan(args.plan).catalog()
    if args.format == "csv":
        frame.to_csv(sys.stdout, index=False, lineterminator="\n", float_format="%g")
    else:
        shown = frame.drop(columns="source").astype(object)
        shown["target_value"] = [f"{v:g}" if pd.notna(v) else "" for v in frame["target_value"]]
        shown = shown.where(shown.notna(), "")
        print(tabulate(shown, headers="keys", showindex=False, disable_numparse=True))
    return 0


def _report(args: argparse.Namespace) -> int:
    from jinlin_analysis.report import build_report  # heavy imports only when needed

    built = build_report(
        args.year,
        args.plan,
        args.out,
        data_dir=args.data,
        jobs=args.jobs,
        evaluation=args.evaluation,
    )
    for warning in built.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(built.index)
    return 0


def _db_dir(args: argparse.Namespace) -> Path:
    from jinlin_analysis.paths import PROCESSED_DIR

    return args.db if args.db is not None else PROCESSED_DIR


def _template(args: argparse.Namespace) -> int:
    from jinlin_analysis.database import database_exists, load_database
    from jinlin_analysis.regions import load_regions
    from jinlin_analysis.templates import write_template

    plan = load_plan(args.plan)
    database = load_database(_db_dir(args)) if database_exists(_db_dir(args)) else None
    if args.regions is not None:
        regions = load_regions(args.regions, plan_region=plan.plan.region)
    elif database is not None:
        regions = database.regions
    else:
        raise JinlinError(
            "no regions file: pass --regions FILE (the towns of the district), "
            "or ingest data first (请用 --regions 指定地区文件)"
        )
    path = write_template(
        args.out,
        year=args.year,
        plan=plan,
        regions=regions,
        domains=args.domain,
        previous=database.observations if database is not None else None,
        label=database.data_label if database is not None else "",
    )
    print(path)
    return 0


def _validate(args: argparse.Namespace) -> int:
    from jinlin_analysis.database import database_exists, load_database
    from jinlin_analysis.problems import format_problems, problems_frame
    from jinlin_analysis.validation import validate_files

    plan = load_plan(args.plan)
    database = load_database(_db_dir(args)) if database_exists(_db_dir(args)) else None
    regions = args.regions
    if regions is None and database is not None:
        from jinlin_analysis.regions import find_regions_file

        regions = find_regions_file(args.paths) or database.regions
    result = validate_files(
        args.paths,
        plan=plan,
        regions=regions,
        years=args.years,
        history=database.observations if database is not None else None,
    )
    if args.format == "csv":
        problems_frame(result.problems, args.lang).to_csv(
            sys.stdout, index=False, lineterminator="\n"
        )
    elif result.problems:
        print(format_problems(result.problems, args.lang))
    if args.format == "table":
        rows = len(result.observations)
        print(
            f"通过：{rows} 个数值可以导入。"
            if result.ok and args.lang == "zh"
            else f"OK: {rows} values can be ingested."
            if result.ok
            else "未通过：请按上表修改后重新检查。"
            if args.lang == "zh"
            else "Failed: fix the errors above and validate again.",
            file=sys.stdout if result.ok else sys.stderr,
        )
    return 0 if result.ok else 1


def _ingest(args: argparse.Namespace) -> int:
    from jinlin_analysis.ingest import ingest
    from jinlin_analysis.problems import DataProblems, format_problems

    try:
        result = ingest(
            args.paths,
            db_dir=_db_dir(args),
            plan=load_plan(args.plan),
            regions=args.regions,
            revise=args.revise,
            reason=args.reason,
            who=args.by,
            years=args.years,
            lang=args.lang,
        )
    except DataProblems as exc:
        print(format_problems(exc.problems, args.lang))
        print(
            "未导入：数据库没有任何改动。"
            if args.lang == "zh"
            else "Nothing ingested: the database is unchanged.",
            file=sys.stderr,
        )
        return 1
    if result.warnings:
        print(format_problems(result.warnings, args.lang))
    print(result.summary(args.lang))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from jinlin_analysis.demo import generate_demo

    for path in generate_demo(args.out, seed=args.seed):
        print(path)
    return 0


def _assess(args: argparse.Namespace) -> int:
    from jinlin_analysis.engine import assess

    plan = load_plan(args.plan)
    if args.observations is not None:
        from jinlin_analysis.validation import read_observations

        observations = read_observations(args.observations, plan=plan, regions=args.regions)
    else:
        from jinlin_analysis.database import load_database

        observations = load_database(_db_dir(args)).observations
    table = assess(plan, observations, as_of=args.as_of, target_year=args.target_year)
    _write_csv_atomically(table, args.out)
    print(args.out)
    return 0


def _write_csv_atomically(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8")
    tmp.replace(out)


def _backtest(args: argparse.Namespace) -> int:
    if args.small_counts:
        from jinlin_analysis.engine import backtest_counts

        for path in backtest_counts.render(
            backtest_counts.run_count_backtest(), args.docs or backtest_counts.DOCS
        ):
            print(path)
        return 0
    from jinlin_analysis.engine.backtest import DOCS, calibration_path, run_backtest, write_report

    result = run_backtest()
    result.calibration.save(calibration_path())
    for path in write_report(result, args.docs or DOCS):
        print(path)
    print(calibration_path())
    return 0


if __name__ == "__main__":
    sys.exit(main())
