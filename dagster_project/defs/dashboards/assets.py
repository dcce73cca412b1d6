"""The dashboards of reports/ in the asset graph: one AssetSpec per dbt exposure (dbt/models/exposures.yml),
downstream of the marts the exposure depends on (and of the serving file, which the pages' data loaders read), so
the graph shows which marts feed which page.

dagster-dbt makes no assets of exposures, hence these. They are external assets: `make report` builds the pages
(Node, outside Dagster), no job materializes them. The exposures stay the one list of a page's marts;
tests/test_report.py checks it against the tables each page's data loader queries.
"""

import json

import dagster as dg

from dagster_project.defs.dbt.assets import Translator
from dagster_project.defs.dbt.project import dbt_project

SERVING_KEY = dg.AssetKey(["serving", "warehouse"])  # defs/publish/assets.py: the file the loaders read


def dashboard_specs() -> list[dg.AssetSpec]:
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    translator = Translator()
    specs = []
    for exposure in sorted(manifest["exposures"].values(), key=lambda e: e["name"]):
        owner = exposure.get("owner") or {}
        meta = exposure.get("meta") or {}
        specs.append(
            dg.AssetSpec(
                key=["dashboards", exposure["name"]],
                deps=[
                    *(translator.get_asset_key(manifest["nodes"][node]) for node in exposure["depends_on"]["nodes"]),
                    SERVING_KEY,
                ],
                group_name="dashboards",
                kinds={"observable"},
                description=f"{exposure.get('label') or exposure['name']}: {exposure['description'].strip()}",
                owners=[owner["email"]] if owner.get("email") else [],
                metadata={
                    "dbt exposure": exposure["unique_id"],
                    "owner": owner.get("name") or "",
                    **{name.replace("_", " "): dg.MetadataValue.path(path) for name, path in meta.items()},
                    "preview url (make report-dev)": dg.MetadataValue.url(exposure["url"]),
                },
            )
        )
    return specs


dashboards = dashboard_specs()
