"""Active learner: a class-balanced linear classifier over precomputed features, blended with the prior.

Why: include rates are 1-5 %, so the classifier weights classes by their inverse frequency; it only needs
a fit on the few hundred labelled rows and one sparse matrix-vector product to re-rank, which keeps a
retrain + re-rank at 10k records well under 100 ms. Until both classes are labelled the zero-shot score
ranks alone; afterwards the classifier's weight grows with the number of included labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from screening.rank.features import Features
from screening.rank.zeroshot import percentile


@dataclass(frozen=True)
class LearnerConfig:
    """Tuned on all labelled datasets together (see evaluation/rank_benchmark.py), never per review."""

    classifier: Literal["svm", "logistic"] = "svm"
    C: float = 0.11
    prior_half_life: float = 3.0  # includes after which classifier and zero-shot prior weigh the same
    max_iter: int = 1000


def standardise(values: np.ndarray) -> np.ndarray:
    std = float(values.std())
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values, dtype=np.float64)


class ActiveLearner:
    """Fits on the labelled rows of a fixed feature matrix; scores every row."""

    def __init__(self, features: Features, prior: np.ndarray, config: LearnerConfig, seed: int) -> None:
        self.features = features
        self.prior = np.asarray(prior, dtype=np.float64)
        self.prior_z = standardise(self.prior)
        self.config = config
        self.seed = seed
        self.model: LogisticRegression | LinearSVC | None = None
        self.n_included = 0
        self._classifier_z: np.ndarray | None = None
        self._probability: np.ndarray | None = None

    def fit(self, labels: Mapping[int, int]) -> None:
        """Retrain on all labels; a single-class label set keeps the prior ranking."""
        index = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
        y = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))
        self.n_included = int(y.sum())
        if len(np.unique(y)) < 2:
            self.model, self._classifier_z, self._probability = None, None, None
            return
        # Dual liblinear solvers: fast when labelled rows are far fewer than features, as here.
        if self.config.classifier == "svm":
            model: LogisticRegression | LinearSVC = LinearSVC(
                C=self.config.C, class_weight="balanced", dual=True, max_iter=self.config.max_iter,
                random_state=self.seed,
            )
        else:
            model = LogisticRegression(
                C=self.config.C, class_weight="balanced", solver="liblinear", dual=True,
                max_iter=self.config.max_iter, random_state=self.seed,
            )
        rows, active = self.features.rows(index)
        model.fit(rows, y)
        self.model = model
        decision = self.features.decision(active, model.coef_.ravel(), float(model.intercept_[0]))
        self._classifier_z = standardise(decision)
        # Logistic: a probability; SVM: the margin squashed the same way (0.5 = on the boundary).
        self._probability = 1.0 / (1.0 + np.exp(-decision))

    @property
    def classifier_weight(self) -> float:
        """Share of the classifier in the blend: 0 untrained, 1/2 at `prior_half_life` includes, -> 1."""
        if self._classifier_z is None:
            return 0.0
        return self.n_included / (self.n_included + self.config.prior_half_life)

    def scores(self) -> np.ndarray:
        if self._classifier_z is None:
            return self.prior_z.copy()
        w = self.classifier_weight
        return w * self._classifier_z + (1 - w) * self.prior_z

    def probability(self) -> np.ndarray | None:
        """The classifier's include probability (class-balanced), None until it is trained."""
        return None if self._probability is None else self._probability.copy()


def prior_share_prediction(prior: np.ndarray, share: float) -> np.ndarray:
    """Untrained include prediction: the top `share` of records by the zero-shot prior."""
    return percentile(prior) > 1 - share
