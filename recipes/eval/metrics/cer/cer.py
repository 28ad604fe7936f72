# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Character error rate (corpus level: all edits / all reference cercharacters) through `jiwer`, as a local
`evaluate` module that loads offline: ``evaluate.load("recipes/eval/metrics/cer")``.

With ``normalize=True`` (default) both sides are lower-cased, punctuation becomes spaces and spaces are collapsed
(``recipes.eval.text_norm.normalize_text``) before scoring. Returns a fraction (multiply by 100 for %).
"""

import re

import datasets
import evaluate

_DESCRIPTION = __doc__
_KWARGS_DESCRIPTION = """
Args:
    predictions (list of str): hypotheses.
    references (list of str): reference transcripts (an empty reference is refused).
    normalize (bool, default True): lower-case and strip punctuation first.
Returns:
    cer (float): total edits / total reference cercharacters.
Example:
    >>> metric = evaluate.load("recipes/eval/metrics/cer")
    >>> metric.compute(predictions=["the cat sat"], references=["the cat sat"])
    {'cer': 0.0}
"""


def normalize_text(text: str) -> str:
    text = re.sub(r"[^\w' ]+", " ", str(text).lower())
    return re.sub(r"\s+", " ", text).strip()


class CER(evaluate.Metric):
    def _info(self):
        return evaluate.MetricInfo(
            description=_DESCRIPTION,
            citation="",
            inputs_description=_KWARGS_DESCRIPTION,
            features=datasets.Features({"predictions": datasets.Value("string"),
                                        "references": datasets.Value("string")}),
        )

    def _compute(self, predictions, references, normalize=True):
        import jiwer

        if normalize:
            predictions = [normalize_text(p) for p in predictions]
            references = [normalize_text(r) for r in references]
        empty = [i for i, r in enumerate(references) if not r.strip()]
        if empty:
            raise ValueError(f"references {empty[:5]} are empty after normalisation; an error rate needs words.")
        return {"cer": float(jiwer.cer(references, predictions))}
