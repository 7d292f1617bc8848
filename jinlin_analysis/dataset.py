"""The dataset manifest (dataset.yaml) that travels with a data folder.

It says whether the data are simulated, so that every page built from them can say
示例数据（模拟） without guessing from file names.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from jinlin_analysis.errors import JinlinError

DATASET_FILE = "dataset.yaml"
SIMULATED_LABEL = "示例数据（模拟）"


class DatasetError(JinlinError):
    """A manifest that cannot be read."""


@dataclass(frozen=True)
class DatasetInfo:
    name: str = ""
    title: str = ""
    simulated: bool = False
    description: str = ""

    @property
    def data_label(self) -> str:
        """示例数据（模拟） for simulated data, empty for real data."""
        return SIMULATED_LABEL if self.simulated else ""

    def to_dict(self) -> dict:
        return {
            "name": self.name,
            "title": self.title,
            "simulated": self.simulated,
            "description": self.description,
        }


def load_dataset_info(path: str | Path) -> DatasetInfo:
    """Read a dataset.yaml; a folder without one holds real (not simulated) data."""
    path = Path(path)
    if path.is_dir():
        path = path / DATASET_FILE
    if not path.is_file():
        return DatasetInfo()
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable YAML file: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("simulated", False), bool):
        raise DatasetError(f"{path}: expected a mapping with 'simulated: true|false'")
    return DatasetInfo(
        name=str(raw.get("name") or path.parent.name),
        title=str(raw.get("title") or ""),
        simulated=raw.get("simulated", False),
        description=str(raw.get("description") or "").strip(),
    )


def dataset_for(paths: Iterable[Path]) -> DatasetInfo:
    """The manifest of the folder(s) the given files come from; they must agree."""
    infos = {}
    for path in paths:
        folder = path if path.is_dir() else path.parent
        infos[folder.resolve()] = load_dataset_info(folder)
    kinds = {info.simulated for info in infos.values()}
    if len(kinds) > 1:
        raise DatasetError(
            "simulated and real data given together (模拟数据与真实数据不能一起导入): "
            + ", ".join(f"{folder} simulated={info.simulated}" for folder, info in infos.items())
        )
    return next(iter(infos.values()), DatasetInfo())
