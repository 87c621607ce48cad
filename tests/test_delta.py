"""Nightly runs cost what changed: a delta run recomputes only the ids its new files reach, and leaves the
warehouse a full reload of the same files would build."""

from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from conftest import World, Worlds, query, run_ok
from dashboard_worlds import seeds  # noqa: F401 - session fixture: the seeds through the real pipeline
from shapes import SHAPES, shared_run
from valuedata.analysis.scoring import score_open_deals
from valuedata.analysis.stored_models import load_models
from valuedata.analysis.tables import MapTables, modelling_deals
from valuedata.generate import generate

# Every relation a delta run writes, with the columns that name a run rather than a result.
COMPARED = {
    "core.reps": (), "core.deals": (), "core.engagements": (), "core.deal_attributes": (),
    "core.engagement_tags": (), "analytics.deal_coverage": (), "audit.unmapped_titles": (),
    "audit.quarantine": ("run_id",),
}
LOAD_COUNTS = ("table_name", "file", "sha256", "load_seq", "rows_read", "rows_loaded", "rows_quarantined",
               "rows_superseded", "reconciled")
LATEST_RUN = "(SELECT run_id FROM audit.runs ORDER BY started_at DESC, rowid DESC LIMIT 1)"

BATCH = {
    # r2 breaks (its deals D2, D4 lose their rep, and their engagements their deal); r3 is fixed (D14 and
    # its engagement E15 load); r1 changes a field only; r4 is new
    "reps.csv": "rep_id,name,team,manager,region,hired_at\n"
                "r1,Ann Lee,North,Mo,EU,2020-01-01\n"
                "r2,Bo Chan,West,Mo,US,someday\n"
                "r3,Cy Diaz,West,Mo,US,2022-02-02\n"
                "r4,Di Eng,East,Mo,EU,2024-04-04\n",
    # D3 closes; D16 moves to a segment without a map; D11's duplicate is resolved; D30 is new (rep r4);
    # a row without an id; no `seats` column in this export
    "deals.csv": "deal_id,account_id,account_name,segment,rep_id,amount,currency,created_at,closed_at,outcome,lead_source\n"
                 "D3,A3,Cog,manufacturing,r1,900,USD,2025-02-01,2025-04-01,won,inbound\n"
                 "D16,A16,Pip,retail,r1,100,USD,2025-02-01,,open,inbound\n"
                 "D11,A11,Kit,manufacturing,r1,150,USD,2025-02-01,2025-02-20,won,inbound\n"
                 "D30,A30,Zed,manufacturing,r4,50,USD,2025-04-01,,open,partner\n"
                 ",A31,Nil,manufacturing,r1,50,USD,2025-04-01,,open,partner\n",
    # E2 moves from D1 to D3; E12's duplicate is resolved; ' E5 ' (trimmed: E5) gets a role; E16 is on D16
    # (no map any more, so its title maps to nothing); E17 has too many fields; E18 names an unknown deal
    "engagements.csv": "engagement_id,deal_id,occurred_at,contact_id,contact_title,role_id,channel,value_propositions,issues,questions,notes\n"
                       "E2,D3,2025-03-12,C2,Senior Maintenance Manager,,call,vp_spares,spares,,\n"
                       "E12,D1,2025-02-10,C12,Production Manager,,meeting,,,,\n"
                       " E5 ,D3,2025-02-10,C5,PLANT MANAGER,controller,meeting,,,,\n"
                       "E16,D16,2025-03-01,C16,Production Manager,,call,,,,\n"
                       "E17,D1,2025-03-01,C17,Production Manager,,call,,,,,extra\n"
                       "E18,D77,2025-03-01,C18,Production Manager,,call,,,,\n",
}


def write_batch(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def rows(warehouse: Path, relation: str, left_out: tuple[str, ...]) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        columns = [c for (c,) in conn.execute(f"SELECT column_name FROM (DESCRIBE {relation})").fetchall()
                   if c not in left_out]
        listed = ", ".join(f'"{c}"' for c in columns)
        return conn.execute(f"SELECT {listed} FROM {relation} ORDER BY ALL").fetchall()


def recomputed(warehouse: Path) -> dict[str, tuple]:
    return {relation: (full, ids) for relation, full, ids in query(
        warehouse, f"SELECT relation, full_rebuild, ids FROM audit.recomputed WHERE run_id = {LATEST_RUN}")}


@pytest.fixture(scope="module")
def delta_and_full(mini_world: World, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The mini world loaded, then a batch loaded by a delta run; and both loaded at once into a new warehouse."""
    tmp_path = tmp_path_factory.mktemp("delta")
    batch = write_batch(tmp_path / "batch", BATCH)
    nightly = mini_world.copy_warehouse(tmp_path / "nightly").warehouse
    run_ok(mini_world.input_dir, nightly, batch)
    reload = tmp_path / "reload" / "v.duckdb"
    run_ok(mini_world.input_dir, reload, batch)
    return nightly, reload


def test_a_delta_run_leaves_the_warehouse_a_full_reload_builds(delta_and_full: tuple[Path, Path]) -> None:
    nightly, reload = delta_and_full
    for relation, left_out in COMPARED.items():
        assert rows(nightly, relation, left_out) == rows(reload, relation, left_out), relation
    latest = f"SELECT {', '.join(LOAD_COUNTS)} FROM audit.loads WHERE run_id = {LATEST_RUN} ORDER BY ALL"
    assert query(nightly, latest) == query(reload, latest)
    # the batch did reach across tables: these would differ if the delta missed a cascade
    deals = dict(query(nightly, "SELECT deal_id, map_id FROM core.deals"))
    assert "D2" not in deals and "D4" not in deals and deals["D14"] == "mini-controls" and deals["D16"] is None
    engagements = dict(query(nightly, "SELECT engagement_id, deal_id FROM core.engagements"))
    assert engagements["E15"] == "D14" and engagements["E2"] == "D3" and "E3" not in engagements
    assert query(nightly, "SELECT rule FROM audit.quarantine WHERE record_id = 'E4'") == [("unknown_deal",)]


def test_the_delta_run_recomputed_only_what_the_batch_reaches(delta_and_full: tuple[Path, Path]) -> None:
    nightly, reload = delta_and_full
    assert recomputed(reload)["core.deals"] == (True, 6)  # every deal the reload loaded
    # reps: the four of the batch. deals: the four with an id in the batch; D2, D4 and D12 (one of its rows),
    # whose rep r2 went; D14, whose rep r3 came. engagements: the five of the batch with an id (E17 could not
    # be read); E3, E4, E6 and E15, whose deals went or came. coverage: the deals recomputed, and D1 (E2 left it)
    assert recomputed(nightly) == {
        "core.reps": (False, 4), "core.deals": (False, 8), "core.engagements": (False, 9),
        "analytics.deal_coverage": (False, 9)}


def test_unchanged_input_recomputes_nothing(mini_world: World, tmp_path: Path) -> None:
    world = mini_world.copy_warehouse(tmp_path)
    warehouse = world.warehouse
    before = {relation: rows(warehouse, relation, ("run_id",)) for relation in COMPARED}
    run_ok(world.input_dir, warehouse)
    assert recomputed(warehouse) == {"core.reps": (False, 0), "core.deals": (False, 0), "core.engagements": (False, 0),
                                     "analytics.deal_coverage": (False, 0)}
    for relation in COMPARED:
        assert rows(warehouse, relation, ("run_id",)) == before[relation], relation


def test_a_changed_map_or_full_rebuilds_everything(mini_input: Path, tmp_path: Path) -> None:
    warehouse = tmp_path / "v.duckdb"
    run_ok(mini_input, warehouse)
    run_ok(mini_input, warehouse, full=True)
    assert recomputed(warehouse)["core.engagements"] == (True, 7)  # every engagement loaded
    assert query(warehouse, f"SELECT DISTINCT reason FROM audit.recomputed WHERE run_id = {LATEST_RUN}") == [
        ("asked for (--full)",)]
    controls = mini_input / "maps" / "controls.yaml"
    controls.write_text(controls.read_text().replace('"plant manager", ', ""))
    run_ok(mini_input, warehouse)
    assert query(warehouse, f"SELECT DISTINCT full_rebuild, reason FROM audit.recomputed WHERE run_id = {LATEST_RUN}") \
        == [(True, "a value map changed")]
    assert query(warehouse, "SELECT role_source FROM core.engagements WHERE engagement_id = 'E5'") == [("title:manager",)]


def test_nightly_scores_with_the_stored_models_until_enough_deals_closed(seeds: World, tmp_path: Path,
                                                                         monkeypatch) -> None:
    """The seeds fitted once; a nightly export closing 350 open deals (10% more closed deals than the models
    saw) is loaded without a refit, and then the nightly schedule hands the night to the refit."""
    from dagster import DagsterInstance, build_schedule_context

    from pipelines.schedules import nightly_refresh, refit_when_due

    world = seeds.copy_warehouse(tmp_path / "nightly")
    warehouse = world.warehouse
    models = "SELECT segment, fitted_at, closed_deals FROM models.segment_models ORDER BY segment"
    fitted, drivers = query(warehouse, models), rows(warehouse, "analytics.driver_effects", ())
    tags = rows(warehouse, "core.engagement_tags", ())
    trained_on = dict((s, n) for s, _, n in fitted)["*"]
    kept = rows(warehouse, "analytics.open_deal_scores", ())
    with duckdb.connect() as conn:  # 350 open deals close; 3 others move to another rep, so they are scored again
        conn.execute(f"""COPY (SELECT * EXCLUDE (n) REPLACE (
                                  CASE WHEN n <= 350 THEN CAST(created_at::DATE + 30 AS VARCHAR) END AS closed_at,
                                  CASE WHEN n <= 350 THEN 'won' ELSE outcome END AS outcome,
                                  CASE WHEN n <= 350 THEN rep_id WHEN rep_id = 'r01' THEN 'r02' ELSE 'r01' END AS rep_id)
                              FROM (SELECT *, row_number() OVER (ORDER BY deal_id) AS n
                                    FROM read_csv('{world.input_dir / "deals.csv"}', all_varchar = true)
                                    WHERE outcome = 'open')
                              WHERE n <= 353)
                         TO '{write_batch(tmp_path / "batch", {}) / "deals.csv"}' (HEADER)""")
    outcome = run_ok(world.input_dir, warehouse, tmp_path / "batch", nightly=True)
    assert query(warehouse, models) == fitted and rows(warehouse, "analytics.driver_effects", ()) == drivers
    assert recomputed(warehouse)["core.deals"] == (False, 353)
    assert rows(warehouse, "core.engagement_tags", ()) == tags  # no engagement changed: the tags stand
    scored = {d for (d,) in query(warehouse, "SELECT deal_id FROM analytics.open_deal_scores")}
    still_open = {d for (d,) in query(warehouse, "SELECT deal_id FROM core.deals WHERE outcome = 'open'")}
    assert scored == still_open and len(still_open) == 596 - 350
    # the closed deals' rows are gone and the moved deals' rows changed; every row is what scoring every open
    # deal now gives
    assert len(set(kept) - set(rows(warehouse, "analytics.open_deal_scores", ()))) == 350 + 3
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        maps = MapTables.read(conn)
        everything = score_open_deals(modelling_deals(conn, ("open",)), load_models(conn), maps.items, maps.roles)
        table = conn.sql("SELECT * FROM analytics.open_deal_scores").pl()
    assert_frame_equal(table.sort("deal_id"), everything.sort("deal_id"), check_exact=False, rel_tol=1e-12)
    [line] = [s for s in outcome.summary if s.startswith("models:")]
    assert f"on {trained_on:,} closed deals; 350 more deals closed since" in line and "a refit is due now" in line
    monkeypatch.setenv("VALUEDATA_WAREHOUSE", str(warehouse))
    with DagsterInstance.ephemeral() as instance:
        context = build_schedule_context(instance=instance)
        assert nightly_refresh.evaluate_tick(context).run_requests == []
        [request] = refit_when_due.evaluate_tick(context).run_requests
    assert refit_when_due.job_name == "weekly_refit" and request.tags["valuedata/reason"] == "refit-due"


def test_a_map_learnt_again_at_night_recomputes_the_coverage_of_every_deal_it_retags(tmp_path: Path) -> None:
    """A batch that grows a map's labelled notes by a fifth makes the nightly run learn that map again and
    retag all its engagements, most of them on deals the batch never names: their coverage follows, as in a
    full reload of the same files."""
    world = tmp_path / "world"
    generate(world, deals=250, seed=51, notes_share=0.7)
    nightly = tmp_path / "nightly" / "v.duckdb"
    run_ok(world, nightly)
    [(map_id, labelled)] = query(nightly, "SELECT map_id, labelled_engagements FROM models.notes_taggers "
                                          "ORDER BY map_id LIMIT 1")
    batch = tmp_path / "batch"
    batch.mkdir()
    with duckdb.connect(str(nightly), read_only=True) as conn:  # copies of labelled notes, under new ids
        conn.execute(f"""COPY (SELECT e.* REPLACE ('MORE-' || e.engagement_id AS engagement_id)
            FROM read_csv('{world / "engagements.csv"}', all_varchar = true) e JOIN core.deals d USING (deal_id)
            WHERE d.map_id = ? AND trim(coalesce(e.notes, '')) <> ''
              AND coalesce(e.value_propositions, e.issues, e.questions) IS NOT NULL
            ORDER BY e.engagement_id LIMIT {labelled // 5}) TO '{batch / "engagements.csv"}' (HEADER)""", [map_id])
    run_ok(world, nightly, batch, nightly=True)
    reload = tmp_path / "reload" / "v.duckdb"
    run_ok(world, reload, batch)
    learnt = "SELECT map_id, labelled_engagements FROM models.notes_taggers ORDER BY map_id"
    assert query(nightly, learnt)[0] == (map_id, labelled + labelled // 5)  # learnt again on the batch's notes too
    for relation in ("core.engagement_tags", "analytics.deal_coverage", "models.notes_taggers"):
        left_out = ("learnt_at", "tagger") if relation == "models.notes_taggers" else ()
        assert rows(nightly, relation, left_out) == rows(reload, relation, left_out), relation
    [(batch_deals,)] = query(nightly, "SELECT count(DISTINCT deal_id) FROM core.engagements "
                                      "WHERE engagement_id LIKE 'MORE-%'")
    assert recomputed(nightly)["analytics.deal_coverage"][1] > batch_deals


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SHAPES))
def test_a_nightly_batch_on_every_crm_shape_leaves_what_a_full_rebuild_builds(worlds: Worlds, name: str,
                                                                               tmp_path: Path) -> None:
    """On each real-CRM shape of tests/shapes.py (deal-only exports, one-of categories, no dates, tiny reps, ...):
    a nightly batch where a twentieth of the open deals close and three deals change rep leaves what a full
    rebuild of the same files builds on the same stored models, the open deals' scores included. The fast test
    of the same behaviour: test_a_delta_run_leaves_the_warehouse_a_full_reload_builds."""
    base = shared_run(worlds, name)
    assert base.failure is None, base.failure
    deals = pl.read_csv(base.input_dir / "deals.csv", infer_schema=False)
    still_open = deals.filter(pl.col("outcome").str.to_lowercase() == "open")
    closing = still_open.head(max(1, still_open.height // 20)).with_columns(outcome=pl.lit("won"),
                                                                           closed_at=pl.col("created_at"))
    moving = deals.slice(3, 3).with_columns(rep_id=pl.lit(deals["rep_id"].min()))
    batch = tmp_path / "batch"
    batch.mkdir()
    pl.concat([closing, moving]).unique("deal_id", keep="first").write_csv(batch / "deals.csv")
    nightly, full = tmp_path / "nightly" / "v.duckdb", tmp_path / "full" / "v.duckdb"
    for warehouse in (nightly, full):
        warehouse.parent.mkdir()
        warehouse.write_bytes(base.warehouse.read_bytes())
    run_ok(base.input_dir, nightly, batch, nightly=True)
    run_ok(base.input_dir, full, batch, full=True, nightly=True)
    assert recomputed(nightly)["core.deals"] == (False, closing.height + 3)
    for relation, left_out in (COMPARED | {"analytics.open_deal_scores": ()}).items():
        assert rows(nightly, relation, left_out) == rows(full, relation, left_out), relation
