"""`make docs` gives pages that open from disk with no network: the dbt docs as one static page with the manifest
inline, and GX Data Docs whose CSS, JS, fonts and images are vendored copies. Checked on the page text (no
http(s) script, stylesheet, font or image; every local one exists) and in headless Chromium with the network cut
off (the page's scripts ran, threw nothing and asked for no URL)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from dagster_project.quality import docs, gx_runner, offline_docs

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_LOCAL_REF = re.compile(r"""<(?:script|link|img)\b[^>]*?\b(?:src|href)\s*=\s*["']([^"'#?]+)""", re.IGNORECASE)


def _render(url: str, work: Path) -> tuple[str, list[str], list[str]]:
    """Open `url` in headless Chromium with every network request refused; return the DOM after its scripts ran
    (scripts removed), the uncaught script errors, and the http(s) URLs the page asked for (Chromium's net log)."""
    if not CHROMIUM:
        pytest.fail("chromium is not installed: apt-get install -y chromium (.ci/run installs it)")
    netlog = work / "net-log.json"
    done = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--proxy-server=http://127.0.0.1:9",  # nothing listens there: any request fails
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--log-net-log={netlog}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=10000",
            f"--user-data-dir={work / 'profile'}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    errors = [line for line in done.stderr.splitlines() if ":CONSOLE" in line and "Uncaught" in line]
    text = netlog.read_text(encoding="utf-8")
    try:
        log = json.loads(text)
    except ValueError:  # a log cut short at exit: close its event list
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    asked = [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job
        # the page's own requests (not Chromium's background ones) carry the file:// page as their isolation key
        and "file://" in event["params"].get("network_isolation_key", "")
        and re.match(r"(https?|wss?)://", event["params"].get("url", ""))
    ]
    dom = re.sub(r"<script\b.*?</script>", "", done.stdout, flags=re.DOTALL | re.IGNORECASE)
    return dom, errors, asked


def test_gx_data_docs_load_nothing_from_the_network_and_render_offline(warehouse, tmp_path):
    """Every page of the site: no remote load, every local asset present; the index in Chromium: bootstrap-table
    (which needs jQuery and bootstrap) built the validations table."""
    sites = gx_runner.build_data_docs(strict=True)
    site = gx_runner.data_docs_dir()
    assert set(sites) == {"local_site"}
    pages = sorted(site.rglob("*.html"))
    assert (site / "index.html") in pages and any("validations" in page.parts for page in pages)
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert offline_docs.external_loads(text) == [], page
        for ref in _LOCAL_REF.findall(text):
            assert (page.parent / ref).is_file(), f"{page.relative_to(site)} loads {ref}: missing"
    css = (site / "static" / "vendor" / "@fortawesome" / "fontawesome-free" / "css" / "all.min.css").read_text()
    for font in re.findall(r"url\((\.\./webfonts/[^)]+\.woff2)\)", css):  # the icons' fonts, loaded by the CSS
        assert (site / "static" / "vendor" / "@fortawesome" / "fontawesome-free" / "css" / font).is_file(), font

    dom, errors, asked = _render((site / "index.html").as_uri(), tmp_path)
    assert errors == [] and asked == []
    assert 'class="bootstrap-table' in dom  # made by bootstrap-table's script: jQuery, bootstrap loaded
    assert re.search(r"<td[^>]*>\s*<a [^>]*>\s*marts_dim_customers\s*</a>", dom) or ">marts_dim_customers<" in dom


def test_dbt_docs_are_one_static_page_with_the_manifest_inline_that_renders_offline(warehouse, tmp_path):
    build_db = tmp_path / "warehouse.duckdb"  # dbt opens it read-write: other tests read the shared one meanwhile
    shutil.copyfile(warehouse.build_db, build_db)
    page = docs.dbt_docs(build_db, tmp_path / "target")
    text = page.read_text(encoding="utf-8")
    assert offline_docs.external_loads(text) == []
    assert '"model.loyalty_warehouse.mart_factory_ranking"' in text  # the manifest, inline
    assert '"send_anonymous_usage_stats": false' in text  # dbt docs' tracker (a CDN script) stays off

    dom, errors, asked = _render(page.as_uri(), tmp_path)
    assert errors == [] and asked == []
    # Angular drew the project tree from the inline manifest (from file:// a fetch of manifest.json is refused)
    assert 'data-nav-unique-id="model.loyalty_warehouse.mart_factory_ranking"' in dom


def test_a_cdn_url_the_vendored_assets_do_not_cover_is_an_error_naming_the_page(tmp_path):
    site = tmp_path / "site"
    (site / "validations").mkdir(parents=True)
    (site / "index.html").write_text(
        '<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>'
        '<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" '
        'integrity="sha384-x" crossorigin="anonymous"></script>'
    )
    s3 = "https://great-expectations-web-assets.s3.us-east-2.amazonaws.com"
    (site / "validations" / "a.html").write_text(
        '<link rel="icon" href="./static/images/favicon.ico">'
        f'<img src="{s3}/logo-long.png?d=123"><style>.b {{ background: url("{s3}/full_logo_dark.png") }}</style>'
        '<a href="https://greatexpectations.io">a link is not a load</a>'
    )
    assert offline_docs.localize(site) == 2
    index = (site / "index.html").read_text()
    assert 'href="static/vendor/bootstrap/dist/css/bootstrap.min.css"' in index
    assert '<script src="static/vendor/popper.js/dist/umd/popper.min.js"></script>' in index  # no SRI/CORS attrs
    assert (site / "static" / "vendor" / "popper.js" / "dist" / "umd" / "popper.min.js").is_file()
    page = (site / "validations" / "a.html").read_text()
    assert page.count("../static/images/logo-long.png") == 2 and "?d=" not in page
    assert '<link rel="icon" href="../static/images/favicon.ico">' in page  # GX's own link, one folder too shallow
    (site / "index.html").write_text('<script src="https://cdn.example.com/new.js"></script>')
    with pytest.raises(offline_docs.OfflineDocsError, match=r"index\.html: https://cdn\.example\.com/new\.js"):
        offline_docs.localize(site)
    assert os.listdir(site / "static") == ["vendor"]  # unpacked once, in place
