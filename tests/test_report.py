"""The dashboards (reports/): built by `make report` from the test warehouse's serving file, every page loaded in
headless Chromium (the Debian package, driven by Playwright): no console error or warning (Plot warns there about
misread data), every chart and table drawn, no request leaving the local server, and the pages' headline figures
equal to the same figures queried from the marts. The exposures (dbt/models/exposures.yml) are checked against the
marts each page's data loader reads."""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import subprocess
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"

# Every chart (data-chart) and table (data-table) of each page: a page that adds one lists it here.
PAGES = {
    "index": {"charts": set(), "tables": set()},
    "crm": {
        "charts": {"segment-sizes", "segment-migration", "lifecycle-funnel", "repurchase-cycle", "outreach-reasons"},
        "tables": {"outreach-list"},
    },
    "marketing": {
        "charts": {
            "daily-revenue",
            "daily-aov",
            "cohort-retention",
            "cohort-type-retention",
            "second-order-rate",
            "deal-hunters",
        },
        "tables": {"deal-hunters"},
    },
    "supply": {
        "charts": {"factory-ranking", "scorecard-trends", "alerts-timeline", "supplier-compliance"},
        "tables": {"factory-ranking", "alerts", "supplier-compliance"},
    },
}


def manifest() -> dict:
    return json.loads((REPO / "dbt" / "target" / "manifest.json").read_text(encoding="utf-8"))


def test_each_dashboard_exposure_lists_the_marts_its_page_reads_and_dagster_shows_it():
    from dagster_project.definitions import defs

    exposures = {e["name"]: e for e in manifest()["exposures"].values()}
    assert {Path(e["meta"]["page"]).stem for e in exposures.values()} == set(PAGES) - {"index"}
    graph = defs.resolve_asset_graph()
    for name, exposure in exposures.items():
        assert exposure["type"] == "dashboard" and exposure["owner"]["email"], name
        loader = (REPO / exposure["meta"]["data_loader"]).read_text(encoding="utf-8")
        read = set(re.findall(r"\bmarts\.(\w+)", loader))
        declared = {node.split(".")[-1] for node in exposure["depends_on"]["nodes"]}
        assert read == declared, f"{name}: loader reads {sorted(read)}, exposures.yml lists {sorted(declared)}"
        assert (REPO / exposure["meta"]["page"]).is_file()
        parents = graph.get(dg.AssetKey(["dashboards", name])).parent_keys
        assert parents == {dg.AssetKey(["marts", m]) for m in declared} | {dg.AssetKey(["serving", "warehouse"])}
    build_job = defs.resolve_job_def("build")
    assert not any(key.path[0] == "dashboards" for key in build_job.asset_layer.selected_asset_keys)


@pytest.fixture(scope="module")
def site(warehouse, tmp_path_factory) -> Path:
    """`make report` on the test warehouse (npm ci first on a fresh clone), built into a temporary folder."""
    dist = tmp_path_factory.mktemp("report") / "dist"
    done = subprocess.run(
        ["make", "--no-print-directory", "report"],
        cwd=REPO,
        env={**os.environ, "DATA_DIR": str(warehouse.data_dir), "REPORT_DIST": str(dist)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-4000:]
    return dist


@pytest.fixture(scope="module")
def server(site):
    """The built site on a local port: the pages are ES modules, which browsers do not run from file://."""
    handler = functools.partial(QuietHandler, directory=str(site))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the base class's signature
        pass


@pytest.fixture(scope="module")
def pages(server) -> dict[str, dict]:
    """Each page loaded in headless Chromium: what it logged and requested, and what it shows."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"no Chromium at {CHROMIUM}: apt-get install -y chromium (.ci/run does), or set CHROMIUM")
    seen = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            for name, expected in PAGES.items():
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                log = {"errors": [], "requests": [], "failed": []}
                page.on("console", lambda m, log=log: m.type in ("error", "warning") and log["errors"].append(m.text))
                page.on("pageerror", lambda e, log=log: log["errors"].append(str(e)))
                page.on("request", lambda r, log=log: log["requests"].append(r.url))
                page.on("response", lambda r, log=log: r.status >= 400 and log["failed"].append(f"{r.status} {r.url}"))
                page.on("requestfailed", lambda r, log=log: log["failed"].append(f"{r.failure} {r.url}"))
                page.goto(f"{server}/{name}.html", wait_until="networkidle")
                for chart in expected["charts"]:
                    page.wait_for_selector(f'[data-chart="{chart}"] svg', timeout=30_000)
                for table in expected["tables"]:
                    page.wait_for_selector(f'[data-table="{table}"] table tbody tr', timeout=30_000)
                seen[name] = {
                    **log,
                    "charts": page.eval_on_selector_all(
                        "[data-chart]",
                        """els => Object.fromEntries(els.map(e => [e.dataset.chart,
                            [...e.querySelectorAll('svg g[aria-label]')]
                                .filter(g => !/axis|grid|tick|label|rule/.test(g.getAttribute('aria-label')))
                                .reduce((n, g) => n + g.childElementCount, 0)]))""",
                    ),
                    "tables": page.eval_on_selector_all(
                        "[data-table]",
                        "els => Object.fromEntries(els.map(e => [e.dataset.table, "
                        "e.querySelectorAll('tbody tr').length]))",
                    ),
                    "cell_errors": page.locator(".observablehq--error").all_inner_texts(),
                    "figures": dict(
                        page.eval_on_selector_all(
                            "[data-figure]", "els => els.map(e => [e.dataset.figure, e.textContent.trim()])"
                        )
                    ),
                    "text": page.inner_text("body"),
                }
                page.close()
        finally:
            browser.close()
    return seen


@pytest.mark.parametrize("name", PAGES)
def test_page_renders_every_chart_offline_without_errors(pages, server, name):
    page = pages[name]
    assert page["errors"] == [] and page["cell_errors"] == [], page["errors"] + page["cell_errors"]
    assert page["failed"] == []
    outside = [url for url in page["requests"] if not url.startswith(server + "/") and not url.startswith("data:")]
    assert outside == [], f"{name}: requests leaving the local server: {outside}"
    assert set(page["charts"]) == PAGES[name]["charts"]
    empty = [chart for chart, marks in page["charts"].items() if marks == 0]
    assert empty == [], f"{name}: charts without a drawn mark: {empty}"
    assert set(page["tables"]) == PAGES[name]["tables"] and all(page["tables"].values()), page["tables"]


def shown(text: str) -> float:
    """A figure as the page writes it ('¥125,720', '97.2') as a number."""
    return float(text.replace("¥", "").replace(",", ""))


def test_page_figures_equal_the_marts(pages, warehouse):
    crm, marketing, supply = (pages[name]["figures"] for name in ("crm", "marketing", "supply"))
    as_of = warehouse.scalar("select max(snapshot_date) from marts.mart_rfm_segments where is_current")
    assert crm["crm-as-of"] == as_of.isoformat()
    assert shown(crm["crm-segment-customers"]) == warehouse.scalar(
        "select sum(customers) from marts.mart_rfm_segments where is_current"
    )
    assert shown(crm["crm-outreach-count"]) == warehouse.scalar("select count(*) from marts.mart_outreach_candidates")
    assert shown(crm["crm-cycle-days"]) == round(
        warehouse.scalar("select median_days from marts.mart_repurchase_cycle where dimension = 'overall'")
    )
    revenue = warehouse.scalar("select revenue from marts.mart_daily_kpis order by kpi_date desc limit 1")
    assert abs(shown(marketing["mkt-revenue-as-of"]) - float(revenue)) <= 0.5
    assert shown(marketing["mkt-deal-hunters"]) == warehouse.scalar(
        "select count(*) from marts.dim_customers where is_deal_hunter"
    )
    top_score = warehouse.scalar("select score from marts.mart_factory_ranking where rank = 1")
    assert abs(shown(supply["supply-top-score"]) - top_score) <= 0.05 + 1e-9
    assert shown(supply["supply-open-alerts"]) == warehouse.scalar(
        "select count(*) from marts.mart_factory_alerts where status = 'open'"
    )
    # the outreach table starts with the customer of priority 1
    first = warehouse.scalar("select customer_id from marts.mart_outreach_candidates where priority_rank = 1")
    assert first in pages["crm"]["text"]
