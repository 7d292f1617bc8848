"""Merge validated submissions into the monitoring database, losing nothing.

Rules: a new value is added; the same value again changes nothing (so re-ingesting a file
is a no-op that writes no byte); a different value for a value already held is refused
unless the analyst says `revise=True` with a reason, and then the old value goes to the
revisions log with who, when and why. The database is rebuilt in a staging copy and
swapped in whole (see atomic.py), so a failed or stopped ingest leaves it as it was.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from jinlin_analysis.atomic import directory_lock, staged_directory
from jinlin_analysis.database import (
    DATABASE_FORMAT,
    INGESTION_COLUMNS,
    INGESTIONS,
    OBSERVATIONS,
    REVISION_COLUMNS,
    REVISIONS,
    MonitoringDatabase,
    database_exists,
    load_database,
    write_manifest,
    write_table,
)
from jinlin_analysis.errors import JinlinError
from jinlin_analysis.observations import COLUMNS, CONTENT, KEY, PROVENANCE
from jinlin_analysis.paths import PROCESSED_DIR, PROJECT_ROOT
from jinlin_analysis.plan import Plan, load_plan
from jinlin_analysis.problems import DataProblems, Lang, Problem
from jinlin_analysis.regions import REGIONS_FILE, Regions, find_regions_file
from jinlin_analysis.validation import ValidationResult, resolve_regions, validate_files

# What counts as a change of a value already in the database.
COMPARED = (*CONTENT, "source", "note")


@dataclass
class IngestResult:
    db_dir: Path
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    changed: bool = False  # False: nothing was written
    warnings: list[Problem] = field(default_factory=list)

    def summary(self, lang: Lang = "zh") -> str:
        if lang == "zh":
            if not self.changed:
                return f"无变化：{self.unchanged} 个数值已在数据库中（{self.db_dir}）。"
            return (
                f"已导入 {self.db_dir}：新增 {self.added} 个，修订 {self.revised} 个，"
                f"未变 {self.unchanged} 个。"
            )
        if not self.changed:
            return f"no change: all {self.unchanged} values already in {self.db_dir}."
        return (
            f"ingested into {self.db_dir}: {self.added} added, {self.revised} revised, "
            f"{self.unchanged} unchanged."
        )


def ingest(
    paths: Sequence[str | Path],
    db_dir: str | Path = PROCESSED_DIR,
    plan: Plan | None = None,
    regions: Regions | str | Path | None = None,
    revise: bool = False,
    reason: str | None = None,
    who: str | None = None,
    years: range | None = None,
    now: datetime | None = None,
    lang: Lang = "zh",
) -> IngestResult:
    """Validate `paths` and merge them into the database at `db_dir`.

    Raises DataProblems (nothing written) on any validation error or refused change.
    """
    if revise and not (reason and reason.strip()):
        raise JinlinError('--revise needs --reason "why" (修订必须说明原因)')
    plan = plan or load_plan()
    db_dir = Path(db_dir)
    with directory_lock(db_dir):
        existing = load_database(db_dir) if database_exists(db_dir) else None
        if regions is None and existing is not None:
            found = find_regions_file(Path(p) for p in paths)
            regions = found if found is not None else existing.regions
        regions = resolve_regions(paths, plan, regions)
        history = existing.observations if existing is not None else None
        result = validate_files(paths, plan=plan, regions=regions, years=years, history=history)
        if not result.ok:
            raise DataProblems(result.problems, lang)
        if existing is not None:
            _check_compatible(existing, result, plan, revise, lang)
        stamp = (now or datetime.now().astimezone()).isoformat(timespec="seconds")
        incoming = _with_provenance(result.observations, stamp)
        merged = _merge(existing, incoming, revise, lang)
        outcome = IngestResult(
            db_dir=db_dir,
            added=len(merged.added),
            revised=len(merged.replaced),
            unchanged=merged.unchanged,
            warnings=result.warnings,
        )
        regions_changed = existing is not None and existing.regions != regions
        if merged.added.empty and merged.replaced.empty and not regions_changed:
            return outcome
        who = who or _user()
        with staged_directory(db_dir) as staging:
            write_table(staging, OBSERVATIONS, merged.observations)
            revisions = _revisions(existing, merged, stamp, who, reason)
            write_table(staging, REVISIONS, revisions)
            write_table(
                staging,
                INGESTIONS,
                _ingestions(existing, result, incoming, merged, stamp, who, reason),
            )
            (staging / REGIONS_FILE).write_text(regions.to_yaml(), encoding="utf-8")
            write_manifest(staging, _manifest(plan, result, merged.observations, stamp))
        outcome.changed = True
        return outcome


def _check_compatible(
    existing: MonitoringDatabase, result: ValidationResult, plan: Plan, revise: bool, lang: Lang
) -> None:
    problems = []
    if existing.plan_id and existing.plan_id != plan.plan.id:
        problems.append(
            Problem("plan_changed", params={"db_plan": existing.plan_id, "plan": plan.plan.id})
        )
    if existing.simulated != result.dataset.simulated:
        kinds = {True: ("模拟示例数据", "simulated demo data"), False: ("真实数据", "real data")}
        problems.append(
            Problem(
                "mixed_dataset",
                params={
                    "db_kind": kinds[existing.simulated][0],
                    "new_kind": kinds[result.dataset.simulated][0],
                    "db_kind_en": kinds[existing.simulated][1],
                    "new_kind_en": kinds[result.dataset.simulated][1],
                },
            )
        )
    if result.regions is not None and existing.regions != result.regions and not revise:
        old, new = existing.regions, result.regions
        detail = f"{'、'.join(old.names)} → {'、'.join(new.names)}"
        problems.append(Problem("regions_changed", file=REGIONS_FILE, params={"detail": detail}))
    if problems:
        raise DataProblems(problems, lang)


def _with_provenance(observations: pd.DataFrame, stamp: str) -> pd.DataFrame:
    frame = observations.copy()
    frame["source_file"] = [_stored_path(p) for p in frame["_path"]]
    frame["source_sheet"] = frame["_sheet"]
    frame["source_row"] = frame["_row"].astype("int64")
    frame["source_sha256"] = frame["_sha256"]
    frame["ingested_at"] = stamp
    return frame


def _stored_path(path: str) -> str:
    """Paths inside the project are kept relative to it, so the database can move with it."""
    resolved = Path(path).resolve()
    try:
        return resolved.relative_to(PROJECT_ROOT).as_posix()
    except ValueError:
        return resolved.as_posix()


@dataclass
class _Merged:
    observations: pd.DataFrame
    added: pd.DataFrame
    replaced: pd.DataFrame  # the old rows
    replacing: pd.DataFrame  # the new rows that replace them, same order
    unchanged: int


def _merge(
    existing: MonitoringDatabase | None, incoming: pd.DataFrame, revise: bool, lang: Lang
) -> _Merged:
    columns = [*COLUMNS, *PROVENANCE]
    new = incoming[[*columns, "_file", "_sheet", "_row"]]
    if existing is None or existing.observations.empty:
        return _Merged(
            _sorted(new[columns]), new[columns], new.iloc[:0][columns], new.iloc[:0][columns], 0
        )
    old = existing.observations[columns]
    joined = new.merge(old, on=list(KEY), how="left", suffixes=("", "_old"), indicator=True)
    present = joined["_merge"] == "both"
    differs = present & ~pd.Series(
        [all(_same(row[c], row[f"{c}_old"]) for c in COMPARED) for _, row in joined.iterrows()],
        index=joined.index,
    )
    if differs.any() and not revise:
        raise DataProblems([_changed_problem(row) for _, row in joined[differs].iterrows()], lang)
    added = joined.loc[~present, columns]
    replacing = joined.loc[differs, columns]
    replaced_keys = replacing[list(KEY)]
    replaced = old.merge(replaced_keys, on=list(KEY), how="inner")[columns]
    kept = old.merge(replaced_keys, on=list(KEY), how="left", indicator=True)
    kept = kept.loc[kept["_merge"] == "left_only", columns]
    merged = pd.concat([kept, replacing, added], ignore_index=True)
    return _Merged(
        observations=_sorted(merged),
        added=added,
        replaced=replaced,
        replacing=replacing,
        unchanged=int((present & ~differs).sum()),
    )


def _same(a: object, b: object) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(a)))
    return a == b


def _changed_problem(row: pd.Series) -> Problem:
    def shown(suffix: str) -> str:
        parts = []
        for column in COMPARED:
            value = row[f"{column}{suffix}"]
            if pd.notna(value):
                parts.append(f"{value:g}" if isinstance(value, float) else str(value))
        return "/".join(parts)

    return Problem(
        "changed_value",
        file=row["_file"],
        sheet=row["_sheet"],
        row=int(row["_row"]),
        column="value",
        value=shown(""),
        params={"old": shown("_old"), "new": shown(""), "old_file": row["source_file_old"]},
    )


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    order = ["indicator_id", "region", "sex", "residence", "year"]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def _revisions(
    existing: MonitoringDatabase | None, merged: _Merged, stamp: str, who: str, reason: str | None
) -> pd.DataFrame:
    log = (
        existing.revisions if existing is not None else pd.DataFrame(columns=list(REVISION_COLUMNS))
    )
    if merged.replaced.empty:
        return log if not log.empty else pd.DataFrame(columns=list(REVISION_COLUMNS))
    new_by_key = merged.replacing.set_index(list(KEY))
    rows = merged.replaced.copy()
    for column in ("value", "numerator", "denominator", "status", "source_file", "source_sha256"):
        rows[f"new_{column}"] = [
            new_by_key.loc[tuple(k), column] for k in rows[list(KEY)].itertuples(index=False)
        ]
    rows["revised_at"] = stamp
    rows["revised_by"] = who
    rows["reason"] = reason or ""
    frames = [f for f in (log, rows[list(REVISION_COLUMNS)]) if not f.empty]
    return pd.concat(frames, ignore_index=True).astype({"new_value": "float64"})


def _ingestions(
    existing: MonitoringDatabase | None,
    result: ValidationResult,
    incoming: pd.DataFrame,
    merged: _Merged,
    stamp: str,
    who: str,
    reason: str | None,
) -> pd.DataFrame:
    rows = []
    for source in result.files:
        stored = _stored_path(str(source.path))
        mine = incoming["source_file"] == stored
        rows.append(
            {
                "ingested_at": stamp,
                "ingested_by": who,
                "file": stored,
                "sha256": source.sha256,
                "rows": int(mine.sum()),
                "added": int((merged.added["source_file"] == stored).sum()),
                "revised": int((merged.replacing["source_file"] == stored).sum()),
                "unchanged": int(mine.sum())
                - int((merged.added["source_file"] == stored).sum())
                - int((merged.replacing["source_file"] == stored).sum()),
                "reason": reason or "",
            }
        )
    log = existing.ingestions if existing is not None else pd.DataFrame()
    frame = pd.DataFrame(rows, columns=list(INGESTION_COLUMNS))
    return (
        pd.concat([f for f in (log, frame) if not f.empty], ignore_index=True)
        if not log.empty
        else frame
    )


def _manifest(plan: Plan, result: ValidationResult, observations: pd.DataFrame, stamp: str) -> dict:
    dataset = result.dataset
    years = observations["year"]
    return {
        "format": DATABASE_FORMAT,
        "plan_id": plan.plan.id,
        "simulated": dataset.simulated,
        "data_label": dataset.data_label,
        "title": dataset.title,
        "description": dataset.description,
        "updated_at": stamp,
        "observations": len(observations),
        "years": [int(years.min()), int(years.max())] if len(years) else [],
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "unknown")
