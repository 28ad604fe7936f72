# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Evaluation of a Spirit LM trained on the project's toy corpus (:mod:`processing.toy_corpus`), on held-out
sentences: does each part (speech tokenizer + vocoder, the LM in every direction) do its job?

```python
from recipes.eval.toy import evaluate_toy, format_toy_table
result = evaluate_toy("out/toy-spirit-lm", "out/toy-spirit-lm-work/corpus", limit=90, output="toy_eval.json")
print(format_toy_table(result))
```

``spirit-lm evaluate toy --model M --data CORPUS_DIR [--limit N] [--tasks resynthesis,asr,...]`` does the same.

The model is a Spirit LM folder with ``speech_tokenizer/`` and ``vocoder/`` (or a ``pipeline("spirit-lm")``); the
corpus is a ``save_to_disk`` ``DatasetDict`` (``audio``, ``text``, ``words``, ``speaker``, ``sentence_id``). The
evaluated rows are the first ``limit`` rows of ``split`` (rows are ordered by sentence, then voice: ``limit=90`` with
six voices is 15 sentences, each in every voice). Every ASR transcript below comes from the **judge**
(:func:`recipes.eval.judges.load_asr_judge`, faster-whisper Whisper tiny.en by default), except few-shot ASR's,
which is the model's own. Judge transcripts get the corpus's number spelling first (``"267"`` →
``"two hundred sixty seven"``, :func:`processing.toy_text.number_words`); error rates then use the local ``wer`` /
``cer`` metrics (lower-case, punctuation stripped; corpus level: all edits / all reference words or characters, in %).

Tasks (``tasks=``):

* ``resynthesis`` -- each row's audio → the model's speech tokenizer → unit string → the model's vocoder (speaker:
  the row's ``speaker`` when the vocoder has a speaker of that name, else the vocoder's default). Judge WER and CER of
  the **original** audio and of the **resynthesized** audio against the row's text, side by side, overall and per
  voice. The original's numbers are the judge's floor; the gap is what units + vocoder lose.
* ``asr`` -- few-shot ASR (:func:`recipes.eval.few_shot_tasks.evaluate_few_shot`): the rows' audio written as wav
  files with a JSON-lines manifest under ``work_dir``; the shots come from a seeded sample (at most
  ``POOL_SIZE`` rows) of ``shots_split``. Greedy; WER of the model's transcript, in %.
* ``tts`` -- few-shot TTS the same way: the judge transcribes the generated speech; WER and CER (%) against the text.
* ``continuation`` -- each sentence is cut at a word boundary: the first ``k = max(1, min(n - 1,
  floor(n * cut_fraction + 0.5)))`` of its ``n`` words; the time cut is halfway between word ``k``'s end and word
  ``k + 1``'s start (:func:`cut_point`). *Speech*: the first part's audio as a ``[Speech]`` prompt, a sampled
  speech continuation (seeded; temperature 0.8, top-p 0.95; at most 1.5x the tokens the rest of the sentence would
  take at the prompt's token rate, + 4), vocoded with the row's voice and transcribed by the judge. *Text*: the
  first part's words as a ``[Text]`` prompt, a sampled text continuation (at most 1.5x the rest's tokens, + 4).
  Reported: the **in-vocabulary fraction** -- of all words of all continuations (pooled), the fraction that are
  words of the train split's texts (lower-cased, punctuation stripped, digits spelled; NaN when no word at all) --
  plus the mean number of words per continuation, the fraction of empty continuations and a few examples.
  *Reference*: the same fraction for the judge's transcripts of the true rest of each sentence (the ceiling the
  judge allows).
* ``storycloze`` -- a StoryCloze-like choice built from the split: context = the first part of a sentence (text, and
  audio cut at the word boundary above), good ending = its true rest, bad ending = the rest of another sentence of the
  split spoken by the same voice, with the closest number of words (then duration; a rest that reads the same as the
  good one is never chosen). Written as a manifest + cut wavs under ``work_dir`` and scored by
  :func:`recipes.eval.zero_shot.evaluate_zero_shot` in the modes ``T``, ``S``, ``T>S``, ``S>T`` (accuracy: the good
  ending is more likely, token-normalised ``mean`` scoring; ties count one half; ``sum`` in the details).

The result is one JSON-friendly dict (:mod:`recipes.eval.results` layout: ``task="toy"``, ``metrics`` with ``name``,
``key``, ``value``, ``n``, plus ``label`` and ``unit``; ``settings``; per-task ``details`` with per-voice numbers,
examples and the sub-results of the reused evaluators; ``seconds`` per task). :func:`format_toy_table` renders the
metrics as a markdown table.

One module per task (:mod:`.resynthesis`, :mod:`.few_shot` for ``asr`` and ``tts``, :mod:`.continuation`,
:mod:`.storycloze`), over shared pieces: :mod:`.text` (pure text helpers, cut points), :mod:`.data` (the corpus, the
files written), :mod:`.generation` (sampling, vocoding, encoding, the judge), :mod:`.common` (task names, model check,
error rates, the run context); :mod:`.runner` holds :func:`evaluate_toy` and :func:`format_toy_table`.
"""

from modeling_spirit.constants import SAMPLING_RATE

from .common import NUM_EXAMPLES, TOY_TASKS, VOCODER_TASKS, error_rate, parse_tasks, vocoder_speaker
from .few_shot import FEW_SHOT_CONTEXT, FEW_SHOT_MAX_NEW_TOKENS, MAX_AUTO_SHOTS, POOL_SIZE, auto_shots
from .generation import CONTINUATION_SAMPLING
from .runner import evaluate_toy, format_toy_table
from .storycloze import build_storycloze_pairs
from .text import corpus_vocabulary, cut_point, cut_sample, in_vocabulary_fraction, normalize_words, spell_digits

__all__ = ["evaluate_toy", "format_toy_table", "TOY_TASKS", "auto_shots", "build_storycloze_pairs",
           "corpus_vocabulary", "cut_point", "in_vocabulary_fraction", "normalize_words", "spell_digits",
           "vocoder_speaker",
           # public before the split into modules, kept importable from here
           "CONTINUATION_SAMPLING", "FEW_SHOT_CONTEXT", "FEW_SHOT_MAX_NEW_TOKENS", "MAX_AUTO_SHOTS", "NUM_EXAMPLES",
           "POOL_SIZE", "SAMPLING_RATE", "VOCODER_TASKS", "cut_sample", "error_rate", "parse_tasks"]
