"""Single-layer probes with the scikit-learn estimator API: `LinearProbe`, `MLPProbe`.

Both standardise their input with the training rows' mean / population std (as
``StandardScaler``) inside ``fit``; ``X`` passed to every method is raw activations.
"""

from __future__ import annotations

import numpy as np
import torch
from jaxtyping import Float

from senseslens.analysis.probe_fit import as_tensor, decision_function, fit_logistic, fit_mlp, mlp_proba
from senseslens.errors import AnalysisError

__all__ = ["LinearProbe", "MLPProbe"]


def _check_xy(X, y=None) -> tuple[np.ndarray, np.ndarray | None]:
    X = np.asarray(X)
    if X.ndim != 2:
        raise AnalysisError(f"a single-layer probe takes X of shape [n, d]; got {X.shape}. Select one layer first.")
    if not np.isfinite(X).all():
        raise AnalysisError("X contains NaN or inf activations; drop those items (or fix the capture) before probing.")
    if y is None:
        return X, None
    y = np.asarray(y).astype(np.int64)
    if y.shape != (X.shape[0],):
        raise AnalysisError(f"y has shape {y.shape}; expected ({X.shape[0]},).")
    if not np.isin(np.unique(y), (0, 1)).all() or np.unique(y).size < 2:
        raise AnalysisError("y must contain both classes 0 and 1 (binary probe).")
    return X, y


class _ProbeBase:
    def predict_proba(self, X: Float[np.ndarray, "n d"]) -> Float[np.ndarray, "n 2"]:
        p1 = self._p1(X)
        return np.stack([1.0 - p1, p1], axis=1)

    def predict(self, X: Float[np.ndarray, "n d"]) -> np.ndarray:
        return (self._p1(X) > 0.5).astype(np.int64)

    def score(self, X: Float[np.ndarray, "n d"], y: np.ndarray) -> float:
        """Accuracy on ``(X, y)``."""
        return float((self.predict(X) == np.asarray(y)).mean())

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise AnalysisError(f"{type(self).__name__} is not fitted; call fit(X, y) first.")


class LinearProbe(_ProbeBase):
    """L2 logistic probe with scikit-learn's ``StandardScaler`` + ``LogisticRegression(C)``
    objective (penalty 0.5*||w||^2 on standardised weights, summed loss, free intercept).

    After ``fit``: ``coef_ [d]`` and ``intercept_`` act on *raw* activations
    (``decision = X @ coef_ + intercept_``); ``mean_``, ``scale_`` are the scaler;
    ``n_iter_``, ``converged_`` the solver diagnostics.
    """

    def __init__(self, C: float = 1.0, tol: float = 1e-6, max_iter: int = 1000):
        self.C, self.tol, self.max_iter = C, tol, max_iter

    def fit(self, X: Float[np.ndarray, "n d"], y: np.ndarray) -> "LinearProbe":
        X, y = _check_xy(X, y)
        Xt = as_tensor(X)[None]
        fit = fit_logistic(Xt, torch.from_numpy(y).float()[None, None], torch.ones(1, 1, X.shape[0]),
                           C=self.C, tol=self.tol, max_iter=self.max_iter)
        self._fit = fit
        v = (fit.coef / fit.scale)[0, 0]
        self.coef_ = v.double().numpy()
        self.intercept_ = float(fit.intercept[0, 0] - (fit.mean[0, 0] * v).sum())
        self.mean_ = fit.mean[0, 0].numpy()
        self.scale_ = fit.scale[0, 0].numpy()
        self.n_iter_ = int(fit.n_iter[0, 0])
        self.converged_ = bool(fit.converged[0, 0])
        self.fitted_ = True
        return self

    def decision_function(self, X: Float[np.ndarray, "n d"]) -> Float[np.ndarray, " n"]:
        self._check_fitted()
        X, _ = _check_xy(X)
        return decision_function(as_tensor(X)[None], self._fit)[0, 0].double().numpy()

    def _p1(self, X):
        return 1.0 / (1.0 + np.exp(-self.decision_function(X)))


class MLPProbe(_ProbeBase):
    """The paper's MLP probe: standardise, ``Linear(d, 256) -> ReLU -> Linear(256, 2)``,
    Adam (lr 1e-3), 100 full-batch epochs of mean cross-entropy, ``torch.manual_seed(seed)``
    before building the layers."""

    def __init__(self, hidden: int = 256, epochs: int = 100, lr: float = 1e-3, seed: int = 42):
        self.hidden, self.epochs, self.lr, self.seed = hidden, epochs, lr, seed

    def fit(self, X: Float[np.ndarray, "n d"], y: np.ndarray) -> "MLPProbe":
        X, y = _check_xy(X, y)
        self._fit = fit_mlp(as_tensor(X)[None], torch.from_numpy(y).float()[None], torch.ones(1, X.shape[0]),
                            hidden=self.hidden, epochs=self.epochs, lr=self.lr, seed=self.seed)
        self.fitted_ = True
        return self

    def _p1(self, X):
        self._check_fitted()
        X, _ = _check_xy(X)
        return mlp_proba(as_tensor(X)[None], self._fit)[0].double().numpy()
