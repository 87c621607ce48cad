"""Statistics for win-driver analysis.

Intervals for proportions and their differences, Benjamini-Hochberg q-values and AUC come from
statsmodels, scipy and scikit-learn (thin wrappers for empty cells and NaNs). The logistic regression
(Newton-Raphson / IRLS on row chunks) is our own because statsmodels' Logit stops at the first
separated or collinear column and needs the whole design in memory; this one names such columns
and leaves them out, and matches statsmodels on well-posed input (tests/test_stats.py)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from scipy import linalg, special, stats
from sklearn.metrics import roc_auc_score
from statsmodels.stats.proportion import confint_proportions_2indep, proportion_confint
from threadpoolctl import ThreadpoolController

Z_95 = float(stats.norm.isf(0.025))
CHUNK_ROWS = 16_384
WORKERS = max(1, min(4, os.cpu_count() or 1))
PILOT_ROWS = 100_000
ALIAS_TOLERANCE = 1e-9
SEPARATION_SCALED_SE = 10.0
SEPARATION_SCALED_COEF = 10.0
CHORD_STEP = 0.05
SEPARATION_REASON = "separation: the estimate runs off to infinity (standard error exploded)"
NEAR_COLLINEAR_REASON = "almost a combination of other columns (standard error exploded)"


def wilson_interval(
    successes: np.ndarray, trials: np.ndarray, alpha: float = 0.05
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for successes/trials (statsmodels); NaN where trials == 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = proportion_confint(np.asarray(successes, dtype=float), np.asarray(trials, dtype=float),
                                       alpha=alpha, method="wilson")
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def newcombe_interval(
    successes1: np.ndarray,
    trials1: np.ndarray,
    successes2: np.ndarray,
    trials2: np.ndarray,
    alpha: float = 0.05,
) -> tuple[np.ndarray, np.ndarray]:
    """Newcombe hybrid-score interval for p1 - p2 (his method 10, statsmodels); NaN where a side is empty."""
    counts = (np.asarray(a, dtype=float) for a in (successes1, trials1, successes2, trials2))
    with np.errstate(divide="ignore", invalid="ignore"):
        low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff", alpha=alpha)
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def bh_qvalues(p_values: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg adjusted p-values (scipy); NaN inputs stay NaN and do not count towards m."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(p.shape, np.nan)
    finite = ~np.isnan(p)
    if finite.any():
        q[finite] = stats.false_discovery_control(p[finite], method="bh")
    return q


def auc_score(outcome: np.ndarray, score: np.ndarray) -> float:
    """Area under the ROC curve (scikit-learn; ties count half); NaN with one class only."""
    y = np.asarray(outcome, dtype=bool)
    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, score))


@dataclass(frozen=True)
class LogitFit:
    """A logistic regression fit; arrays follow `names`, NaN for dropped columns.

    `dropped` maps each dropped column name to the reason in words ("constant", "aliased with
    ...", "separation ..."). `columns` are the indices of `names` in the design matrix.
    """

    names: list[str]
    columns: np.ndarray
    coef: np.ndarray
    std_error: np.ndarray
    p_value: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    cov: np.ndarray
    dropped: dict[str, str] = field(default_factory=dict)
    separated: list[str] = field(default_factory=list)
    converged: bool = True
    iterations: int = 0
    log_likelihood: float = float("nan")
    n_obs: int = 0

    @property
    def kept(self) -> np.ndarray:
        """Boolean mask of columns with an estimate."""
        return ~np.isnan(self.coef)

    def linear_predictor(self, design: np.ndarray) -> np.ndarray:
        """x'beta for rows of the full design matrix (dropped columns count as 0), a chunk of rows at a time
        (no copy of the whole selection)."""
        keep = self.kept
        columns, coef = self.columns[keep], self.coef[keep]
        eta = np.empty(design.shape[0])
        for start in range(0, design.shape[0], CHUNK_ROWS):
            eta[start : start + CHUNK_ROWS] = design[start : start + CHUNK_ROWS, columns] @ coef
        return eta


@dataclass
class _Pass:
    """Log-likelihood, score vector and information matrix at one beta.

    `fresh` is False when the information matrix was carried over from an earlier beta.
    """

    log_likelihood: float
    gradient: np.ndarray
    hessian: np.ndarray
    fresh: bool = True

    def subset(self, keep: np.ndarray) -> _Pass:
        return _Pass(self.log_likelihood, self.gradient[keep], self.hessian[np.ix_(keep, keep)], self.fresh)


def _row_chunks(n_rows: int) -> list[slice]:
    return [slice(start, min(start + CHUNK_ROWS, n_rows)) for start in range(0, n_rows, CHUNK_ROWS)]


def _selector(columns: np.ndarray, width: int) -> slice | np.ndarray:
    """A view-friendly column selector: slice(None) when every column is used in order."""
    return slice(None) if np.array_equal(columns, np.arange(width)) else columns


def _in_parallel(work, n_rows: int) -> list:
    """Run work(chunks) on WORKERS interleaved shares of the row chunks; results in worker order.

    Each worker calls single-threaded BLAS (see fit_logit), which stays fast when the machine is
    busy, where multi-threaded BLAS on small blocks collapses. Summing in worker order keeps
    results deterministic.
    """
    chunks = _row_chunks(n_rows)
    shares = [chunks[i::WORKERS] for i in range(WORKERS)]
    with ThreadPoolExecutor(WORKERS) as pool:
        return list(pool.map(work, shares))


def _evaluate(
    design: np.ndarray, outcome: np.ndarray, beta: np.ndarray, columns: np.ndarray, reuse: np.ndarray | None = None
) -> _Pass:
    """One pass over the rows: log-likelihood, score and information at beta.

    With `reuse`, that information matrix is carried over instead of recomputed (a cheap pass).
    """
    select = _selector(columns, design.shape[1])
    k = columns.size

    def work(chunks: list[slice]) -> tuple[float, np.ndarray, np.ndarray]:
        loglik, gradient, hessian = 0.0, np.zeros(k), np.zeros((k, k))
        for rows in chunks:
            x, y = np.asarray(design[rows, select], dtype=np.float64), outcome[rows]
            eta = x @ beta
            mu = special.expit(eta)
            loglik += float(y @ eta - np.logaddexp(0.0, eta).sum())
            gradient += x.T @ (y - mu)
            if reuse is None:
                hessian += x.T @ (x * (mu * (1.0 - mu))[:, None])
        return loglik, gradient, hessian

    parts = _in_parallel(work, design.shape[0])
    loglik, gradient, hessian = (sum(part[i] for part in parts) for i in range(3))
    return _Pass(loglik, gradient, hessian) if reuse is None else _Pass(loglik, gradient, reuse, fresh=False)


def _column_summary(design: np.ndarray, columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard deviation and a constant flag for each selected column."""
    select = _selector(columns, design.shape[1])

    def work(chunks: list[slice]) -> np.ndarray:
        total, squares = np.zeros(columns.size), np.zeros(columns.size)
        low, high = np.full(columns.size, np.inf), np.full(columns.size, -np.inf)
        for rows in chunks:
            x = np.asarray(design[rows, select], dtype=np.float64)
            total += x.sum(axis=0)
            squares += np.einsum("ij,ij->j", x, x)
            low, high = np.minimum(low, x.min(axis=0)), np.maximum(high, x.max(axis=0))
        return np.stack([total, squares, low, high])

    parts = _in_parallel(work, design.shape[0])
    total, squares = sum(p[0] for p in parts), sum(p[1] for p in parts)
    low, high = np.min([p[2] for p in parts], axis=0), np.max([p[3] for p in parts], axis=0)
    mean = total / design.shape[0]
    return np.sqrt(np.maximum(squares / design.shape[0] - mean**2, 0.0)), high == low


def _constant_drops(first_row: np.ndarray, constant: np.ndarray) -> dict[int, str]:
    """Every constant column except the first non-zero one (the intercept) is dropped."""
    drops: dict[int, str] = {}
    intercept_seen = False
    for j in np.flatnonzero(constant):
        if first_row[j] == 0 or intercept_seen:
            drops[int(j)] = "constant"
        intercept_seen = intercept_seen or first_row[j] != 0
    return drops


def aliased_columns(gram: np.ndarray) -> dict[int, tuple[list[int], np.ndarray]]:
    """Greedy rank check on a Gram matrix: each column explained by earlier kept columns, with those
    kept columns and the weights that reproduce it."""
    aliased: dict[int, tuple[list[int], np.ndarray]] = {}
    kept: list[int] = []
    for j in range(gram.shape[0]):
        if kept:
            cross = gram[kept, j]
            weights = linalg.solve(gram[np.ix_(kept, kept)], cross, assume_a="pos")
            if gram[j, j] - cross @ weights <= ALIAS_TOLERANCE * gram[j, j]:
                aliased[j] = (list(kept), weights)
                continue
        kept.append(j)
    return aliased


def _alias_drops(gram: np.ndarray, names: list[str]) -> dict[int, str]:
    """Columns explained by earlier kept columns, each with "aliased with <partners>"."""
    return {j: "aliased with " + _partners(gram, kept, j, weights, names)
            for j, (kept, weights) in aliased_columns(gram).items()}


def _partners(gram: np.ndarray, kept: list[int], j: int, weights: np.ndarray, names: list[str]) -> str:
    """The (up to three) kept columns that reproduce column j, largest scaled weight first."""
    scaled = np.abs(weights) * np.sqrt(np.diag(gram)[kept] / gram[j, j])
    order = [i for i in np.argsort(-scaled)[:3] if scaled[i] > 1e-6]
    return ", ".join(names[kept[i]] for i in order)


def _solve_pd(matrix: np.ndarray, rhs: np.ndarray) -> np.ndarray:
    """Solve with Cholesky; fall back to a pseudo-inverse when not positive definite."""
    try:
        return linalg.cho_solve(linalg.cho_factor(matrix), rhs)
    except linalg.LinAlgError:
        return linalg.pinvh(matrix) @ rhs


@dataclass
class _Newton:
    beta: np.ndarray
    state: _Pass
    converged: bool
    iterations: int
    last_step: np.ndarray


def _newton(design, outcome, columns, beta, state: _Pass, max_iter: int, tol: float) -> _Newton:
    """Newton-Raphson with step halving; stops on a tiny step (converged) or a flat likelihood.

    Once steps are small and shrinking, the information matrix is kept (chord steps), so those
    passes skip its O(n k^2) cost; convergence is still judged on the full step.
    """
    taken, previous = np.zeros_like(beta), np.inf
    for iteration in range(1, max_iter + 1):
        step = _solve_pd(state.hessian, state.gradient)
        size = np.max(np.abs(step), initial=0.0)
        if size < tol:
            return _Newton(beta + step, state, True, iteration, step)
        reuse = state.hessian if size < CHORD_STEP and size < previous / 2 else None
        scale, floor = 1.0, state.log_likelihood - 1e-10 * (1 + abs(state.log_likelihood))
        candidate = _evaluate(design, outcome, beta + step, columns, reuse)
        while candidate.log_likelihood < floor and scale > 1e-4:
            scale /= 2
            candidate = _evaluate(design, outcome, beta + scale * step, columns, reuse)
        gain = candidate.log_likelihood - state.log_likelihood
        taken, previous = scale * step, size
        beta, state = beta + taken, candidate
        if abs(gain) < 1e-13 * (1 + abs(state.log_likelihood)):
            return _Newton(beta, state, bool(np.max(np.abs(taken)) < np.sqrt(tol)), iteration, taken)
    return _Newton(beta, state, False, max_iter, taken)


def _polish(design, outcome, columns, result: _Newton) -> _Newton:
    """One full Newton step with a freshly computed information matrix (after chord steps)."""
    state = _evaluate(design, outcome, result.beta, columns)
    step = _solve_pd(state.hessian, state.gradient)
    return _Newton(result.beta + step, state, result.converged, result.iterations + 1, step)


def _start(outcome: np.ndarray, first_row: np.ndarray, intercept: int | None) -> np.ndarray:
    """Intercept-only start at the base rate (the first information matrix is then a scaled Gram matrix)."""
    beta = np.zeros(first_row.size)
    if intercept is not None:
        rate = float(outcome.mean())
        beta[intercept] = np.log(rate / (1 - rate)) / first_row[intercept]
    return beta


def _unstable(result: _Newton, cov: np.ndarray, sd: np.ndarray, constant: np.ndarray) -> tuple[np.ndarray, str]:
    """Columns without a usable estimate, and why.

    A non-constant column is unstable when its per-SD standard error or coefficient exploded. If
    Newton did not converge, that is separation, and the culprits are the columns still running
    off (per-SD last step at least a tenth of the fastest); if it converged, near-collinearity.
    """
    se = np.sqrt(np.maximum(np.diag(cov), 0.0))
    too_wide = (se * sd > SEPARATION_SCALED_SE) | ~np.isfinite(se)
    exploded = ~constant & (too_wide | (np.abs(result.beta) * sd > SEPARATION_SCALED_COEF))
    if result.converged or not exploded.any():
        return exploded, NEAR_COLLINEAR_REASON
    speed = np.where(constant, 0.0, np.abs(result.last_step) * sd)
    running = exploded & (speed >= 0.1 * speed.max())
    return (running if running.any() else exploded), SEPARATION_REASON


@ThreadpoolController().wrap(limits=1, user_api="blas")
def fit_logit(
    design: np.ndarray,
    outcome: np.ndarray,
    names: list[str] | None = None,
    *,
    columns: np.ndarray | None = None,
    start: np.ndarray | None = None,
    exact_covariance: bool = True,
    max_iter: int = 60,
    tol: float = 1e-8,
) -> LogitFit:
    """Maximum-likelihood logistic regression of a 0/1 outcome on design[:, columns].

    Put the intercept in as a constant column (as with statsmodels `Logit`). Extra constant
    columns and columns aliased with earlier ones are dropped; columns whose estimate runs off to
    infinity (quasi-complete separation) are dropped and the model refitted. Dropped columns get
    NaN estimates and a reason in `dropped`. Wald standard errors, p-values and 95% intervals.
    `names` name the columns of `design` (or of the selection). `start` (one value per selected
    column) is a warm start; `exact_covariance=False` skips the final information pass when only
    predictions are needed (the covariance is then from the last Newton step, accurate to ~1e-2).
    """
    y = np.asarray(outcome, dtype=float)
    if y.min() == y.max():
        raise ValueError("the outcome has a single class; a logistic model cannot be fitted")
    columns = np.arange(design.shape[1]) if columns is None else np.asarray(columns, dtype=int)
    names = _column_names(names, design.shape[1], columns)
    first_row = design[0, columns]
    if start is None and y.size > 2 * PILOT_ROWS:
        start = _pilot_start(design, y, columns)
    sd, constant = _column_summary(design, columns)
    dropped = _constant_drops(first_row, constant)
    intercept = next((int(j) for j in np.flatnonzero(constant) if j not in dropped), None)
    separated: list[str] = []
    while True:
        active = np.array([j for j in range(columns.size) if j not in dropped], dtype=int)
        beta = _start(y, first_row[active], _position(active, intercept)) if start is None else start[active]
        state = _evaluate(design, y, beta, columns[active])
        aliased = _alias_drops(state.hessian, [names[j] for j in active])
        keep = np.array([j not in aliased for j in range(active.size)], dtype=bool)
        dropped.update({int(active[j]): reason for j, reason in aliased.items()})
        active = active[keep]
        result = _newton(design, y, columns[active], beta[keep], state.subset(keep), max_iter, tol)
        if exact_covariance and not result.state.fresh:
            result = _polish(design, y, columns[active], result)
        cov = _solve_pd(result.state.hessian, np.eye(active.size))
        flags, reason = _unstable(result, cov, sd[active], constant[active])
        if not flags.any():
            return _assemble(names, columns, active, result, cov, dropped, separated, y.size)
        dropped.update({int(j): reason for j in active[flags]})
        separated += [names[j] for j in active[flags]] if reason == SEPARATION_REASON else []


def _pilot_start(design: np.ndarray, outcome: np.ndarray, columns: np.ndarray) -> np.ndarray | None:
    """Warm start from a fit on every k-th row (~PILOT_ROWS rows); only speeds up Newton on big data."""
    stride = outcome.size // PILOT_ROWS
    rows = slice(None, None, stride)
    if outcome[rows].min() == outcome[rows].max():
        return None
    pilot = fit_logit(np.ascontiguousarray(design[rows]), outcome[rows], columns=columns, exact_covariance=False)
    return np.nan_to_num(pilot.coef)


def _column_names(names: list[str] | None, width: int, columns: np.ndarray) -> list[str]:
    if names is None:
        return [f"x{j}" for j in columns]
    return [names[j] for j in columns] if len(names) == width else list(names)


def _position(active: np.ndarray, column: int | None) -> int | None:
    hits = np.flatnonzero(active == column) if column is not None else []
    return int(hits[0]) if len(hits) else None


def _assemble(names, columns, active, result: _Newton, cov, dropped, separated, n_obs) -> LogitFit:
    k = len(names)
    coef, se, full_cov = np.full(k, np.nan), np.full(k, np.nan), np.full((k, k), np.nan)
    coef[active] = result.beta
    se[active] = np.sqrt(np.diag(cov))
    full_cov[np.ix_(active, active)] = cov
    with np.errstate(invalid="ignore"):
        p_value = 2 * stats.norm.sf(np.abs(coef / se))
    return LogitFit(
        names=names,
        columns=columns,
        coef=coef,
        std_error=se,
        p_value=p_value,
        ci_low=coef - Z_95 * se,
        ci_high=coef + Z_95 * se,
        cov=full_cov,
        dropped={names[j]: reason for j, reason in sorted(dropped.items())},
        separated=separated,
        converged=result.converged,
        iterations=result.iterations,
        log_likelihood=result.state.log_likelihood,
        n_obs=n_obs,
    )
