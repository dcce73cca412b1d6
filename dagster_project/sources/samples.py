"""Built-in real data: the UCI Online Retail export, shipped in `samples/online_retail/` as one `.tar.xz` of daily
CSV exports per month (byte for byte the files the shop exported), unpacked into a landing folder on demand.

`SOURCE=online_retail` is the files source on that folder: this module only puts the day files in place, the way
a shop's exports arrive, and never touches one that is already there (the files source loads each file once by
checksum, so re-writing an identical file must not happen, and an edited one is the user's correction).
"""

from __future__ import annotations

import datetime as dt
import os
import tarfile
from pathlib import Path

from dagster_project.settings import REPO_ROOT

ONLINE_RETAIL_ARCHIVES = REPO_ROOT / "samples" / "online_retail"
FOLDER = "online_retail"  # the landing sub-folder the Online Retail adapter reads


def _day(name: str) -> dt.date:
    return dt.date.fromisoformat(Path(name).stem)


def unpack_online_retail(landing_dir: Path, through: dt.date | None = None) -> list[Path]:
    """Write the export's day files up to `through` (all when None) into `landing_dir/online_retail/`; return the
    files written (those not there yet). Each file is written beside its final name and renamed, so a build
    running meanwhile never sees half a file."""
    archives = sorted(ONLINE_RETAIL_ARCHIVES.glob("*.tar.xz"))
    if not archives:
        raise FileNotFoundError(f"no Online Retail archives in {ONLINE_RETAIL_ARCHIVES}: is the checkout complete?")
    target = landing_dir / FOLDER
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for archive in archives:
        first_of_month = dt.date.fromisoformat(archive.name.removesuffix(".tar.xz") + "-01")
        if through is not None and first_of_month > through:
            break
        with tarfile.open(archive, "r:xz") as tar:
            for member in tar.getmembers():
                if not member.isfile() or (through is not None and _day(member.name) > through):
                    continue
                path = target / Path(member.name).name
                if path.exists():
                    continue
                staged = path.with_name(f".{path.name}.{os.getpid()}.part")
                staged.write_bytes(tar.extractfile(member).read())
                os.replace(staged, path)
                written.append(path)
    return written
