"""docs/raw-contract.md is generated from the contract in code, so the two cannot drift apart."""

from pathlib import Path

from dagster_project.sources.contract import RAW_TABLES, render_markdown

DOC = Path(__file__).resolve().parent.parent / "docs" / "raw-contract.md"


def test_raw_contract_doc_is_generated_from_the_code():
    assert DOC.read_text() == render_markdown(), (
        "run: python -m dagster_project.sources.contract > docs/raw-contract.md"
    )


def test_every_column_is_described_and_every_key_is_a_column():
    for table in RAW_TABLES.values():
        assert set(table.key) <= set(table.column_names), table.name
        assert all(column.description for column in table.columns), table.name
