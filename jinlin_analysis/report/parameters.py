"""Check every page's parameters against what its notebook declares, before any kernel starts.

papermill silently ignores a parameter the notebook does not declare: a misspelt `domian`
would run the default domain seven times and nobody would notice. Here it is an error, and so
is a notebook that leaves out a standard parameter or declares a default of another type.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import papermill

from jinlin_analysis.errors import JinlinError
from jinlin_analysis.report.pages import STANDARD_PARAMETERS, PageRun

_TYPES = {"int": int, "float": float, "str": str, "bool": bool}


class ParameterError(JinlinError):
    """Pages whose parameters do not match their notebooks; lists every problem."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("report parameters do not match the notebooks:\n" + "\n".join(problems))


def declared_parameters(notebook: Path) -> dict[str, dict[str, Any]]:
    """The notebook's `parameters` cell as papermill reads it: name -> {default, type, help}."""
    if not notebook.is_file():
        raise ParameterError([f"  - {notebook}: notebook not found"])
    return papermill.inspect_notebook(str(notebook))


def validate(runs: list[PageRun]) -> None:
    """Raise ParameterError naming page, notebook and parameter for every mismatch."""
    problems: list[str] = []
    declared_by_notebook: dict[Path, dict[str, dict[str, Any]]] = {}
    for run in runs:
        if run.notebook not in declared_by_notebook:
            declared_by_notebook[run.notebook] = declared_parameters(run.notebook)
            problems += _contract_problems(run.notebook, declared_by_notebook[run.notebook])
        declared = declared_by_notebook[run.notebook]
        for name, value in run.parameters.items():
            where = f"  - page {run.describe()}: parameter '{name}'"
            if name not in declared:
                known = ", ".join(declared) or "none (no cell tagged 'parameters')"
                problems.append(f"{where} is not declared by the notebook (it declares: {known})")
                continue
            expected = _declared_type(declared[name])
            if expected is not None and value is not None and not _fits(value, expected):
                problems.append(
                    f"{where} = {value!r} is {type(value).__name__}, "
                    f"but the notebook's default is {expected.__name__}"
                )
    if problems:
        raise ParameterError(list(dict.fromkeys(problems)))


def _contract_problems(notebook: Path, declared: dict[str, dict[str, Any]]) -> list[str]:
    missing = [p for p in STANDARD_PARAMETERS if p not in declared]
    if not missing:
        return []
    return [
        f"  - {notebook.name}: the parameters cell must declare {', '.join(missing)} "
        f"(every report notebook takes {', '.join(STANDARD_PARAMETERS)}; see docs/notebooks.md)"
    ]


def _declared_type(parameter: dict[str, Any]) -> type | None:
    """The type a parameter's annotation names, else that of its literal default, else None."""
    annotated = _TYPES.get(str(parameter.get("inferred_type_name")))
    if annotated is not None:
        return annotated
    try:
        default = ast.literal_eval(str(parameter.get("default")))
    except (ValueError, SyntaxError):
        return None
    return None if default is None else type(default)


def _fits(value: Any, expected: type) -> bool:
    if expected is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if expected is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, expected)
