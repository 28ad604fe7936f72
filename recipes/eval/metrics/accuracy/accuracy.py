# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Accuracy of string labels (exact match after optional strip/lower-case), as a local `evaluate` module that
loads offline: ``evaluate.load("recipes/eval/metrics/accuracy")``. Predictions may be ``None`` (never correct).
"""

import datasets
import evaluate

_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str or None): predicted labels.
    references (list of str): gold labels.
    normalize (bool, default True): strip and lower-case both sides.
Returns:
    accuracy (float): fraction of exact matches (nan for no items).
Example:
    >>> evaluate.load("recipes/eval/metrics/accuracy").compute(predictions=["a", "b"], references=["a", "c"])
    {'accuracy': 0.5}
"""


class Accuracy(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=__doc__,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references, normalize=True):
        def norm(x):
            if x is None:
                return None
            return str(x).strip().lower() if normalize else str(x)

        pairs = [(norm(p), norm(r)) for p, r in zip(predictions, references)]
        if not pairs:
            return {"accuracy": float("nan")}
        return {"accuracy": sum(p is not None and p == r for p, r in pairs) / len(pairs)}
