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
    report.add_argument("--year", type=int, required=True, help="report year, e.g. 2024")
    report.add_argument("--out", type=Path, default=None, help="output root (default: outputs/)")
    report.set_defaults(run=_report)

    assess = commands.add_parser(
        "assess", help="forecast every target: interval, probability of attainment, status"
    )
    _add_plan_option(assess)
    assess.add_argument("--observations", type=Path, required=True, help="CSV or parquet file")
    assess.add_argument("--as-of", type=int, required=True, help="use data up to this year")
    assess.add_argument("--target-year", type=int, default=None, help="default: the plan's")
    assess.add_argument("--out", type=Path, required=True, help="CSV file to write")
    assess.set_defaults(run=_assess)

    backtest = commands.add_parser(
        "backtest", help="recalibrate on the international panel and rewrite docs/backtest.md"
    )
    backtest.add_argument("--docs", type=Path, default=None, help="default: docs/")
    backtest.set_defaults(run=_backtest)
    return parser


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

    index = build_report(year=args.year, plan_path=args.plan, out_root=args.out)
    print(index)
    return 0


def _assess(args: argparse.Namespace) -> int:
    from jinlin_analysis.engine import assess

    plan = load_plan(args.plan)
    observations = _read_observation_file(args.observations)
    table = assess(plan, observations, as_of=args.as_of, target_year=args.target_year)
    _write_csv_atomically(table, args.out)
    print(args.out)
    return 0


def _read_observation_file(path: Path) -> pd.DataFrame:
    """Minimal reader of the long format (docs/observation-format.md); the intake loader
    replaces it at merge."""
    from jinlin_analysis.engine.observations import ObservationError

    if not path.exists():
        raise ObservationError(f"{path}: file not found")
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        return pd.read_csv(path, encoding="utf-8-sig")
    except (ValueError, OSError, UnicodeDecodeError) as exc:
        raise ObservationError(f"{path}: not a readable CSV/parquet file: {exc}") from None


def _write_csv_atomically(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    frame.to_csv(tmp, index=False, encoding="utf-8")
    tmp.replace(out)


def _backtest(args: argparse.Namespace) -> int:
    from jinlin_analysis.engine.backtest import DOCS, calibration_path, run_backtest, write_report

    result = run_backtest()
    result.calibration.save(calibration_path())
    for path in write_report(result, args.docs or DOCS):
        print(path)
    print(calibration_path())
    return 0


if __name__ == "__main__":
    sys.exit(main())
