"""The warehouse's models against independent references, rebuilt from the fixture files alone.

statsmodels: the adjusted odds ratios of `analytics.driver_effects` equal exp(coef) of a
`statsmodels.api.Logit` fit on the same design (intercept, log1p amount, a linear creation-date
trend, the estimated items, attribute dummies against the stated reference, standardised numeric
attributes). scikit-learn: the scoring model's cross-validated AUC comes within 0.01 of a default
`HistGradientBoostingClassifier` on the same features and the folds `cv_scheme` describes.
"""

from __future__ import annotations

import re

import numpy as np
import polars as pl
import pytest
import statsmodels.api as sm
from conftest import query
from shapes import Shape, ShapeRun, shared_run
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

pytestmark = [
    # scikit-learn's own joblib use warns about its configuration on every fit; nothing of ours
    pytest.mark.filterwarnings("ignore:`sklearn.utils.parallel.delayed` should be used:UserWarning"),
]

RELATIVE_TOLERANCE = 1e-4
AUC_MARGIN = 0.01


@pytest.fixture(scope="session")
def one_of(worlds) -> ShapeRun:
    return succeeded(shared_run(worlds, "one_of"))


@pytest.fixture(scope="session")
def attributes(worlds) -> ShapeRun:
    return succeeded(shared_run(worlds, "attributes"))


def succeeded(run: ShapeRun) -> ShapeRun:
    assert run.failure is None, f"{run.shape.name}: the pipeline run failed: {run.failure}"
    return run


def closed_deals(shape: Shape) -> pl.DataFrame:
    """The fixture's closed deals in close-date order (ties by deal id), as the folds see them."""
    return shape.deals.filter(pl.col("outcome") != "open").sort("closed_at", "deal_id")


def has_item(shape: Shape, deals: pl.DataFrame, kind: str, item_id: str) -> np.ndarray:
    """Whether each deal has the item, read from engagements.csv as written (titles or tag fields)."""
    engagements = shape.engagements
    if kind == "role":
        titles = {r["title"] for m in shape.maps for r in m["roles"] if r["role_id"] == item_id}
        hits = engagements.filter(pl.col("contact_title").is_in(list(titles)))
    else:
        hits = engagements.filter(pl.col(f"{kind}s").str.split(";").list.contains(item_id))
    return deals["deal_id"].is_in(hits["deal_id"].implode()).to_numpy()


def standardised(values: np.ndarray) -> np.ndarray:
    return (values - values.mean()) / values.std(ddof=1)


def rebuild_design(run: ShapeRun, segment: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """(design, column names, outcome) of the segment's model, from the fixture and the estimated rows."""
    deals = closed_deals(run.shape)
    estimated = query(run.warehouse, f"""
        SELECT kind, item_id FROM analytics.driver_effects
        WHERE segment = '{segment}' AND status = 'estimated' ORDER BY kind, item_id""")
    days = deals["created_at"].cast(pl.Int64).to_numpy().astype(float)
    columns = {
        "intercept": np.ones(deals.height),
        "amount": standardised(np.log1p(deals["amount"].to_numpy())),  # its row is per SD of log1p(amount)
        "created": standardised(days),
    }
    for kind, item_id in estimated:
        if (kind, item_id) == ("attribute", "amount"):
            continue
        if kind != "attribute":
            columns[f"{kind}:{item_id}"] = has_item(run.shape, deals, kind, item_id).astype(float)
        elif "=" in item_id:
            column, level = item_id.split("=", 1)
            columns[item_id] = (deals[column].cast(pl.Utf8) == level).to_numpy().astype(float)
        else:
            columns[item_id] = standardised(deals[item_id].cast(pl.Float64).to_numpy())
    outcome = (deals["outcome"] == "won").to_numpy().astype(float)
    return np.column_stack(list(columns.values())), list(columns), outcome


def warehouse_odds_ratios(run: ShapeRun, segment: str) -> dict[str, float]:
    rows = query(run.warehouse, f"""
        SELECT kind, item_id, odds_ratio FROM analytics.driver_effects
        WHERE segment = '{segment}' AND status = 'estimated'""")
    return {(item if kind == "attribute" else f"{kind}:{item}"): odds for kind, item, odds in rows}


def assert_matches_statsmodels(run: ShapeRun, segment: str) -> dict[str, float]:
    design, names, outcome = rebuild_design(run, segment)
    reference = sm.Logit(outcome, design).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
    expected = dict(zip(names, np.exp(reference.params)))
    found = warehouse_odds_ratios(run, segment)
    for name, odds in found.items():
        assert odds == pytest.approx(expected[name], rel=RELATIVE_TOLERANCE), name
    return found


@pytest.mark.parametrize("segment", ["*", "manufacturing"])
def test_one_of_odds_ratios_match_statsmodels(one_of, segment):
    found = assert_matches_statsmodels(one_of, segment)
    lines = {f"value_proposition:{line}" for line in one_of.shape.truth["one_of"]}
    assert len(lines & found.keys()) == len(lines) - 1, "every product line but the reference is estimated"


def test_attribute_odds_ratios_match_statsmodels(attributes):
    found = assert_matches_statsmodels(attributes, "*")
    for column in attributes.shape.truth["attributes"]:
        assert any(name == column or name.startswith(f"{column}=") for name in found), column


def folds(scheme: str, outcome: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) row indices of the folds a `cv_scheme` text describes (rows in close-date order)."""
    n = outcome.size
    count = int(re.search(r"(\d+)[ -]folds?", scheme).group(1))
    if scheme.startswith("time-ordered"):
        share = int(re.search(r"earliest (\d+)%", scheme).group(1)) / 100
        edges = np.unique(np.linspace(int(np.ceil(n * share)), n, count + 1).round().astype(int))
        return [(np.arange(a), np.arange(a, b)) for a, b in zip(edges[:-1], edges[1:])]
    assert "stratified random" in scheme, scheme
    return list(StratifiedKFold(count, shuffle=True, random_state=0).split(np.zeros(n), outcome))


def gradient_boosting_auc(design: np.ndarray, outcome: np.ndarray, scheme: str) -> float:
    """Mean fold AUC of a default HistGradientBoostingClassifier."""
    aucs = []
    for train, test in folds(scheme, outcome):
        model = HistGradientBoostingClassifier(random_state=0).fit(design[train], outcome[train])
        aucs.append(roc_auc_score(outcome[test], model.predict_proba(design[test])[:, 1]))
    return float(np.mean(aucs))


def test_scoring_model_reaches_gradient_boosting_on_a_non_linear_truth(attributes):
    [(scheme, auc, explanatory, scoring)] = query(attributes.warehouse, """
        SELECT cv_scheme, auc_cv, auc_cv_explanatory, scoring_model FROM analytics.model_quality WHERE segment = '*'""")
    design, _, outcome = rebuild_design(attributes, "*")
    reference = gradient_boosting_auc(design[:, 1:], outcome, scheme)
    assert scoring == "gradient_boosting"
    assert auc >= reference - AUC_MARGIN, (auc, reference)
    assert auc > explanatory, "on an interaction and a threshold the boosted model is the better scorer"


def test_explanatory_auc_is_reported_on_a_linear_truth(one_of):
    [(auc, explanatory, scoring)] = query(one_of.warehouse, """
        SELECT auc_cv, auc_cv_explanatory, scoring_model FROM analytics.model_quality WHERE segment = '*'""")
    assert 0.6 < explanatory <= auc + 1e-9, (explanatory, auc)
    assert scoring, "model_quality says which model scores"
