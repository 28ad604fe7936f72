# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The stages of speech-tokenizer training, one module each, in the order the recipe runs them.

* :mod:`.arguments` -- :class:`~.arguments.SpeechTokenizerTrainingArguments` and the freshly built model.
* :mod:`.features` -- the HuBERT frame grid, acoustic features (first targets), layer features of a trained model.
* :mod:`.kmeans` -- seeded k-means (the masked-prediction targets, the ``"kmeans"`` quantizer targets).
* :mod:`.pretrain` -- HuBERT masked prediction (the prediction head, span masks, the resumable loop).
* :mod:`.quantizer` -- the quantizer fitted by cross-entropy (``"kmeans"`` / ``"head"`` targets).
* :mod:`.ctc` -- the quantizer trained with CTC on phoneme transcripts (``"phones"``), the phone error rate.
* :mod:`.probes` -- unit metrics against frame labels and the units -> words probe.
* :mod:`.data` -- a ``save_to_disk`` corpus as waves, word times and texts; phoneme transcripts of the texts.
* :mod:`.common` -- what the two loops share: seeded steps, the schedule, atomic checkpoints.

The recipe that runs them (:func:`processing.train_speech_tokenizer.train_speech_tokenizer`) and the command line
(``python -m processing.train_speech_tokenizer``) are in :mod:`processing.train_speech_tokenizer`.
"""
