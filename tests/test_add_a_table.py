"""A newcomer adds an analysis table by following README's "Where things go" steps, and nothing else."""

import uuid

import polars as pl
from dagster import AssetExecutionContext, MaterializeResult, asset, materialize

from conftest import query
from pipelines.assets.publish import publish_asset
from pipelines.resources import WarehouseResource
from pipelines.run import run_pipeline
from valuedata.analysis.tables import write_tables
from valuedata.config import Settings
from valuedata.warehouse.sql import SQL_DIR, table_comment


# Step 1: a function that takes polars frames and returns one.
def win_rate_by_rep(deals: pl.DataFrame) -> pl.DataFrame:
    """Closed deals and win rate per rep."""
    closed = deals.filter(pl.col("outcome").is_in(["won", "lost"]))
    return closed.group_by("rep_id").agg(closed=pl.len(), win_rate=(pl.col("outcome") == "won").mean()).sort("rep_id")


def test_a_toy_analysis_table_lands_in_the_published_warehouse(mini_input, tmp_path):
    settings = Settings.resolve(mini_input, tmp_path / "valuedata.duckdb", tmp_path / "dashboards")
    assert run_pipeline(settings).success
    name = f"toy_{uuid.uuid4().hex[:8]}"
    sql_file = SQL_DIR / "analytics" / f"{name}.sql"
    # Step 2: sql/analytics/<name>.sql writes the frame and says what a row is.
    sql_file.write_text(f"CREATE OR REPLACE TABLE analytics.{name} AS SELECT * FROM {name}_frame;\n"
                        f"COMMENT ON TABLE analytics.{name} IS 'One row per rep: closed deals and win rate.';\n")
    try:
        # Step 3: an asset that reads its inputs and writes the table through write_tables.
        @asset(key=["analytics", name], deps=[["core", "deals"]], description=table_comment(f"analytics/{name}.sql"))
        def toy(context: AssetExecutionContext, warehouse: WarehouseResource) -> MaterializeResult:
            with warehouse.connect() as conn:
                frame = win_rate_by_rep(conn.sql("SELECT rep_id, outcome FROM core.deals").pl())
                write_tables(conn, {name: frame})
            return MaterializeResult(metadata={"rows": frame.height})

        resource = WarehouseResource(input_dir=str(settings.input_dir), warehouse=str(settings.warehouse),
                                     dashboards=str(settings.dashboards))
        result = materialize([toy, publish_asset([toy.key])], resources={"warehouse": resource})
    finally:
        sql_file.unlink()
    assert result.success
    assert toy.descriptions_by_key[toy.key] == "One row per rep: closed deals and win rate."
    expected = query(settings.warehouse, "SELECT rep_id, count(*), avg((outcome = 'won')::INT) FROM core.deals "
                                         "WHERE outcome IN ('won', 'lost') GROUP BY rep_id ORDER BY rep_id")
    assert query(settings.warehouse, f"SELECT * FROM analytics.{name} ORDER BY rep_id") == expected and expected
    [(comment,)] = query(settings.warehouse, f"SELECT comment FROM duckdb_tables() WHERE table_name = '{name}'")
    assert comment == "One row per rep: closed deals and win rate."
