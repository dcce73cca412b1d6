"""GX gates as blocking Dagster asset checks: a failing gate stops the publish asset in the same run."""

import dagster as dg
import duckdb

from dagster_project.defs.resources import WarehouseResource
from dagster_project.quality import gx_runner
from dagster_project.quality.gates import GATES, Gate


def _gate_check(gate: Gate) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=dg.AssetKey(list(gate.asset_key)),
        name=f"gx_{gate.name}",
        blocking=True,
        description=gate.description + f" (suite expectations/gx/expectations/{gate.name}.json)",
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        with duckdb.connect(str(warehouse.settings().build_db), read_only=True) as con:
            frame = con.execute(gate.query).df()
        result = gx_runner.run_checkpoint(gate.name, frame)
        if not result.success:
            context.log.error(result.message())
        return dg.AssetCheckResult(
            passed=result.success,
            metadata={
                "rows_validated": len(frame),
                "expectations": result.evaluated,
                "failed_expectations": len(result.failures),
                "failure": result.message() if not result.success else "",
            },
        )

    return _check


gx_checks = [_gate_check(gate) for gate in GATES]
