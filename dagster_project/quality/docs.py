"""`make docs`: the dbt docs and the GX Data Docs as pages that open from disk with no network; `make docs-serve`
serves both on localhost.

dbt docs: `dbt docs generate --static` writes dbt/target/static_index.html, one page with the manifest and catalog
inline (index.html fetches manifest.json, which browsers refuse from file://). GX Data Docs: rebuilt from the
newest validations of each gate, its CDN assets replaced by vendored copies (offline_docs). Either page loading
anything from the network is an error naming it.
"""

from __future__ import annotations

import http.server
import os
import subprocess
import sys
import urllib.parse
from pathlib import Path

from dagster_project.settings import REPO_ROOT, SettingsError, load_settings

DBT_DIR = REPO_ROOT / "dbt"
DBT_PAGE = DBT_DIR / "target" / "static_index.html"
SERVE_PORT = 8080


def dbt_docs(build_db: Path | None = None, target: Path = DBT_DIR / "target") -> Path:
    """Generate the dbt docs of `build_db` (default: the settings' build file) as `target`/static_index.html
    (DBT_PAGE); return its path."""
    from dagster_project.cli import configure_environment
    from dagster_project.quality import offline_docs

    settings = load_settings()
    configure_environment(settings)  # dbt/profiles.yml's settings; dbt's telemetry off
    build_db = build_db or settings.build_db
    if not build_db.exists():
        raise SettingsError(f"no build at {build_db}: run make build first (the docs describe its tables)")
    done = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "docs", "generate", "--static", "--quiet"]
        + ["--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR), "--target-path", str(target)],
        env={**os.environ, "WAREHOUSE_BUILD_DB": str(build_db)},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SettingsError(f"dbt docs generate failed: {(done.stdout + done.stderr).strip()[-2000:]}")
    page = target / DBT_PAGE.name
    loads = offline_docs.external_loads(page.read_text(encoding="utf-8"))
    if loads:
        raise offline_docs.OfflineDocsError(f"{page} loads {loads[0]} from the network")
    return page


INDEX = b"""<!doctype html><meta charset="utf-8"><title>loyalty-warehouse docs</title>
<h1>loyalty-warehouse docs</h1>
<ul><li><a href="/dbt/static_index.html">dbt docs</a>: models, columns, lineage, tests</li>
<li><a href="/gx/index.html">GX Data Docs</a>: the quality gates' suites and their newest validations</li></ul>
"""


def serve(port: int = SERVE_PORT) -> None:
    """Serve the dbt docs at /dbt/ and the Data Docs at /gx/ on http://127.0.0.1:`port` (localhost only), with a
    page linking both at /, until interrupted."""
    from dagster_project.quality import gx_runner

    sites = {"dbt": DBT_PAGE.parent, "gx": gx_runner.data_docs_dir()}

    class Handler(http.server.SimpleHTTPRequestHandler):
        def translate_path(self, path: str) -> str:
            site, _, rest = urllib.parse.urlsplit(path).path.lstrip("/").partition("/")
            if site not in sites:
                return str(sites["gx"] / "no-such-page")  # a 404
            self.directory = str(sites[site])
            return super().translate_path("/" + rest)

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            if urllib.parse.urlsplit(self.path).path not in ("/", "/index.html"):
                return super().do_GET()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(INDEX)))
            self.end_headers()
            self.wfile.write(INDEX)
            return None

    with http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler) as server:
        print(f"docs on http://127.0.0.1:{port}/ (dbt: /dbt/static_index.html, GX: /gx/index.html); Ctrl-C stops")
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass


def main(argv: list[str]) -> int:
    from dagster_project.quality import gx_runner, offline_docs

    try:
        if argv[:1] == ["serve"]:
            port = argv[1] if argv[1:] else str(SERVE_PORT)
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise SettingsError(f"DOCS_PORT={port!r} is not a port: use a number from 1 to 65535, e.g. 8080")
            serve(int(port))
            return 0
        page = dbt_docs()
        print(f"dbt docs: file://{page}")
        for name, url in gx_runner.build_data_docs(strict=True).items():
            print(f"GX Data Docs ({name}): {url}")
        return 0
    except (SettingsError, offline_docs.OfflineDocsError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
