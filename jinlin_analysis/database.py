"""The monitoring database in data/processed/ (format: docs/observation-format.md).

Each table is a parquet file (exact dtypes, for the engine and notebooks) with a CSV copy
(UTF-8 with BOM, so Excel opens it in Chinese) for people. `database.yaml` says which plan
the data belong to and whether they are simulated; `regions.yaml` is the regions file the
data were checked against. Only `jinlin ingest` writes here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from jinlin_analysis.dataset import SIMULATED_LABEL
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.observations import COLUMNS, PROVENANCE, TOTAL, as_observation_dtypes
from jinlin_analysis.paths import PROCESSED_DIR
from jinlin_analysis.regions import REGIONS_FILE, Regions, load_regions

DATABASE_FORMAT = 1
MANIFEST_FILE = "database.yaml"
OBSERVATIONS = "observations"
REVISIONS = "revisions"
INGESTIONS = "ingestions"
REVISION_COLUMNS = (
    *COLUMNS,
    *PROVENANCE,
    "revised_at",
    "revised_by",
    "reason",
    "new_value",
    "new_numerator",
    "new_denominator",
    "new_status",
    "new_source_file",
    "new_source_sha256",
)
INGESTION_COLUMNS = (
    "ingested_at",
    "ingested_by",
    "file",
    "sha256",
    "rows",
    "added",
    "revised",
    "unchanged",
    "reason",
)


class DatabaseError(JinlinError):
    """No database where one was expected, or one that cannot be read."""


@dataclass(frozen=True)
class MonitoringDatabase:
    """Everything ingested so far: observations with provenance, revisions, the regions."""

    path: Path
    observations: pd.DataFrame  # the long table + source_file, source_sheet, source_row, ...
    revisions: pd.DataFrame  # values replaced by `ingest --revise`, who/when/why
    ingestions: pd.DataFrame  # one row per file per ingest that changed something
    regions: Regions
    plan_id: str
    simulated: bool
    data_label: str  # 示例数据（模拟） when simulated, else ""
    title: str = ""
    description: str = ""

    @property
    def latest_year(self) -> int:
        """The most recent year with any reported value: the default report year."""
        if self.observations.empty:
            raise DatabaseError(f"the monitoring database in {self.path} holds no observations")
        return int(self.observations["year"].max())

    def series(
        self,
        indicator_id: str,
        region: str | None = None,
        sex: str = TOTAL,
        residence: str = TOTAL,
    ) -> pd.DataFrame:
        """One series by year; the district's headline series by default."""
        frame = self.observations
        region = region or self.regions.district
        chosen = frame[
            (frame["indicator_id"] == indicator_id)
            & (frame["region"] == region)
            & (frame["sex"] == sex)
            & (frame["residence"] == residence)
        ]
        return chosen.sort_values("year").reset_index(drop=True)


def database_exists(db_dir: str | Path = PROCESSED_DIR) -> bool:
    return (Path(db_dir) / MANIFEST_FILE).is_file()


def load_database(db_dir: str | Path = PROCESSED_DIR) -> MonitoringDatabase:
    """Read the monitoring database written by `jinlin ingest`."""
    db_dir = Path(db_dir)
    if not database_exists(db_dir):
        raise DatabaseError(
            f"no monitoring database in {db_dir}: run `jinlin ingest DATA_FOLDER` first, "
            f"e.g. `jinlin ingest data/raw/demo` (数据库为空：请先导入数据)"
        )
    manifest = yaml.safe_load((db_dir / MANIFEST_FILE).read_text(encoding="utf-8")) or {}
    if manifest.get("format") != DATABASE_FORMAT:
        raise DatabaseError(
            f"{db_dir / MANIFEST_FILE}: database format {manifest.get('format')!r} is not "
            f"{DATABASE_FORMAT}; re-ingest the raw data into an empty folder"
        )
    observations = read_table(db_dir, OBSERVATIONS)
    observations = as_observation_dtypes(observations)
    simulated = bool(manifest.get("simulated", False))
    return MonitoringDatabase(
        path=db_dir,
        observations=observations,
        revisions=read_table(db_dir, REVISIONS),
        ingestions=read_table(db_dir, INGESTIONS),
        regions=load_regions(db_dir / REGIONS_FILE),
        plan_id=str(manifest.get("plan_id", "")),
        simulated=simulated,
        data_label=SIMULATED_LABEL if simulated else "",
        title=str(manifest.get("title") or ""),
        description=str(manifest.get("description") or ""),
    )


def read_table(db_dir: Path, name: str) -> pd.DataFrame:
    path = db_dir / f"{name}.parquet"
    if not path.is_file():
        return pd.DataFrame()
    return pd.read_parquet(path)


def write_table(db_dir: Path, name: str, frame: pd.DataFrame) -> None:
    """Parquet for programs, a CSV copy for people (UTF-8 with BOM: Excel reads it)."""
    frame = frame.reset_index(drop=True)
    frame.to_parquet(db_dir / f"{name}.parquet", index=False)
    frame.to_csv(db_dir / f"{name}.csv", index=False, encoding="utf-8-sig", lineterminator="\n")


def write_manifest(db_dir: Path, manifest: dict) -> None:
    text = "# 监测数据库说明，由 jinlin ingest 写入。格式见 docs/observation-format.md\n"
    text += yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False)
    (db_dir / MANIFEST_FILE).write_text(text, encoding="utf-8")
