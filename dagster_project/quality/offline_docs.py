"""GX Data Docs that open from disk with no network: the pages' CDN scripts, stylesheets, fonts and images are
served from the site's own static/vendor/ folder.

GX 1.24's page templates load bootstrap, jQuery, bootstrap-table, vega/vega-lite/vega-embed, Font Awesome etc. from
CDNs and its logo from S3 (with the project's id in the query). Offline that leaves every page unstyled and the
index tables empty. So after GX builds the site, `localize` unpacks the pinned copies (VENDOR_TARBALL, made from npm
by `vendor` out of expectations/data_docs/package-lock.json) into static/vendor/ and points every page at them. A
page that still loads anything from the network afterwards (a GX upgrade adding a CDN asset: add it to ASSETS and
package.json, then run `python -m dagster_project.quality.offline_docs vendor`) is an error naming page and URL.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

from dagster_project.settings import REPO_ROOT

ASSETS_DIR = REPO_ROOT / "expectations" / "data_docs"
VENDOR_TARBALL = ASSETS_DIR / "vendor.tar.xz"

# the URL each GX template loads -> the file of the npm package (package.json pins the version) that replaces it
ASSETS = {
    "https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css": "bootstrap/dist/css/bootstrap.min.css",
    "https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js": "bootstrap/dist/js/bootstrap.min.js",
    "https://code.jquery.com/jquery-3.7.1.min.js": "jquery/dist/jquery.min.js",
    "https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js": "popper.js/dist/umd/popper.min.js",
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css": (
        "bootstrap-table/dist/bootstrap-table.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js": (
        "bootstrap-table/dist/bootstrap-table.min.js"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.min.css": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.css"
    ),
    "https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js": (
        "bootstrap-table/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css": (
        "bootstrap-datepicker/dist/css/bootstrap-datepicker.min.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js": (
        "bootstrap-datepicker/dist/js/bootstrap-datepicker.min.js"
    ),
    "https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css": (
        "@forevolve/bootstrap-dark/dist/css/bootstrap-prefers-dark.css"
    ),
    "https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css": (
        "@fortawesome/fontawesome-free/css/all.min.css"
    ),
    "https://cdn.jsdelivr.net/npm/vega@5": "vega/build/vega.min.js",
    "https://cdn.jsdelivr.net/npm/vega-lite@5": "vega-lite/build/vega-lite.min.js",
    "https://cdn.jsdelivr.net/npm/vega-embed@6": "vega-embed/build/vega-embed.min.js",
}
# also vendored: what those files load themselves (Font Awesome's CSS: ../webfonts/*.woff2, tried before its .ttf),
# and each package's package.json (name, version, licence) and licence file (vega and popper.js ship none)
EXTRA_FILES = ("@fortawesome/fontawesome-free/webfonts/*.woff2",)

# GX's logo from S3 (light and dark theme) -> the copy GX puts in every site's static/images/
S3_IMAGES = re.compile(r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/([\w.-]+)(\?[^\"')\s]*)?")
LOGO = "images/logo-long.png"

VENDOR = "vendor"  # the site's static/<VENDOR>/ holds the unpacked tarball
STAMP = ".vendor.sha256"  # in static/vendor: the tarball it was unpacked from

_SITE_STATIC = re.compile(r"(?:\./|(?:\.\./)+)?static/(.+)")  # a link into the site's own static/ folder
_TAG = re.compile(r"<(script|link|img)\b[^>]*>", re.IGNORECASE)
_URL_ATTR = re.compile(r"""\b(src|href)\s*=\s*(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
# integrity/crossorigin only fit the CDN's copy; from file:// a crossorigin request is refused (origin "null")
_CDN_ONLY_ATTRS = re.compile(r"""\s+(integrity|crossorigin)(\s*=\s*(["']).*?\3)?""", re.IGNORECASE | re.DOTALL)


class OfflineDocsError(RuntimeError):
    """A Data Docs page still loads something from the network; the message names the page and the URL."""


def localize(site_dir: Path, strict: bool = True) -> int:
    """Make the Data Docs site at `site_dir` open offline: unpack the vendored assets into static/vendor/ and point
    every page at them. Returns the number of pages rewritten; with `strict`, raises OfflineDocsError if a page
    still loads a URL."""
    vendor_dir = site_dir / "static" / VENDOR
    _unpack(vendor_dir)
    rewritten, remaining = 0, []
    for page in sorted(site_dir.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        prefix = Path(os.path.relpath(site_dir / "static", page.parent)).as_posix()
        new = _rewrite(text, prefix)
        if new != text:
            page.write_text(new, encoding="utf-8")
            rewritten += 1
        remaining += [f"{page.relative_to(site_dir)}: {url}" for url in external_loads(new)]
    if remaining and strict:
        raise OfflineDocsError(
            f"{len(remaining)} Data Docs loads still go to the network (add them to ASSETS in "
            f"dagster_project/quality/offline_docs.py), e.g. {remaining[0]}"
        )
    return rewritten


def _rewrite(text: str, static: str) -> str:
    """`text` (a page) with every known CDN and S3 URL replaced by its copy under `static` (the site's static/
    folder, relative to the page)."""

    def tag(match: re.Match) -> str:
        original = match.group(0)

        def url(attr: re.Match) -> str:
            name, quote, value = attr.groups()
            if value in ASSETS:
                return f"{name}={quote}{static}/{VENDOR}/{ASSETS[value]}{quote}"
            own = _SITE_STATIC.match(value)  # GX's validation pages link its favicon one folder too shallow
            return f"{name}={quote}{static}/{own.group(1)}{quote}" if own else attr.group(0)

        new = _URL_ATTR.sub(url, original)
        return _CDN_ONLY_ATTRS.sub("", new) if new != original else original

    text = _TAG.sub(tag, text)
    return S3_IMAGES.sub(f"{static}/{LOGO}", text)


def _unpack(vendor_dir: Path) -> None:
    """Unpack VENDOR_TARBALL into `vendor_dir` unless that copy came from the same tarball (its stamp)."""
    digest = hashlib.sha256(VENDOR_TARBALL.read_bytes()).hexdigest()
    stamp = vendor_dir / STAMP
    if stamp.exists() and stamp.read_text() == digest:
        return
    staged = vendor_dir.with_name(f".{VENDOR}.{os.getpid()}")
    shutil.rmtree(staged, ignore_errors=True)
    with tarfile.open(VENDOR_TARBALL, "r:xz") as tar:
        tar.extractall(staged, filter="data")
    (staged / STAMP).write_text(digest)
    shutil.rmtree(vendor_dir, ignore_errors=True)
    os.replace(staged, vendor_dir)


# what a browser loads from a page by itself (not <a href>: a link is followed only when clicked): src/href/... of
# these tags, and CSS url()/@import. A regex over the whole text, not a parser: a remote URL in an inline script's
# string or a url() outside a stylesheet is counted too (it could end up loaded), so none is missed.
_LOADING_TAG = re.compile(r"<(?:script|link|img|iframe|source|embed|object|video|audio|input)\b[^>]*>", re.IGNORECASE)
_LOADING_ATTR = re.compile(r"""\b(?:src|href|data|poster|srcset)\s*=\s*(["']?)([^"'\s>]+)\1""", re.IGNORECASE)
_CSS_URL = re.compile(r"""(?:url\(\s*["']?|@import\s+["'])((?:https?:)?//[^"')\s]+)""", re.IGNORECASE)
_REMOTE = re.compile(r"\s*(?:https?:)?//", re.IGNORECASE)


def external_loads(html: str) -> list[str]:
    """The http(s):// (or //host) URLs an HTML page loads without a click: scripts, stylesheets, fonts, images."""
    tags = [url for tag in _LOADING_TAG.findall(html) for _, url in _LOADING_ATTR.findall(tag) if _REMOTE.match(url)]
    return tags + _CSS_URL.findall(html)


def vendor(out: Path = VENDOR_TARBALL) -> Path:
    """Make VENDOR_TARBALL from npm: `npm ci` of expectations/data_docs/package-lock.json in a temporary folder, then
    the ASSETS files, EXTRA_FILES and licences, in a reproducible tar.xz (sorted, no owners, no times)."""
    with tempfile.TemporaryDirectory() as work:
        for name in ("package.json", "package-lock.json", ".npmrc"):
            shutil.copy(ASSETS_DIR / name, Path(work) / name)
        subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=work, check=True)
        modules = Path(work) / "node_modules"
        files = {modules / path for path in ASSETS.values()}
        packages = {Path(*Path(path).parts[: 2 if path.startswith("@") else 1]) for path in ASSETS.values()}
        for pattern in (*EXTRA_FILES, *(f"{p}/{name}" for p in packages for name in ("LICENSE*", "package.json"))):
            files |= {path for path in modules.glob(pattern) if path.is_file()}
        missing = sorted(str(path) for path in files if not path.is_file())
        if missing:
            raise OfflineDocsError(f"npm packages lack {missing[0]}: fix ASSETS or the version in package.json")
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:xz", preset=9) as tar:
            for path in sorted(files):
                info = tar.gettarinfo(str(path), arcname=path.relative_to(modules).as_posix())
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                info.mtime = 0
                info.mode = 0o644
                with open(path, "rb") as data:
                    tar.addfile(info, data)
        out.write_bytes(buffer.getvalue())
    return out


if __name__ == "__main__":
    if sys.argv[1:] != ["vendor"]:
        sys.exit("usage: python -m dagster_project.quality.offline_docs vendor")
    print(f"wrote {vendor()} ({VENDOR_TARBALL.stat().st_size} bytes)")
