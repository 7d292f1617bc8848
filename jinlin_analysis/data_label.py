"""Whether the monitoring data are simulated, and the label every page must then carry."""

from __future__ import annotations

from pathlib import Path

SIMULATED = "示例数据（模拟）"


def data_label(data_dir: Path) -> str:
    """SIMULATED for the simulated demo data, "" for real monitoring data.

    TODO(merge, issue 3): read the database's "simulated" flag from `data_dir`. Until the
    database exists the only data there are is the demo data, so every report is labelled
    simulated: over-labelling real figures is a nuisance, under-labelling invented ones is not.
    """
    del data_dir
    return SIMULATED
