"""A small ridge-penalised logistic regression of "object found" on its class and the
conditions of its image, fitted by iteratively reweighted least squares (numpy only).

Why a model and not one slice at a time: in a real eval set, and in any finite design,
conditions are correlated (night images may also be the far ones); comparing a slice with
the rest of its class then blames one condition for another. With every condition in one
model, each value's coefficient is its effect with the class *and the other conditions*
held fixed. The ridge penalty (on condition coefficients only) keeps a value whose objects
are all missed finite, and shrinks values with little evidence towards no effect.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RIDGE = 1.0


@dataclass
class Fit:
    columns: list[tuple[str, str]]      # ("class", c) or (axis, value)
    beta: np.ndarray
    cov: np.ndarray
    X: np.ndarray
    k: np.ndarray
    n: np.ndarray
    row_conds: list[set[tuple[str, str]]]

    def index(self, col: tuple[str, str]) -> int | None:
        try:
            return self.columns.index(col)
        except ValueError:
            return None


def fit_rows(rows: list[tuple[list[tuple[str, str]], dict[str, int], dict[str, int]]],
             classes: list[str] | None = None, *, per_class: str | None = None,
             ridge: float = RIDGE, iterations: int = 30) -> Fit | None:
    """Fit on eval rows (conditions, objects per class, found per class). With `per_class`,
    only that class's objects, and no class columns (an intercept instead)."""
    data = []
    for conds, objects, found in rows:
        for c, n in objects.items():
            if n <= 0 or (per_class is not None and c != per_class):
                continue
            data.append((c, conds, found.get(c, 0), n))
    if not data:
        return None
    if per_class is not None:
        class_cols = [("class", per_class)]
    else:
        class_cols = [("class", c) for c in (classes or sorted({d[0] for d in data}))]
    value_cols = sorted({cd for _, conds, _, _ in data for cd in conds})
    columns = class_cols + value_cols
    col = {c: i for i, c in enumerate(columns)}
    X = np.zeros((len(data), len(columns)))
    k = np.zeros(len(data))
    n = np.zeros(len(data))
    row_conds = []
    for i, (c, conds, f, m) in enumerate(data):
        X[i, col[("class", c if per_class is None else per_class)]] = 1.0
        for cd in conds:
            X[i, col[cd]] = 1.0
        k[i], n[i] = f, m
        row_conds.append(set(conds) | {("class", c)})
    penalty = np.array([0.0] * len(class_cols) + [ridge] * len(value_cols))
    beta = np.zeros(len(columns))
    hess = np.eye(len(columns))
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(X @ beta, -30, 30)))
        w = n * p * (1 - p)
        grad = X.T @ (k - n * p) - penalty * beta
        hess = (X.T * w) @ X + np.diag(penalty) + 1e-6 * np.eye(len(columns))
        step = np.linalg.solve(hess, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-6:
            break
    return Fit(columns, beta, np.linalg.inv(hess), X, k, n, row_conds)


def contrast(fit: Fit, col: tuple[str, str]) -> tuple[float, float, float, int, int] | None:
    """(z, expected recall, observed recall, found, support) of one condition value against
    the other values of its axis (their coefficients' mean weighted by objects): the
    expected recall is the model's for the same objects with that contrast removed."""
    j = fit.index(col)
    if j is None:
        return None
    axis = col[0]
    sibs = [i for i, c in enumerate(fit.columns) if c[0] == axis and i != j]
    inside = fit.X[:, j] > 0
    weights = np.array([fit.n[fit.X[:, i] > 0].sum() for i in sibs]) if sibs else np.array([])
    vec = np.zeros(len(fit.columns))
    vec[j] = 1.0
    if sibs and weights.sum() > 0:
        vec[sibs] = -weights / weights.sum()
    est = float(vec @ fit.beta)
    se = float(np.sqrt(max(vec @ fit.cov @ vec, 1e-12)))
    eta = fit.X[inside] @ fit.beta - est
    p0 = 1.0 / (1.0 + np.exp(-np.clip(eta, -30, 30)))
    support = int(fit.n[inside].sum())
    found = int(fit.k[inside].sum())
    if support == 0:
        return None
    expected = float((p0 * fit.n[inside]).sum() / support)
    return est / se, expected, found / support, found, support


def expected_in(fit: Fit, conds: set[tuple[str, str]]) -> tuple[float, float, int, int]:
    """(z, expected recall, found, support) of the objects whose image has all `conds`,
    against the fitted main effects (for value pairs: is the pair worse than its parts?)."""
    mask = np.array([conds <= rc for rc in fit.row_conds])
    if not mask.any():
        return 0.0, 0.0, 0, 0
    p = 1.0 / (1.0 + np.exp(-np.clip(fit.X[mask] @ fit.beta, -30, 30)))
    n, k = fit.n[mask], fit.k[mask]
    exp, var = float((p * n).sum()), float((n * p * (1 - p)).sum())
    z = (float(k.sum()) - exp) / np.sqrt(var) if var > 0 else 0.0
    return z, exp / float(n.sum()), int(k.sum()), int(n.sum())
