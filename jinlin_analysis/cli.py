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
    report.add_argument("--year", type=int, required=True, help="report year, e.g. 2024")
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


if __name__ == "__main__":
    sys.exit(main())
