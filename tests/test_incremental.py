"""Incremental loads: unchanged files are skipped, later exports supersede earlier versions, history stays."""

from conftest import query, run_ok


def test_a_batch_supersedes_deals_and_keeps_history(mini_world, tmp_path):
    world = mini_world.copy_warehouse(tmp_path)
    mini_input, warehouse = world.input_dir, world.warehouse
    batch = tmp_path / "batch"
    batch.mkdir()
    (batch / "deals.csv").write_text(
        "deal_id,account_id,account_name,segment,rep_id,amount,currency,created_at,closed_at,outcome\n"
        "D3,A3,Cog,manufacturing,r1,900,USD,2025-02-01,2025-04-01,won\n"      # the open deal closes
        "D30,A30,Zed,manufacturing,r2,50,USD,2025-04-01,,open\n")              # a new deal
    run_ok(mini_input, warehouse, batch)
    deals = dict(query(warehouse, "SELECT deal_id, outcome FROM core.deals"))
    assert deals["D3"] == "won" and deals["D30"] == "open" and deals["D1"] == "won"
    assert len(deals) == 6
    # the earlier version is still queryable
    versions = query(warehouse, "SELECT _load_seq, outcome FROM raw.deals_all WHERE deal_id = 'D3' ORDER BY _load_seq")
    assert [o for _, o in versions] == ["open", "won"]
    # the base files were not read again, the batch file was
    statuses = dict(query(warehouse, "SELECT file, status FROM audit.loads WHERE run_id = "
                                     "(SELECT run_id FROM audit.runs ORDER BY started_at DESC LIMIT 1)"))
    assert statuses[str(batch / "deals.csv")] == "loaded"
    assert statuses[str(mini_input / "deals.csv")].startswith("unchanged since")


def test_parquet_inputs_and_a_catch_all_map(mini_input, tmp_path):
    """Parquet files load like CSV (line = row number), and a '*' map serves segments without their own."""
    import duckdb
    import yaml

    with duckdb.connect() as conn:
        for table in ("deals", "reps", "engagements"):
            source = mini_input / f"{table}.csv"
            conn.execute(f"COPY (SELECT * FROM read_csv('{source}', all_varchar = true)) "
                         f"TO '{mini_input / (table + '.parquet')}' (FORMAT parquet)")
            source.unlink()
    catch_all = yaml.safe_load((mini_input / "maps" / "controls.yaml").read_text())
    catch_all.update(map_id="any-segment", segment="*")
    (mini_input / "maps" / "any.yaml").write_text(yaml.safe_dump(catch_all))
    warehouse = tmp_path / "valuedata.duckdb"
    run_ok(mini_input, warehouse)
    maps = dict(query(warehouse, "SELECT deal_id, map_id FROM core.deals"))
    assert maps["D4"] == "any-segment" and maps["D1"] == "mini-controls"  # D4 is in segment 'retail'
    # rows are numbered from 1 in a parquet file (no header line)
    assert ("deals.parquet", 5, "unknown_rep") in {
        (f.rsplit("/", 1)[-1], line, rule) for f, line, rule in query(warehouse, "SELECT file, line, rule FROM audit.quarantine")}


def test_an_edited_file_of_the_same_size_is_read_again(mini_input, tmp_path):
    """Files are told apart by content, not size: a same-size edit loads, an untouched file is skipped,
    also in a warehouse built before raw.loads recorded file sizes."""
    import duckdb

    warehouse = tmp_path / "valuedata.duckdb"
    run_ok(mini_input, warehouse)
    with duckdb.connect(str(warehouse)) as conn:
        conn.execute("ALTER TABLE raw.loads DROP COLUMN bytes")  # as an older warehouse has it
    deals = mini_input / "deals.csv"
    before = deals.read_text()
    deals.write_text(before.replace("D1,A1,Acme,manufacturing,r1,1000,", "D1,A1,Acme,manufacturing,r1,1001,"))
    assert deals.stat().st_size == len(before.encode())
    run_ok(mini_input, warehouse)
    assert query(warehouse, "SELECT amount FROM core.deals WHERE deal_id = 'D1'") == [(1001,)]
    latest = "(SELECT run_id FROM audit.runs ORDER BY started_at DESC LIMIT 1)"
    statuses = dict(query(warehouse, f"SELECT file, status FROM audit.loads WHERE run_id = {latest}"))
    assert statuses[str(deals)] == "loaded"
    assert statuses[str(mini_input / "reps.csv")].startswith("unchanged since")
    sizes = dict(query(warehouse, "SELECT seq, bytes FROM raw.loads WHERE table_name = 'deals'"))
    assert sorted(sizes.values(), key=str) == [deals.stat().st_size, None]
