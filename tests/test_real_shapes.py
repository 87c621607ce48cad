"""Every real CRM shape runs through the real pipeline, and the warehouse tells the truth about it.

Each shape of tests/shapes.py is written to disk and run once per session; the tests read the
published warehouse. The truths are planted, so the assertions name what a correct analysis must
find: statuses from the documented vocabulary, attribute effects against a named reference, leaky
columns left out, honest cross-validation folds, calibration in the large, no coaching on one deal
and no drivers in coin flips.
"""

from __future__ import annotations

import pytest
from conftest import query
from shapes import SHAPES, ShapeRun, shared_run

STATUSES = {"estimated", "reference", "not_enough_data", "separation", "collinear"}
WELL_POPULATED = 100
CALIBRATION_POINTS = 0.02


@pytest.fixture(scope="session")
def runs(worlds):
    """The run of a named shape, made once per test session."""
    return lambda name: shared_run(worlds, name)


def published(runs, name: str) -> ShapeRun:
    """A shape's run, which must have succeeded before anything is read from its warehouse."""
    run = runs(name)
    assert run.failure is None, f"{name}: the pipeline run failed: {run.failure}"
    return run


@pytest.mark.parametrize("name", SHAPES)
def test_run_succeeds_and_scores_every_open_deal(runs, name):
    run = published(runs, name)
    open_deals = run.shape.deals.filter(run.shape.deals["outcome"] == "open").height
    scored = query(run.warehouse, "SELECT count(*), count(win_probability) FROM analytics.open_deal_scores")
    assert scored == [(open_deals, open_deals)]


@pytest.mark.parametrize("name", SHAPES)
def test_statuses_come_from_the_documented_vocabulary(runs, name):
    run = published(runs, name)
    statuses = {s for (s,) in query(run.warehouse, "SELECT DISTINCT status FROM analytics.driver_effects")}
    assert statuses <= STATUSES, f"undocumented statuses: {statuses - STATUSES}"


@pytest.mark.parametrize("name", SHAPES)
def test_no_well_populated_item_is_called_separation(runs, name):
    run = published(runs, name)
    separated = query(run.warehouse, f"""
        SELECT segment, kind, item_id, deals_with, deals_without FROM analytics.driver_effects
        WHERE status = 'separation' AND deals_with >= {WELL_POPULATED} AND deals_without >= {WELL_POPULATED}""")
    assert separated == []


@pytest.mark.parametrize("name", SHAPES)
def test_expected_win_rates_match_the_wins_in_the_large(runs, name):
    run = published(runs, name)
    [(deals, expected, actual)] = query(run.warehouse, """
        SELECT sum(modelled_deals), sum(expected_win_rate * modelled_deals), sum(modelled_win_rate * modelled_deals)
        FROM analytics.rep_scorecard WHERE modelled_deals > 0""")
    assert deals > 0
    assert abs(expected - actual) / deals <= CALIBRATION_POINTS, (expected / deals, actual / deals)


def attribute_rows(run: ShapeRun, segment: str = "*") -> dict[str, tuple]:
    """item_id -> (status, odds_ratio, or_ci_low, or_ci_high, note) of a segment's attribute rows."""
    rows = query(run.warehouse, f"""
        SELECT item_id, status, odds_ratio, or_ci_low, or_ci_high, note FROM analytics.driver_effects
        WHERE kind = 'attribute' AND segment = '{segment}'""")
    return {item: rest for item, *rest in rows}


def test_deals_only_reports_attribute_effects_against_a_named_reference(runs):
    rows = attribute_rows(published(runs, "deals_only"))
    levels = {f"lead_source={level}" for level in ("outbound", "partner", "event")}
    assert levels <= rows.keys(), rows.keys()
    reference = rows.get("lead_source=inbound")
    assert reference is None or reference[0] == "reference", "the most frequent level is the reference"
    for level in levels:
        assert "inbound" in rows[level][4], rows[level]
    # planted: outbound -0.5 and partner +0.6 log-odds against inbound; -0.3 per competitor
    assert rows["lead_source=outbound"][3] < 1 < rows["lead_source=partner"][2]
    assert rows["competitors"][0] == "estimated" and rows["competitors"][3] < 1


def test_deals_only_items_have_no_estimates(runs):
    run = published(runs, "deals_only")
    rows = query(run.warehouse, "SELECT DISTINCT status FROM analytics.driver_effects WHERE kind <> 'attribute'")
    assert rows == [("not_enough_data",)]


def test_one_of_items_are_estimated_against_one_stated_reference(runs):
    run = published(runs, "one_of")
    lines = tuple(run.shape.truth["one_of"])
    rows = query(run.warehouse, f"""
        SELECT segment, coalesce(list(item_id ORDER BY item_id) FILTER (WHERE status = 'reference'), []),
               coalesce(list(item_id ORDER BY item_id) FILTER (WHERE status = 'estimated'), []),
               coalesce(list(note) FILTER (WHERE status = 'reference'), [])
        FROM analytics.driver_effects WHERE item_id IN {lines} GROUP BY segment ORDER BY segment""")
    assert [r[0] for r in rows] == ["*", "manufacturing"]
    for _, reference, estimated, notes in rows:
        assert len(reference) == 1 and sorted(reference + estimated) == sorted(lines), (reference, estimated)
        assert notes[0], "the reference row's note says what the others are compared with"


def test_one_of_estimates_follow_the_truth_against_the_reference(runs):
    run = published(runs, "one_of")
    truth = {item.item_id: item.effect for item in run.shape.truth["items"] if item.item_id in run.shape.truth["one_of"]}
    rows = query(run.warehouse, f"""
        SELECT item_id, status, or_ci_low, or_ci_high FROM analytics.driver_effects
        WHERE segment = '*' AND item_id IN {tuple(truth)}""")
    [reference] = [item for item, status, *_ in rows if status == "reference"]
    for item, status, low, high in rows:
        difference = truth[item] - truth[reference]
        if status == "estimated" and abs(difference) >= 0.5:
            assert (low > 1) if difference > 0 else (high < 1), (item, reference, difference, low, high)


def test_one_of_items_do_not_crowd_out_the_other_items(runs):
    run = published(runs, "one_of")
    rows = query(run.warehouse, """
        SELECT DISTINCT status FROM analytics.driver_effects
        WHERE item_id IN ('buyer', 'engineer', 'q_budget', 'q_specs', 'vp_uptime')""")
    assert rows == [("estimated",)]


def test_attribute_levels_name_their_reference(runs):
    rows = attribute_rows(published(runs, "attributes"))
    expected = {  # most frequent level = reference
        "lead_source": ("inbound", ("outbound", "partner", "event")),
        "upsell": ("no", ("yes",)),
        "client_type": ("midmarket", ("enterprise", "smb")),
    }
    for column, (reference, levels) in expected.items():
        for level in levels:
            status, odds_ratio, *_, note = rows[f"{column}={level}"]
            assert status == "estimated" and odds_ratio > 0 and reference in note, (column, level, note)
    assert rows["competitors"][0] == "estimated" and rows["competitors"][3] < 1, "competitors are planted to hurt"
    assert rows["lead_source=partner"][2] > 1, "partner leads are planted to help"


def test_constant_dates_are_not_cross_validated_as_time_ordered(runs):
    run = published(runs, "constant_date")
    schemes = {s for (s,) in query(run.warehouse, "SELECT DISTINCT cv_scheme FROM analytics.model_quality")}
    assert schemes and all("stratified random" in s and "time" not in s for s in schemes), schemes


def test_constant_dates_still_give_a_model_that_finds_the_planted_items(runs):
    run = published(runs, "constant_date")
    [(auc,)] = query(run.warehouse, "SELECT auc_cv FROM analytics.model_quality WHERE segment = '*'")
    assert auc > 0.55
    rows = query(run.warehouse, """
        SELECT item_id, or_ci_low > 1 FROM analytics.driver_effects
        WHERE segment = '*' AND item_id IN ('champion', 'vp_speed') ORDER BY item_id""")
    assert rows == [("champion", True), ("vp_speed", True)]


def test_dated_deals_are_cross_validated_in_time_order(runs):
    run = published(runs, "one_of")
    schemes = {s for (s,) in query(run.warehouse, "SELECT DISTINCT cv_scheme FROM analytics.model_quality")}
    assert schemes and all(s.startswith("time-ordered") for s in schemes), schemes


def test_leaky_columns_stay_out_of_the_model_and_are_named(runs):
    run = published(runs, "leaky")
    leaks = run.shape.truth["leaks"]
    estimated = query(run.warehouse, """
        SELECT item_id FROM analytics.driver_effects
        WHERE kind = 'attribute' AND odds_ratio IS NOT NULL
          AND (item_id LIKE 'amount%' OR item_id LIKE 'stage_reached%')""")
    assert estimated == []
    notes = query(run.warehouse, "SELECT segment, note FROM analytics.model_quality")
    for segment, note in notes:
        assert note and all(leak in note for leak in leaks), (segment, note)


def test_leaky_columns_do_not_hide_the_behaviour(runs):
    run = published(runs, "leaky")
    [(status, low)] = query(run.warehouse, """
        SELECT status, or_ci_low FROM analytics.driver_effects
        WHERE segment = '*' AND kind = 'role' AND item_id = 'engineer'""")
    assert status == "estimated" and low > 1, "engineer is planted at +0.6 log-odds"


def test_a_rep_with_one_deal_is_never_coached(runs):
    run = published(runs, "small_reps")
    assert query(run.warehouse, "SELECT rep_id, closed_deals FROM analytics.rep_scorecard "
                                "WHERE rep_id IN ('r_one', 'r_three') ORDER BY rep_id") == [("r_one", 1), ("r_three", 3)]
    coached = query(run.warehouse, "SELECT count(*) FROM analytics.rep_gaps WHERE rep_id = 'r_one' AND coach")
    assert coached == [(0,)]


def test_segments_without_a_map_use_the_star_map(runs):
    run = published(runs, "star_map")
    maps = query(run.warehouse, "SELECT segment, min(map_id), max(map_id) FROM analytics.deal_coverage GROUP BY 1 ORDER BY 1")
    assert maps == [("energy", "generic", "generic"), ("manufacturing", "manufacturing-map", "manufacturing-map"),
                    ("retail", "generic", "generic")]
    rows = query(run.warehouse, """
        SELECT segment, status, or_ci_low > 1 FROM analytics.driver_effects
        WHERE kind = 'role' AND item_id = 'decision_maker' ORDER BY segment""")
    assert rows == [("*", "estimated", True), ("energy", "estimated", True), ("retail", "estimated", True)]


def test_ten_maps_fit_ten_segments(runs):
    run = published(runs, "ten_maps")
    segments = [s for (s,) in query(run.warehouse, "SELECT segment FROM analytics.model_quality ORDER BY segment")]
    assert segments == ["*", *(f"seg{k}" for k in range(10))]
    [(status, low)] = query(run.warehouse, """
        SELECT status, or_ci_low FROM analytics.driver_effects WHERE segment = '*' AND item_id = 'sponsor'""")
    assert status == "estimated" and low > 1, "the shared sponsor role is planted at +0.6 in every map"


def test_coin_flips_find_no_drivers_and_recommend_nothing(runs):
    run = published(runs, "coin_flips")
    significant = query(run.warehouse, "SELECT DISTINCT kind, item_id FROM analytics.driver_effects WHERE significant")
    assert len(significant) <= 1, significant
    actions = query(run.warehouse, """
        SELECT count(*), count(next_best_action), count(*) FILTER (WHERE coalesce(note, '') = '')
        FROM analytics.open_deal_scores""")
    assert actions[0][0] > 0 and actions[0][1:] == (0, 0), actions
