"""The regions file: the district and its towns, kept as data (docs/observation-format.md).

Towns are never written in code: the real town list belongs to the data folder it comes
with, and the demo data set ships its own (simulated) one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from jinlin_analysis.errors import JinlinError

REGIONS_FILE = "regions.yaml"


class RegionsError(JinlinError):
    """A regions file that is missing or cannot be used."""


@dataclass(frozen=True)
class Regions:
    district: str
    towns: tuple[str, ...]
    simulated: bool = False
    note: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        """The district first, then its towns in file order."""
        return (self.district, *self.towns)

    def frame(self) -> pd.DataFrame:
        """One row per region: region, level (district/town)."""
        return pd.DataFrame(
            {
                "region": list(self.names),
                "level": ["district"] + ["town"] * len(self.towns),
            }
        )

    def to_yaml(self) -> str:
        data: dict = {"district": self.district, "towns": list(self.towns)}
        if self.simulated:
            data["simulated"] = True
        if self.note:
            data["note"] = self.note
        header = "# 地区文件：区及其下辖镇。格式见 docs/observation-format.md\n"
        return header + yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def load_regions(path: str | Path, plan_region: str | None = None) -> Regions:
    """Read and check a regions file; `plan_region` (e.g. 金林区) must be its district."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RegionsError(f"{path}: regions file not found (地区文件不存在)") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise RegionsError(f"{path}: not a readable YAML file: {exc}") from None
    if not isinstance(raw, dict) or not isinstance(raw.get("district"), str):
        raise RegionsError(
            f"{path}: expected 'district: <name>' and 'towns: [<name>, ...]' "
            "(需要 district 和 towns 两项)"
        )
    towns = raw.get("towns") or []
    if not isinstance(towns, list) or not all(isinstance(t, str) and t.strip() for t in towns):
        raise RegionsError(f"{path}: 'towns' must be a list of town names (镇名列表)")
    towns = [t.strip() for t in towns]
    district = raw["district"].strip()
    repeated = sorted({t for t in towns if towns.count(t) > 1 or t == district})
    if repeated:
        raise RegionsError(f"{path}: town listed twice or named like the district: {repeated}")
    if plan_region is not None and district != plan_region:
        raise RegionsError(
            f"{path}: district {district!r} is not the plan's region {plan_region!r} "
            f"(地区文件中的区名应为“{plan_region}”)"
        )
    unknown = set(raw) - {"district", "towns", "simulated", "note"}
    if unknown:
        raise RegionsError(f"{path}: unknown field(s) {sorted(unknown)}")
    return Regions(
        district=district,
        towns=tuple(towns),
        simulated=bool(raw.get("simulated", False)),
        note=str(raw.get("note") or ""),
    )


def find_regions_file(places: Iterable[Path]) -> Path | None:
    """The first regions.yaml in the given folders (or next to the given files)."""
    for place in places:
        folder = place if place.is_dir() else place.parent
        candidate = folder / REGIONS_FILE
        if candidate.is_file():
            return candidate
    return None
