"""Pure maths for alignlab's scores: accuracy-style metrics, baselines, calibration, bootstrap CIs.

Everything here is a plain function of numbers (numpy/scipy only, nothing else from
alignlab), so scorers, reports and notebooks can share one definition of each metric.
"""

from alignlab.metrics.bootstrap import (
    bootstrap_ci,
    bootstrap_ci_auc,
    grouped_bootstrap_ci,
    paired_bootstrap_diff_ci,
)
from alignlab.metrics.classification import (
    accuracy,
    calibrated_log_odds,
    calibrated_log_probs,
    chance_accuracy,
    chance_grouped_exact_match,
    grouped_exact_match,
    grouped_exact_match_by_id,
    majority_baseline,
    majority_grouped_exact_match,
    pairwise_accuracy,
    roc_auc,
)

__all__ = [
    "accuracy",
    "bootstrap_ci",
    "bootstrap_ci_auc",
    "calibrated_log_odds",
    "calibrated_log_probs",
    "chance_accuracy",
    "chance_grouped_exact_match",
    "grouped_bootstrap_ci",
    "grouped_exact_match",
    "grouped_exact_match_by_id",
    "majority_baseline",
    "majority_grouped_exact_match",
    "paired_bootstrap_diff_ci",
    "pairwise_accuracy",
    "roc_auc",
]
