# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy Spirit LM: trained here from nothing on a CPU, committed as the embedded default that ``make demo`` runs.

* :data:`TOY_MODEL` -- the embedded default's folder (``recipes/toy_model/``: weights, tokenizer, speech tokenizer,
  vocoder, card, measurements, example recordings). Not to be confused with the tiny models of
  :mod:`recipes.tiny.models`, whose weights are random.
* :mod:`recipes.toy.arguments` -- the settings (:class:`~recipes.toy.arguments.ToyTrainingArguments`) and presets.
* :mod:`recipes.toy.stages` -- the orchestration: corpus -> speech tokenizer -> units -> vocoder -> LM -> evaluation.
* :mod:`recipes.toy.experiment` -- LMs trained with and without the word-interleaved data, compared.
* :mod:`recipes.toy.ship` -- the model card and the installation into ``recipes/toy_model/``.
* :mod:`recipes.toy.train` -- the ``spirit-lm train-toy`` command chaining them.
"""

from pathlib import Path

TOY_MODEL = Path(__file__).resolve().parent.parent / "toy_model"

__all__ = ["TOY_MODEL"]
