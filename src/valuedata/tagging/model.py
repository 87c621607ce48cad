"""The supervised tagger: one logistic model per item, learnt from the notes of field-tagged engagements
(their fields are the labels), with a threshold chosen by cross-validation for precision >= 0.95."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_predict

TARGET_PRECISION = 0.95
MIN_POSITIVES = 10  # labelled engagements listing the item, to learn it
MIN_HITS = 5  # true positives above the threshold, so a precision is not one lucky guess
FOLDS = 3
MAX_TRAINING = 5_000  # labelled notes per map to learn from; more adds time, hardly accuracy
MIN_FEATURE_NOTES = 2  # a feature must occur in this many labelled notes to be learnt
MIN_THRESHOLD = 0.5  # never tag below an even chance, however well cross-validation separates the items:
# a lower cut would tag notes written in wording the model never saw on a stray shared word
THREADS = 2  # items learnt (and chunks of notes read) at once: liblinear, polars and scipy release the interpreter lock


@dataclass(frozen=True)
class Threshold:
    """Where an item's notes tags start, and what cross-validation says they are worth there."""

    threshold: float | None
    precision: float | None
    recall: float | None
    note: str


def vocabulary(features: pl.DataFrame) -> pl.DataFrame:
    """The features seen in at least MIN_FEATURE_NOTES notes, numbered."""
    counts = features.unique(["row", "feature"]).group_by("feature").len()
    return (counts.filter(pl.col("len") >= MIN_FEATURE_NOTES).sort("feature")
            .select("feature", column=pl.int_range(pl.len(), dtype=pl.UInt32)))


def design(features: pl.DataFrame, vocab: pl.DataFrame, rows: int) -> sp.csr_matrix:
    """A binary (rows, vocabulary) matrix from (row, feature) pairs; unknown features are dropped."""
    known = features.select("row", column=pl.col("feature").replace_strict(vocab["feature"], vocab["column"],
                                                                            default=None)).drop_nulls()
    data = np.ones(known.height, dtype=np.float32)
    x = sp.csr_matrix((data, (known["row"].to_numpy(), known["column"].to_numpy())), shape=(rows, vocab.height))
    x.data[:] = 1.0  # a feature repeated in a note counts once
    return x


def learn(x: sp.csr_matrix, labels: np.ndarray, groups: np.ndarray) -> tuple[list[Threshold], np.ndarray, np.ndarray]:
    """Per item (a column of ``labels``): the weights fitted on every labelled note, and the threshold for
    precision >= TARGET_PRECISION on probabilities cross-validated by deal. Items are learnt THREADS at a time."""
    folds = list(GroupKFold(n_splits=min(FOLDS, len(np.unique(groups)))).split(x, groups=groups))
    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        fitted = list(pool.map(lambda j: _learn_item(x, labels[:, j], folds), range(labels.shape[1])))
    coef = np.zeros((x.shape[1], labels.shape[1]), dtype=np.float32)
    intercept = np.full(labels.shape[1], -50.0, dtype=np.float32)
    for j, (_, weights, bias) in enumerate(fitted):
        if weights is not None:
            coef[:, j], intercept[j] = weights, bias
    return [t for t, _, _ in fitted], coef, intercept


def _learn_item(x: sp.csr_matrix, y: np.ndarray, folds: list) -> tuple[Threshold, np.ndarray | None, float]:
    """One item's threshold, and its weights when used. An item that cannot reach the target even on the
    notes it learnt from is not cross-validated."""
    positives = int(y.sum())
    if positives < MIN_POSITIVES:
        return Threshold(None, None, None, f"only {positives} labelled engagements list it; "
                                           f"{MIN_POSITIVES} are needed to learn it"), None, 0.0
    model = LogisticRegression(solver="liblinear", C=4.0, class_weight="balanced").fit(x, y)
    if choose_threshold(y, model.predict_proba(x)[:, 1]).threshold is None:
        return Threshold(None, None, None, f"precision never reaches {TARGET_PRECISION:.2f}, even on the notes "
                                           "it learnt from: its notes tags are not used"), None, 0.0
    p = cross_val_predict(LogisticRegression(solver="liblinear", C=4.0, class_weight="balanced"), x, y,
                          cv=folds, method="predict_proba")[:, 1]
    chosen = choose_threshold(y, p)
    if chosen.threshold is None:
        return chosen, None, 0.0
    return chosen, model.coef_[0], float(model.intercept_[0])


def choose_threshold(y: np.ndarray, p: np.ndarray) -> Threshold:
    """The lowest probability (at least MIN_THRESHOLD) at which the notes scoring at least that reach
    TARGET_PRECISION."""
    order = np.argsort(-p, kind="stable")
    ys, ps = y[order], p[order]
    hits = np.cumsum(ys)
    precision = hits / np.arange(1, len(ys) + 1)
    cut = np.r_[ps[1:] != ps[:-1], True]  # only between distinct scores
    ok = cut & (precision >= TARGET_PRECISION) & (hits >= MIN_HITS) & (ps >= MIN_THRESHOLD)
    if not ok.any():
        best = float(precision[cut & (hits >= MIN_HITS) & (ps >= MIN_THRESHOLD)].max(initial=0.0))
        return Threshold(None, None, None, f"cross-validated precision never reaches {TARGET_PRECISION:.2f} "
                                           f"(best {best:.2f}): notes tags of this item are not used")
    i = int(np.nonzero(ok)[0].max())
    return Threshold(float(ps[i]), float(precision[i]), float(hits[i] / ys.sum()), "learnt from field tags")
