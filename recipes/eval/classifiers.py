# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Sentiment classifiers for STSP, loaded from local folders (as the original: an audio-classification model for
speech, a text-classification model for text).

Labels are mapped to the three sentiments with :data:`LABEL_TO_SENTIMENT` (the original's emotion map plus the
sentiments themselves); a classifier with any other label is refused when it is loaded, naming the labels.
"""

from typing import Dict, List, Sequence

import numpy as np

from modeling_spirit.audio_utils import resample
from modeling_spirit.constants import SAMPLING_RATE

SENTIMENTS = ("negative", "neutral", "positive")
# The original's emotion → sentiment map (speech classifier: happy/angry/sad/default; the eval map adds neutral and
# amused), plus the sentiment labels of text classifiers.
LABEL_TO_SENTIMENT = {"happy": "positive", "amused": "positive", "angry": "negative", "sad": "negative",
                      "default": "neutral", "neutral": "neutral",
                      "positive": "positive", "negative": "negative"}


def label_map(id2label: Dict, path: str) -> Dict[int, str]:
    """``{class index: sentiment}``; raises when a label does not map to one of the three sentiments."""
    mapping, bad = {}, []
    for index, label in (id2label or {}).items():
        sentiment = LABEL_TO_SENTIMENT.get(str(label).strip().lower())
        if sentiment is None:
            bad.append(label)
        mapping[int(index)] = sentiment
    if not mapping or bad:
        raise ValueError(
            f"The classifier at {path!r} has labels {sorted(map(str, (id2label or {}).values()))}; "
            f"{sorted(map(str, bad)) if bad else 'none'} do not map to the three sentiments {list(SENTIMENTS)}. "
            f"Allowed labels: {sorted(LABEL_TO_SENTIMENT)} (set `id2label` in its config.json)."
        )
    return mapping


class SpeechSentimentClassifier:
    """``AutoFeatureExtractor`` + ``AutoModelForAudioClassification`` from a local folder; 16 kHz waveforms in."""

    def __init__(self, path: str, device: str = "cpu", batch_size: int = 8):
        from transformers import AutoFeatureExtractor, AutoModelForAudioClassification

        self.feature_extractor = AutoFeatureExtractor.from_pretrained(path)
        self.model = AutoModelForAudioClassification.from_pretrained(path).to(device).eval()
        self.labels = label_map(self.model.config.id2label, path)
        self.batch_size = batch_size

    def __call__(self, waves: Sequence[np.ndarray], sampling_rate: int = SAMPLING_RATE) -> List[str]:
        import torch

        rate = int(getattr(self.feature_extractor, "sampling_rate", SAMPLING_RATE))
        out = []
        for start in range(0, len(waves), self.batch_size):
            chunk = [resample(torch.as_tensor(w, dtype=torch.float32), sampling_rate, rate).numpy() if rate != sampling_rate
                     else np.asarray(w, dtype=np.float32) for w in waves[start:start + self.batch_size]]
            inputs = self.feature_extractor(chunk, sampling_rate=rate, return_tensors="pt", padding=True)
            with torch.no_grad():
                logits = self.model(**{k: v.to(self.model.device) for k, v in inputs.items()}).logits
            out += [self.labels[int(i)] for i in logits.argmax(-1).tolist()]
        return out


class TextSentimentClassifier:
    """``AutoTokenizer`` + ``AutoModelForSequenceClassification`` from a local folder (the tokenizer may live in
    another folder: the original downloads ``j-hartmann/sentiment-roberta-large-english-3-classes``'s)."""

    def __init__(self, path: str, device: str = "cpu", batch_size: int = 16, tokenizer_path: str = None):
        from transformers import AutoModelForSequenceClassification, AutoTokenizer

        try:
            self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_path or path)
        except (OSError, ValueError) as err:
            raise ValueError(f"No tokenizer in {tokenizer_path or path!r} ({err}). The original STSP text classifier "
                             "ships without one: save j-hartmann/sentiment-roberta-large-english-3-classes's tokenizer "
                             "into that folder or pass --text-classifier-tokenizer.") from None
        self.model = AutoModelForSequenceClassification.from_pretrained(path).to(device).eval()
        self.labels = label_map(self.model.config.id2label, path)
        self.batch_size = batch_size

    def __call__(self, texts: Sequence[str]) -> List[str]:
        import torch

        out = []
        for start in range(0, len(texts), self.batch_size):
            chunk = [t if t else " " for t in texts[start:start + self.batch_size]]
            inputs = self.tokenizer(chunk, return_tensors="pt", padding=True, truncation=True)
            with torch.no_grad():
                logits = self.model(**{k: v.to(self.model.device) for k, v in inputs.items()}).logits
            out += [self.labels[int(i)] for i in logits.argmax(-1).tolist()]
        return out


__all__ = ["SpeechSentimentClassifier", "TextSentimentClassifier", "LABEL_TO_SENTIMENT", "SENTIMENTS", "label_map"]
