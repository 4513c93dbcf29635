"""Pure maths for alignlab's scores: accuracy-style metrics, baselines, calibration, bootstrap CIs.

Everything here is a plain function of numbers (numpy/scipy only, nothing else from
alignlab), so scorers, reports and notebooks can share one definition of each metric.
"""

from alignlab.metrics.agreement import (
    PositionBias,
    cohen_kappa,
    cohen_kappa_ci,
    krippendorff_alpha,
    position_bias,
)
from alignlab.metrics.bias import (
    GroupGap,
    GroupTest,
    Rate,
    attack_success_rate,
    axis_positions,
    group_gap,
    group_gap_ci,
    hard_accuracy,
    kruskal_wallis,
    mann_whitney_u,
    pairwise_mann_whitney,
    position_spread,
    rates_by_category,
    soft_accuracy,
    wilson_interval,
)
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
from alignlab.metrics.discretion import Discretion, discretion
from alignlab.metrics.distributions import (
    best_possible_score,
    closest_group,
    dirichlet_multinomial_log_likelihood,
    expected_calibration_error,
    expected_calibration_error_from_probs,
    fit_dirichlet_prior,
    js_distance,
    soft_cross_entropy,
    steering_shift,
)

# `alignlab.metrics.ranking` is the BTL module, so elo.ranking is re-exported as
# elo_ranking (under its own name, importing the submodule would overwrite it).
from alignlab.metrics.elo import (
    EloSummary,
    elo_bootstrap,
    elo_ratings,
    elo_win_probability,
)
from alignlab.metrics.elo import ranking as elo_ranking
from alignlab.metrics.honesty import (
    HonestyScores,
    answer_rate,
    format_consistency,
    honesty_scores,
    performance_spread,
    self_knowledge_rate,
    sycophancy_rate,
)
from alignlab.metrics.multilabel import exact_match_multilabel, macro_f1, micro_f1
from alignlab.metrics.paired import PairedDifference, paired_difference, paired_permutation_p
from alignlab.metrics.ranking import (
    bradley_terry,
    drop_comparisons,
    flip_comparisons,
    kendall_tau,
    robust_bradley_terry,
)
from alignlab.metrics.rubric import criterion_fulfilled, length_controlled_score, rubric_score
from alignlab.metrics.thurstonian import (
    ThurstonianFit,
    active_learning_budget,
    cycle_rate,
    exchange_rate,
    exchange_rate_fit,
    intransitive_triad_rate,
    select_next_pairs,
    thurstonian_fit,
)
from alignlab.metrics.welfare import (
    aggregate_jury,
    egalitarian_welfare,
    nash_welfare,
    overton_coverage,
    utilitarian_welfare,
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
    # Paired comparison of an intervention with its baseline on shared items.
    "PairedDifference",
    "paired_difference",
    "paired_permutation_p",
    "pairwise_accuracy",
    "roc_auc",
    # Value rankings: Elo (LitmusValues), Thurstonian utilities (Utility Engineering), BTL.
    "EloSummary",
    "elo_bootstrap",
    "elo_ratings",
    "elo_ranking",
    "elo_win_probability",
    "ThurstonianFit",
    "active_learning_budget",
    "cycle_rate",
    "exchange_rate",
    "exchange_rate_fit",
    "intransitive_triad_rate",
    "select_next_pairs",
    "thurstonian_fit",
    "bradley_terry",
    "drop_comparisons",
    "flip_comparisons",
    "kendall_tau",
    "robust_bradley_terry",
    # Label distributions (Scruples BEST, calibration, distributional pluralism).
    "best_possible_score",
    "closest_group",
    "dirichlet_multinomial_log_likelihood",
    "expected_calibration_error",
    "expected_calibration_error_from_probs",
    "fit_dirichlet_prior",
    "js_distance",
    "soft_cross_entropy",
    "steering_shift",
    # Multi-label moral classification (EALM QA-ETHICS / MP-ETHICS).
    "exact_match_multilabel",
    "macro_f1",
    "micro_f1",
    # Jury-pluralistic welfare and Overton coverage (Roadmap to Pluralistic Alignment).
    "aggregate_jury",
    "egalitarian_welfare",
    "nash_welfare",
    "overton_coverage",
    "utilitarian_welfare",
    # Judge reliability: inter-rater agreement and position bias.
    "PositionBias",
    "cohen_kappa",
    "cohen_kappa_ci",
    "krippendorff_alpha",
    "position_bias",
    # Honesty (BeHonest scenario rates, Alignment for Honesty's prudence).
    "HonestyScores",
    "answer_rate",
    "format_consistency",
    "honesty_scores",
    "performance_spread",
    "self_knowledge_rate",
    "sycophancy_rate",
    # Weighted rubric criteria judged yes/no (MoReBench).
    "criterion_fulfilled",
    "length_controlled_score",
    "rubric_score",
    # Annotator discretion against stated principles.
    "Discretion",
    "discretion",
    # Bias across groups and attack success (TrustGPT, MisalignmentBench, Denevil).
    "GroupGap",
    "GroupTest",
    "Rate",
    "attack_success_rate",
    "axis_positions",
    "group_gap",
    "group_gap_ci",
    "hard_accuracy",
    "kruskal_wallis",
    "mann_whitney_u",
    "pairwise_mann_whitney",
    "position_spread",
    "rates_by_category",
    "soft_accuracy",
    "wilson_interval",
]

# Safety dilemmas: PacifAIst's P-Score and refusal rate, Likert subscale means (Greatest Good).
from alignlab.metrics.dilemmas import (  # noqa: E402
    decide_archetype,
    fidelity_slope,
    likert_mean,
    p_score,
    refusal_rate,
)

__all__ += ["decide_archetype", "fidelity_slope", "likert_mean", "p_score", "refusal_rate"]
# Perspective diversity (WorldView-Bench PDS entropy, sentiment shares).
from alignlab.metrics.perspectives import SENTIMENTS, pds_entropy, sentiment_shares  # noqa: E402

__all__ += ["SENTIMENTS", "pds_entropy", "sentiment_shares"]
# Several comparisons at once (alignlab compare): Holm correction, paired effect size.
from alignlab.metrics.multiple import cohens_dz, holm_adjust  # noqa: E402

__all__ += ["cohens_dz", "holm_adjust"]
