"""The annual report: page list, parameter checks, parallel runs, offline HTML export, index."""

from jinlin_analysis.report.build import BuiltReport, ReportFailed, build_report

__all__ = ["BuiltReport", "ReportFailed", "build_report"]
