"""Active learner: an include-weighted linear classifier over precomputed features, blended with the prior.

Why: include rates are 1-5 %, so the classifier weights includes well above their share (`class_weights`).
It only needs a fit on the few hundred labelled rows and one sparse matrix-vector product to re-rank,
which keeps a retrain + re-rank at 10k records well under 100 ms. Until both classes are labelled the
zero-shot score ranks alone; afterwards the classifier's weight grows with the number of included labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.naive_bayes import ComplementNB
from sklearn.svm import LinearSVC

from screening.rank.features import Features
from screening.rank.zeroshot import percentile


@dataclass(frozen=True)
class LearnerConfig:
    """Tuned on all labelled datasets together (see evaluation/rank_benchmark.py), never per review."""

    classifier: Literal["svm", "logistic"] = "svm"
    C: float = 0.11
    include_ratio: float = 9.8  # includes weigh this many times their class-balanced share
    prior_half_life: float = 0.5  # includes after which classifier and zero-shot prior weigh the same
    # "count": the prior fades with the number of included labels only; "agreement": the half-life also
    # scales with how well the prior ranks the labelled records (its AUC there, shrunk to `prior_auc_reference`
    # with `prior_auc_strength` pseudo-includes), so a prior that ranks the first includes low fades at once.
    prior_weighting: Literal["count", "agreement"] = "count"
    prior_auc_reference: float = 0.8
    prior_auc_strength: float = 2.0
    # "svm": one include-weighted linear model; "svm+nb": fused by mean rank with complement naive Bayes on
    # the TF-IDF block (a differently biased learner, as in ASReview's default).
    ensemble: Literal["svm", "svm+nb"] = "svm"
    max_iter: int = 1000


def class_weights(y: np.ndarray, include_ratio: float) -> dict[int, float]:
    """Per-class weights: includes weigh `include_ratio` times more than under class balancing.

    Why: plain balancing (equal total weight per class) let the many excludes pull the boundary towards
    the few includes. Weighting includes ~10x further, as ASReview's "balanced" sample weighting does
    (ratio 9.8), lowered our mean simulation loss by about 5 % over 30 reviews x 5 seeds. Weights are
    scaled to average 1 per labelled row so the regularisation strength C keeps its meaning.
    """
    n_included = int(y.sum())
    n_excluded = len(y) - n_included
    include, exclude = 1.0, n_included / (include_ratio * n_excluded)
    scale = len(y) / (n_included * include + n_excluded * exclude)
    return {1: include * scale, 0: exclude * scale}


def labelled_auc(scores: np.ndarray, index: np.ndarray, y: np.ndarray) -> float:
    """AUC of ``scores`` on the labelled rows (includes above excludes; ties count half); NaN with one class."""
    if len(np.unique(y)) < 2:
        return float("nan")
    return float(roc_auc_score(y, scores[index]))


@dataclass(frozen=True)
class PriorWeight:
    """Why the zero-shot prior weighs what it does in the blend (the tuning report; the Screen page says it)."""

    share: float  # of the blend, 0..1
    n_included: int
    n_excluded: int
    auc: float | None  # the prior's AUC on the labelled records; None under "count" or before both classes
    shrunk_auc: float | None


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
        self.n_included = 0
        self._labelled: tuple[np.ndarray, np.ndarray] | None = None
        self._classifier_z: np.ndarray | None = None
        self._probability: np.ndarray | None = None
        self._prior_auc = float("nan")

    def _decision(self, index: np.ndarray, y: np.ndarray, include_ratio: float) -> np.ndarray:
        """Fit on the labelled rows with `class_weights(y, include_ratio)`; the linear score of every record."""
        weights = class_weights(y, include_ratio)
        # Dual liblinear solvers: fast when labelled rows are far fewer than features, as here.
        if self.config.classifier == "svm":
            model: LogisticRegression | LinearSVC = LinearSVC(
                C=self.config.C, class_weight=weights, dual=True, max_iter=self.config.max_iter,
                random_state=self.seed,
            )
        else:
            model = LogisticRegression(
                C=self.config.C, class_weight=weights, solver="liblinear", dual=True,
                max_iter=self.config.max_iter, random_state=self.seed,
            )
        rows, active = self.features.rows(index)
        model.fit(rows, y)
        return self.features.decision(active, model.coef_.ravel(), float(model.intercept_[0]))

    def _naive_bayes(self, index: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Complement naive Bayes on the TF-IDF block: log-odds of include for every record."""
        balanced = class_weights(y, include_ratio=1.0)
        model = ComplementNB(alpha=1.0)
        model.fit(self.features.sparse[index], y, sample_weight=np.where(y == 1, balanced[1], balanced[0]))
        log_probability = model.predict_joint_log_proba(self.features.sparse)
        return log_probability[:, 1] - log_probability[:, 0]

    def fit(self, labels: Mapping[int, int]) -> None:
        """Retrain on all labels; a single-class label set keeps the prior ranking."""
        index = np.fromiter(labels.keys(), dtype=np.int64, count=len(labels))
        y = np.fromiter(labels.values(), dtype=np.int64, count=len(labels))
        self.n_included = int(y.sum())
        self._probability = None
        if len(np.unique(y)) < 2:
            self._labelled, self._classifier_z = None, None
            return
        self._labelled = (index, y)
        decision = self._decision(index, y, self.config.include_ratio)
        if self.config.ensemble == "svm+nb":  # rank fusion: neither learner's scale dominates
            decision = rankdata(decision) + rankdata(self._naive_bayes(index, y))
        self._classifier_z = standardise(decision)
        if self.config.prior_weighting == "agreement":  # not on the default re-rank path
            self._prior_auc = labelled_auc(self.prior, index, y)

    def _shrunk_auc(self) -> float:
        """The prior's labelled AUC pulled towards the reference while few includes are labelled."""
        k, reference = self.config.prior_auc_strength, self.config.prior_auc_reference
        return (self.n_included * self._prior_auc + k * reference) / (self.n_included + k)

    @property
    def classifier_weight(self) -> float:
        """Share of the classifier in the blend: 0 untrained, 1/2 at the prior's half-life in includes, -> 1.

        Under "agreement" the half-life is scaled by the prior's shrunk labelled skill (2 AUC - 1) over the
        reference's, capped at 1: a prior no better than chance on the labels gets no weight, one at or above
        the reference keeps the count-based weight (longer half-lives lost in the tuning, ranker_tuning.md).
        """
        if self._classifier_z is None:
            return 0.0
        half_life = self.config.prior_half_life
        if self.config.prior_weighting == "agreement":
            skill = min(1.0, max(0.0, 2 * self._shrunk_auc() - 1) / (2 * self.config.prior_auc_reference - 1))
            half_life *= skill
        return self.n_included / (self.n_included + half_life) if half_life > 0 else 1.0

    def prior_weight(self) -> PriorWeight:
        """The prior's share of the blend and the evidence it rests on."""
        n_labelled = 0 if self._labelled is None else len(self._labelled[1])
        agreement = self.config.prior_weighting == "agreement" and self._classifier_z is not None
        return PriorWeight(share=1.0 - self.classifier_weight, n_included=self.n_included,
                           n_excluded=n_labelled - self.n_included,
                           auc=self._prior_auc if agreement else None,
                           shrunk_auc=self._shrunk_auc() if agreement else None)

    def scores(self) -> np.ndarray:
        if self._classifier_z is None:
            return self.prior_z.copy()
        w = self.classifier_weight
        return w * self._classifier_z + (1 - w) * self.prior_z

    def probability(self) -> np.ndarray | None:
        """Class-balanced include probability, None until both classes are labelled.

        Why a second, class-balanced fit: the ranking model weighs includes ~10x (good for finding them
        early) and so calls almost everything an include; predictions compared with reviewers must not.
        Fitted on first use after each retrain (milliseconds). SVM margins are squashed like logits, so 0.5
        is the decision boundary.
        """
        if self._labelled is None:
            return None
        if self._probability is None:
            decision = self._decision(*self._labelled, include_ratio=1.0)
            self._probability = 1.0 / (1.0 + np.exp(-decision))
        return self._probability.copy()


def prior_share_prediction(prior: np.ndarray, share: float) -> np.ndarray:
    """Untrained include prediction: the top `share` of records by the zero-shot prior."""
    return percentile(prior) > 1 - share
