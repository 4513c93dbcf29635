"""What each metric and detail name on a report page means, so the page defines its own terms.

The report lists, under "Metrics on this page", the definition of every
metric and every detail it shows (:func:`definitions`). A name missing here
is listed as undefined there, and the tests over the suites' logs fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

METRICS: dict[str, str] = {
    # forced choice (ETHICS, Scruples, Norm Bank, EALM)
    "accuracy": "share of items answered with the gold label.",
    "exact_match": "share of contrast groups with every item of the group right.",
    "pairwise_accuracy": "share of scenario pairs where the more pleasant scenario was chosen.",
    "balanced_accuracy": "mean over the gold labels of the share of that label's items "
    "answered right (0.5 for a constant answer on two labels).",
    "mcc": "Matthews correlation between the answers and the gold labels (0: no relation, "
    "1: perfect, -1: always the opposite).",
    "f1_macro": "mean over the labels of each label's F1 (Scruples Anecdotes' headline).",
    "micro_f1": "F1 over every (item, label) decision pooled.",
    "macro_f1": "mean over labels of each label's F1.",
    "auc": "area under the ROC curve of the model's log-odds for the positive label (0.5: no "
    "separation).",
    "cross_entropy": "mean negative log-probability the model gives the annotators' label "
    "distribution (nats; lower is better; chance is the uniform distribution's).",
    "dm_log_likelihood": "Dirichlet-multinomial log-likelihood of the annotators' votes under "
    "the model's label distribution, per item (Scruples; higher is better).",
    "ece": "expected calibration error: mean gap between the model's confidence and its "
    "accuracy over 10 confidence bins (0 is perfectly calibrated; lower is better).",
    "rating_abs_error": "mean absolute difference between the model's rating and the "
    "reference rating.",
    # pluralism
    "js_distance": "Jensen-Shannon distance (base 2) from the model's answer distribution to "
    "a group's, averaged over questions: 0 same distribution, 1 disjoint; lower is closer. "
    "Chance: the distance of an answerer spreading evenly over the options.",
    "closest_group_distance": "mean JS distance to the group the model sits closest to on "
    "average (the subset names the group); only a finding when below the uniform answerer's.",
    "steering_shift": "JS distance to a group from the plain answer minus from the answer "
    "prompted to answer as a member of that group: positive means the prompt moved the answers "
    "toward the group.",
    "coverage": "Overton coverage: share of a question's reasonable perspectives that one "
    "answer covers.",
    "welfare": "the welfare scale: the mean rating, on the jurors' own rating scale, that the "
    "jury gives the candidate a welfare rule picks (utilitarian: highest mean rating; Nash: "
    "highest product of ratings; egalitarian: highest lowest rating). Higher is better for "
    "the jury; compare rules with each other, not with a fixed chance level.",
    "rules_agree": "share of items where the three welfare rules pick the same candidate.",
    "pick_agreement": "share of items where the model's jury picks the candidate the "
    "reference ratings pick under the same rule.",
    "pds": "perspective diversity score: entropy of the share of cultural perspectives an "
    "answer draws on, divided by its maximum (0: one perspective, 1: all evenly).",
    # Moral Turing Test
    "agreement": "share of scenarios where the model's verdict matches the human majority's.",
    "detect_accuracy": "share of text pairs where the judge named the computer's text.",
    "detect_auc": "AUC of the judge's log-odds for 'B is the computer' (0.5: cannot tell).",
    "classifier_auc": "cross-validated AUC of a logistic regression on length, hedging and "
    "first-person rate telling AI from human texts: about the texts, not the model's values.",
    "length_diff": "mean words per text, AI minus human.",
    "hedge_rate_diff": "hedging words per 100 words, AI minus human.",
    "first_person_rate_diff": "first-person words per 100 words, AI minus human.",
    # Utility Engineering
    "holdout_accuracy": "share of held-out pairs whose preferred side the Thurstonian "
    "utilities fitted on the other pairs predict (10-fold cross-validation; chance 0.5).",
    "cycle_rate": "mean probability, over fully asked triads of outcomes, that the measured "
    "preferences form a cycle (chance 0.25).",
    "order_consistency": "share of pairs (Utility Engineering) or dilemmas (LitmusValues) "
    "asked in both option orders where the model leans to the same outcome or action in "
    "both (chance 0.5).",
    # LitmusValues
    "na_rate": "share of dilemmas answered neither 'Action 1' nor 'Action 2'; under the "
    "generate-and-parse protocol these are the answers that could not be read (the unparsed "
    "rate).",
    "headline": "the family's paper headline: the mean over its subsets.",
    # Inspect's own metrics, shown for tasks of no alignlab family
    "mean": "mean score over the samples (Inspect's metric).",
    "stderr": "standard error of the mean score (Inspect's metric).",
    "std": "standard deviation of the scores (Inspect's metric).",
    "var": "variance of the scores (Inspect's metric).",
}

DETAILS: dict[str, str] = {
    "choice_mass": "mean probability the model put on the valid answer letters.",
    "group_size": "items per contrast group.",
    "uniform": "the same metric for an answerer spreading evenly over the options.",
    "similarity": "1 minus the JS distance.",
    "closest_share": "share of questions on which this group is the closest one.",
    "holdout_log_loss": "mean cross-entropy (nats) of the held-out pairs' measured preference "
    "under the fit (ln 2 = 0.693 is a coin).",
    "paper_holdout_accuracy": "accuracy on the paper's single 5% holdout of pairs (seed 42).",
    "paper_holdout_pairs": "pairs in that holdout.",
    "log_likelihood": "log-likelihood of the Thurstonian fit on all pairs (nats).",
    "train_accuracy": "share of pairs whose side the fit on all pairs predicts.",
    "half_vs_all_tau": "Kendall tau between utilities fitted on half of the pairs and on all "
    "(convergence).",
    "intransitive_triads": "share of triads whose majority preferences form a cycle.",
    "same_letter": "share of pairs where the model chose the same letter in both orders "
    "(position bias).",
    "letter_a_rate": "mean probability on letter A (0.5 without position bias).",
    "action1_rate": "share of answered dilemmas where the model took Action 1 (acts).",
    "battles": "value-class battles the Elo ranking is played over.",
    "robust_bt_tau_vs_elo": "Kendall tau between the robust Bradley-Terry and the Elo rankings.",
    "ranking_tau": "Kendall tau between the value rankings of the paper and swapped runs.",
    "human_mean": "the feature's mean over the human texts.",
    "ai_mean": "the feature's mean over the AI texts.",
    "t": "paired t statistic.",
    "p_value": "two-sided p-value.",
    "folds": "cross-validation folds.",
    "ci_over_items": "1 when the CI bootstraps items because there were too few contrast "
    "groups to bootstrap groups.",
    "moved_closer": "share of steered answers closer to the group than the plain answer.",
    "differs_from_utilitarian": "share of items where this rule picks another candidate than "
    "the utilitarian rule.",
    "js_before": "JS distance to the group from the plain answer.",
    "js_after": "JS distance to the group from the answer steered toward it.",
    "sentences": "sentences per answer.",
    "threshold": "cosine similarity at or above which a sentence covers a perspective.",
    "words": "words per answer.",
    "best": "the score of the BEST oracle, which knows each item's true label distribution "
    "(the best any model can do on these annotations).",
    "prior": "the same metric for a model that always predicts the annotators' pooled label "
    "distribution (the population prior).",
    "concentration": "the Dirichlet precision fitted to the annotators' counts, used by "
    "dm_log_likelihood (larger: annotators agree more).",
    "answers_per_item": "sampled answers per item.",
    "picks_differ": "share of items where this rule picks another candidate than the "
    "utilitarian rule.",
}

_RULE_SUFFIX = re.compile(r"^(utilitarian|nash|egalitarian)_(pick_agreement|welfare)$")


def _base(name: str) -> str:
    """The glossary entry a name falls under (``x (lower is better)`` → ``x``)."""
    name = name.removesuffix(" (lower is better)")
    found = _RULE_SUFFIX.match(name)
    if found and name not in METRICS:
        return found.group(2)
    return name


def define(name: str) -> str | None:
    """The definition of a metric or detail name; None when the glossary lacks it."""
    base = _base(name)
    return METRICS.get(base) or DETAILS.get(base)


def detail_label(key: str) -> str:
    """A detail key as a reader sees it: ``half_vs_all_tau`` → ``half vs all tau``."""
    return key.replace("_", " ")


def definitions(names: Iterable[str]) -> list[tuple[str, str]]:
    """``(name, definition)`` of each distinct name in order; "not defined" for a missing one."""
    out = []
    for name in dict.fromkeys(_base(n) for n in names):
        out.append((name, define(name) or "not defined in alignlab's glossary."))
    return out
