"""`make docs`, GX half: rebuild the Great Expectations Data Docs (newest validations of each gate) as HTML."""

from __future__ import annotations

from dagster_project.quality import gx_runner


def main() -> None:
    sites = gx_runner.build_data_docs()
    for name, url in sites.items():
        print(f"GX Data Docs ({name}): {url}")


if __name__ == "__main__":
    main()
