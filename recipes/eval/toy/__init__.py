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
"""

from __future__ import annotations

import io
import json
import math
import os
import random
import re
import shutil
import tempfile
import time
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from ..results import add_metric, new_result, write_result

TOY_TASKS = ("resynthesis", "asr", "tts", "continuation", "storycloze")
VOCODER_TASKS = ("resynthesis", "tts", "continuation")  # tasks whose output is speech: they need the vocoder
SAMPLING_RATE = 16000
POOL_SIZE = 64  # rows of `shots_split` written as the few-shot pool
MAX_AUTO_SHOTS = 6
# Few-shot generation budgets sized for toy sentences (at most ~15 words, ~4 s of speech).
FEW_SHOT_MAX_NEW_TOKENS = {"asr": 64, "tts": 200}
FEW_SHOT_CONTEXT = {"asr": 1024, "tts": 2048}  # as recipes.eval.few_shot_tasks, capped by the model's context
CONTINUATION_SAMPLING = {"do_sample": True, "temperature": 0.8, "top_p": 0.95}
NUM_EXAMPLES = 5


# ----------------------------------------------------------------------------------------------------------------
# Text helpers (pure)
# ----------------------------------------------------------------------------------------------------------------
def spell_digits(text: str) -> str:
    """Digits as the toy corpus writes numbers: ``"at 11:30"`` → ``"at eleven:thirty"`` (0-999; larger kept)."""
    from processing.toy_text import number_words

    def repl(match):
        n = int(match.group(0))
        return f" {number_words(n)} " if n < 1000 else match.group(0)

    return re.sub(r"\d+", repl, str(text))


def normalize_words(text: str) -> List[str]:
    """Words as scored: digits spelled (:func:`spell_digits`), lower-cased, punctuation stripped (the ``wer``
    metric's normalisation)."""
    from ..metrics.wer.wer import normalize_text

    return normalize_text(spell_digits(text)).split()


def corpus_vocabulary(texts: Iterable[str]) -> Set[str]:
    """Every normalised word of ``texts`` (:func:`normalize_words`)."""
    vocab: Set[str] = set()
    for t in texts:
        vocab.update(normalize_words(t))
    return vocab


def in_vocabulary_fraction(transcripts: Sequence[str], vocabulary: Set[str]) -> Dict[str, Any]:
    """Of all words of ``transcripts`` (pooled, normalised), the fraction in ``vocabulary``.

    Returns ``{"fraction", "in_vocabulary", "words", "n", "mean_words", "empty_fraction"}``; ``fraction`` is NaN
    when there is no word at all.
    """
    counts = [normalize_words(t) for t in transcripts]
    words = sum(len(c) for c in counts)
    inside = sum(1 for c in counts for w in c if w in vocabulary)
    n = len(counts)
    return {"fraction": inside / words if words else float("nan"), "in_vocabulary": inside, "words": words, "n": n,
            "mean_words": words / n if n else float("nan"),
            "empty_fraction": sum(1 for c in counts if not c) / n if n else float("nan")}


def cut_point(words: Sequence[Dict[str, Any]], cut_fraction: float = 0.5) -> Optional[Tuple[int, float]]:
    """Where to cut a sentence in two: ``(k, seconds)`` -- the first ``k`` words (``n * cut_fraction`` rounded half
    up, kept in ``1 .. n-1``) and the time halfway between word ``k-1``'s end and word ``k``'s start (0-based).
    ``None`` for fewer than two words."""
    n = len(words)
    if n < 2:
        return None
    k = max(1, min(n - 1, int(math.floor(n * cut_fraction + 0.5))))
    t = 0.5 * (float(words[k - 1]["end"]) + float(words[k]["start"]))
    return k, t


def cut_sample(seconds: float, num_samples: int) -> int:
    """The sample index of a cut time (16 kHz), inside the audio."""
    return int(min(max(round(seconds * SAMPLING_RATE), 0), num_samples))


def _spoken_split(text: str, k: int) -> Tuple[str, str]:
    tokens = text.split()
    return " ".join(tokens[:k]), " ".join(tokens[k:])


def build_storycloze_pairs(rows: Sequence[Dict[str, Any]], num_items: int, cut_fraction: float = 0.5,
                           seed: int = 0) -> Tuple[List[Dict[str, Any]], List[Dict[str, Any]]]:
    """Pair each of the first ``num_items`` rows with a distractor row (pure; see the module docstring).

    ``rows``: dicts with ``text``, ``words``, ``speaker`` and ``sentence_id`` (no audio needed: lengths are the
    number of words after the cut, then the seconds from the cut to the last word's end). Returns
    ``(items, skipped)``: items ``{"row", "bad_row", "k", "cut", "bad_k", "bad_cut", "context_text", "good_text",
    "bad_text"}`` (row indices into ``rows``), skipped ``{"row", "reason"}``.
    """
    cuts = [cut_point(r["words"], cut_fraction) if len(r["words"]) == len(r["text"].split()) else None for r in rows]
    rng = random.Random(f"toy-storycloze-{seed}")
    items, skipped = [], []
    for i in range(min(num_items, len(rows))):
        r = rows[i]
        if cuts[i] is None:
            skipped.append({"row": i, "reason": "fewer than two words (or words do not match the text)"})
            continue
        k, t = cuts[i]
        context, good = _spoken_split(r["text"], k)
        good_norm = normalize_words(good)
        n_good, d_good = len(r["words"]) - k, float(r["words"][-1]["end"]) - t
        candidates = []
        for j, o in enumerate(rows):
            if j == i or cuts[j] is None or o["speaker"] != r["speaker"] or o["sentence_id"] == r["sentence_id"]:
                continue
            kj, tj = cuts[j]
            rest = _spoken_split(o["text"], kj)[1]
            if normalize_words(rest) == good_norm:
                continue
            d_rest = float(o["words"][-1]["end"]) - tj
            candidates.append((abs(len(o["words"]) - kj - n_good), round(abs(d_rest - d_good), 1), rng.random(), j))
        if not candidates:
            skipped.append({"row": i, "reason": f"no other sentence of the split is spoken by {r['speaker']!r} with a "
                                               "different ending"})
            continue
        j = min(candidates)[3]
        bad_k, bad_cut = cuts[j]
        items.append({"row": i, "bad_row": j, "k": k, "cut": t, "bad_k": bad_k, "bad_cut": bad_cut,
                      "context_text": context, "good_text": good,
                      "bad_text": _spoken_split(rows[j]["text"], bad_k)[1]})
    return items, skipped


# ----------------------------------------------------------------------------------------------------------------
# Corpus, audio, model
# ----------------------------------------------------------------------------------------------------------------
def _required_columns(tasks: Sequence[str]) -> List[str]:
    cols = {"audio", "text"}
    if {"continuation", "storycloze"} & set(tasks):
        cols.add("words")
    if {"resynthesis", "continuation", "storycloze"} & set(tasks):
        cols.add("speaker")
    if "storycloze" in tasks:
        cols.add("sentence_id")
    return sorted(cols)


def _load_corpus(corpus):
    """The corpus ``DatasetDict`` (from a folder or as given)."""
    from datasets import Dataset, DatasetDict, load_from_disk

    if isinstance(corpus, DatasetDict):
        return corpus
    if isinstance(corpus, Dataset):
        raise ValueError("`corpus` is a single Dataset; give the toy corpus DatasetDict (train/validation/test) or "
                         "its folder.")
    path = Path(str(corpus))
    if not path.is_dir():
        raise ValueError(f"The toy corpus folder {str(path)!r} does not exist; build it with `python -m "
                         f"processing.toy_corpus --output-dir {path}` (or pass the folder that holds it).")
    try:
        dd = load_from_disk(str(path))
    except FileNotFoundError as err:
        raise ValueError(f"{str(path)!r} is not a `save_to_disk` dataset folder ({err}); give the toy corpus folder "
                         "(built by `python -m processing.toy_corpus`).") from None
    if not isinstance(dd, DatasetDict):
        raise ValueError(f"{str(path)!r} holds a single Dataset, not a DatasetDict with splits; give the toy corpus "
                         "folder (train/validation/test).")
    return dd


def _split(dd, split: str, columns: Sequence[str], what: str):
    from datasets import Audio

    if split not in dd:
        raise ValueError(f"The corpus has no {split!r} split ({what}); its splits are {sorted(dd)}. Pass another "
                         "split name.")
    ds = dd[split]
    missing = [c for c in columns if c not in ds.column_names]
    if missing:
        raise ValueError(f"The corpus's {split!r} split lacks the column(s) {missing} that these tasks need; it has "
                         f"{ds.column_names}. Build the corpus with `processing.toy_corpus` (audio, text, words, "
                         "speaker, sentence_id) or drop the tasks that need them.")
    if len(ds) == 0:
        raise ValueError(f"The corpus's {split!r} split is empty ({what}).")
    if "audio" in columns:
        ds = ds.cast_column("audio", Audio(decode=False))
    return ds


def _decode_audio(cell) -> np.ndarray:
    """A ``decode=False`` audio cell (``{"bytes", "path"}``) → mono float32 at 16 kHz."""
    import soundfile as sf

    data = cell.get("bytes") if isinstance(cell, dict) else None
    source = io.BytesIO(data) if data else (cell.get("path") if isinstance(cell, dict) else cell)
    wav, rate = sf.read(source, dtype="float32", always_2d=True)
    wav = wav.mean(axis=1)
    if rate != SAMPLING_RATE:
        import torch

        from modeling_spirit.audio_utils import resample

        wav = resample(torch.from_numpy(wav), rate, SAMPLING_RATE).numpy()
    return np.ascontiguousarray(wav, dtype=np.float32)


def _read_rows(ds, indices: Sequence[int]) -> List[Dict[str, Any]]:
    rows = []
    for i in indices:
        row = dict(ds[int(i)])
        row["index"] = int(i)
        if "audio" in row:
            row["audio"] = _decode_audio(row["audio"])
            row["duration"] = len(row["audio"]) / SAMPLING_RATE
        rows.append(row)
    return rows


def _row_id(row: Dict[str, Any]) -> str:
    voice = re.sub(r"[^A-Za-z0-9]+", "_", str(row.get("speaker", "")).strip()).strip("_")
    sid = row.get("sentence_id", row["index"])
    return f"{row['index']:05d}-s{sid}" + (f"-{voice}" if voice else "")


def _write_wav(path: Path, wav: np.ndarray) -> None:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(wav, dtype=np.float32), SAMPLING_RATE, subtype="PCM_16")


def _write_jsonl(path: Path, records: Iterable[Dict[str, Any]]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return str(path)


def vocoder_speaker(vocoder, name: Optional[str]):
    """The vocoder speaker for a corpus voice: ``name`` when the vocoder has a speaker of that name, else ``None``
    (the vocoder's default)."""
    cfg = getattr(vocoder, "config", None)
    if name is not None and cfg is not None and getattr(cfg, "multispkr", False) and name in list(cfg.speakers or []):
        return name
    return None


def _check_model(pipe, tasks: Sequence[str]) -> None:
    if getattr(pipe, "speech_tokenizer", None) is None:
        raise ValueError(f"The tasks {list(tasks)} need the model's speech tokenizer, but the model has none: give a "
                         "Spirit LM folder with a `speech_tokenizer/` subfolder (or a pipeline built with "
                         "`speech_tokenizer=`).")
    needs = [t for t in tasks if t in VOCODER_TASKS]
    if needs and getattr(pipe, "vocoder", None) is None:
        raise ValueError(f"The tasks {needs} produce speech and need the model's vocoder, but the model has none: give "
                         "a Spirit LM folder with a `vocoder/` subfolder (or a pipeline built with `vocoder=`), or "
                         f"leave those tasks out (e.g. tasks={[t for t in tasks if t not in VOCODER_TASKS]}).")


@lru_cache(maxsize=None)
def _metric(name: str):
    from ..metrics import load_metric

    return load_metric(name)


def error_rate(name: str, hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level WER or CER in % (the local metric; NaN for no item)."""
    if not references:
        return float("nan")
    return 100.0 * _metric(name).compute(predictions=list(hypotheses), references=list(references))[name]


def parse_tasks(tasks) -> List[str]:
    if tasks is None or tasks == "all":
        return list(TOY_TASKS)
    if isinstance(tasks, str):
        tasks = [t for t in re.split(r"[,\s]+", tasks) if t]
    out = []
    for t in tasks:
        t = str(t).strip().lower()
        if t not in TOY_TASKS:
            raise ValueError(f"Unknown toy task {t!r}; allowed: {list(TOY_TASKS)} (or 'all').")
        out.append(t)
    if not out:
        raise ValueError(f"No task given; choose from {list(TOY_TASKS)}.")
    return list(dict.fromkeys(out))


# ----------------------------------------------------------------------------------------------------------------
# Generation from raw prompt strings (batched; the pipeline's own forward step)
# ----------------------------------------------------------------------------------------------------------------
def _generate(pipe, prompts: Sequence[str], budgets: Sequence[int], modality: str, batch_size: int, seed: int,
              progress: bool, desc: str) -> List[Dict[str, Any]]:
    """One segment per prompt (``{"type": "text", "text"}`` or ``{"type": "speech", "units"}``), sampled with
    :data:`CONTINUATION_SAMPLING` after ``set_seed(seed)``. Items are batched by budget; a batch generates its
    largest budget, cut so that the longest prompt + new tokens fit the model's context."""
    from transformers import set_seed

    from modeling_spirit.modeling_spirit_lm import OutputModality

    mod = OutputModality.parse(modality)
    limit = getattr(pipe.model.config, "max_position_embeddings", None)
    inputs = [{"prompt": p, "prompt_ids": pipe.tokenizer(p, add_special_tokens=True)["input_ids"]} for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: (budgets[i], i))
    out: List[Optional[Dict[str, Any]]] = [None] * len(prompts)
    set_seed(seed)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(order), desc=desc, unit="item")
    for start in range(0, len(order), batch_size):
        chunk = order[start:start + batch_size]
        max_new = max(budgets[i] for i in chunk)
        if limit is not None:
            max_new = min(max_new, limit - max(len(inputs[i]["prompt_ids"]) for i in chunk))
        if max_new < 1:
            for i in chunk:
                out[i] = {"type": modality, "text": "", "units": "", "error": "the prompt fills the context"}
            continue
        gen = {**CONTINUATION_SAMPLING, "max_new_tokens": int(max_new)}
        generated = pipe._forward([inputs[i] for i in chunk], output_modality=mod, generate_kwargs=gen)
        segments = pipe.processor.decode_generated([g["new_ids"] for g in generated],
                                                   [g["prompt_ids"] for g in generated], mod,
                                                   config=pipe.model.config)
        for i, segs in zip(chunk, segments):
            out[i] = segs[0] if segs else {"type": modality, "text": "", "units": ""}
        if bar is not None:
            bar.update(len(chunk))
    if bar is not None:
        bar.close()
    return out  # type: ignore[return-value]


def _vocode(vocoder, units: str, speaker) -> np.ndarray:
    if "[Hu" not in units:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(vocoder.decode(units, speaker_id=speaker), dtype=np.float32)


def _encode(speech_tokenizer, waves: Sequence[np.ndarray], batch_size: int) -> List[str]:
    out: List[str] = []
    for start in range(0, len(waves), batch_size):
        chunk = [w if len(w) else np.zeros(1, np.float32) for w in waves[start:start + batch_size]]
        if len(chunk) > 1:
            strings = speech_tokenizer.encode_string(chunk)
        else:
            strings = [speech_tokenizer.encode_string(chunk[0])]
        out.extend(strings)
    return out


def _judge(judge, waves: Sequence[np.ndarray], progress: bool, desc: str) -> List[str]:
    out: List[str] = []
    bar = None
    if progress and waves:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(waves), desc=desc, unit="utt")
    for start in range(0, len(waves), 8):
        out.extend(judge(list(waves[start:start + 8])))
        if bar is not None:
            bar.update(len(waves[start:start + 8]))
    if bar is not None:
        bar.close()
    return [spell_digits(t) for t in out]


def _n_tokens(pipe, text: str) -> int:
    return len(pipe.tokenizer(text, add_special_tokens=False)["input_ids"])


# ----------------------------------------------------------------------------------------------------------------
# The tasks
# ----------------------------------------------------------------------------------------------------------------
class _Run:
    """What every task shares: the pipeline, the judge, the rows, the work folder, the result."""

    def __init__(self, pipe, judge, rows, result, work_dir: Path, batch_size: int, seed: int, progress: bool,
                 cut_fraction: float):
        self.pipe, self.judge, self.rows, self.result = pipe, judge, rows, result
        self.work_dir, self.batch_size, self.seed, self.progress = work_dir, batch_size, seed, progress
        self.cut_fraction = cut_fraction
        self.pool_units: Optional[List[str]] = None

    def metric(self, task: str, name: str, key: str, value: float, n: int, label: str, unit: str, **extra):
        add_metric(self.result, name, f"{task}/{key}", float(value), int(n), task=task, label=label, unit=unit,
                   **extra)

    def speaker(self, row) -> Any:
        return vocoder_speaker(self.pipe.vocoder, row.get("speaker"))


def _resynthesis(run: _Run) -> Dict[str, Any]:
    rows = run.rows
    pipe = run.pipe
    units = _encode(pipe.speech_tokenizer, [r["audio"] for r in rows], run.batch_size)
    resynth = []
    bar = None
    if run.progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(rows), desc="resynthesis: vocoding", unit="utt")
    for r, u in zip(rows, units):
        resynth.append(_vocode(pipe.vocoder, u, run.speaker(r)))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    original_hyp = _judge(run.judge, [r["audio"] for r in rows], run.progress, "resynthesis: judge (original)")
    resynth_hyp = _judge(run.judge, resynth, run.progress, "resynthesis: judge (resynthesized)")
    refs = [r["text"] for r in rows]
    n = len(rows)
    overall = {side: {m: error_rate(m, hyp, refs) for m in ("wer", "cer")}
               for side, hyp in (("original", original_hyp), ("resynthesized", resynth_hyp))}
    for m in ("wer", "cer"):
        for side in ("original", "resynthesized"):
            run.metric("resynthesis", m, f"{side}/{m}", overall[side][m], n,
                       f"resynthesis {m.upper()} (%), {side} audio", "%")
    per_voice: Dict[str, Any] = {}
    voices = list(dict.fromkeys(r.get("speaker") for r in rows))
    for v in voices:
        idx = [i for i, r in enumerate(rows) if r.get("speaker") == v]
        vr = [refs[i] for i in idx]
        per_voice[str(v)] = {
            "n": len(idx), "vocoder_speaker": run.speaker(rows[idx[0]]),
            "original": {m: error_rate(m, [original_hyp[i] for i in idx], vr) for m in ("wer", "cer")},
            "resynthesized": {m: error_rate(m, [resynth_hyp[i] for i in idx], vr) for m in ("wer", "cer")},
        }
    if len(voices) > 1:
        for v in voices:
            pv = per_voice[str(v)]
            for side in ("original", "resynthesized"):
                run.metric("resynthesis", "wer", f"{side}/wer/{v}", pv[side]["wer"], pv["n"],
                           f"resynthesis WER (%), {side} audio, {v}", "%", voice=v)
    units_per_second = [u.count("[Hu") / max(r["duration"], 1e-9) for r, u in zip(rows, units)]
    return {"n": n, "overall": overall, "per_voice": per_voice,
            "mean_hubert_units_per_second": float(np.mean(units_per_second)) if units_per_second else float("nan"),
            "examples": [{"id": _row_id(r), "speaker": r.get("speaker"), "text": r["text"],
                          "original_transcript": o, "resynthesized_transcript": s}
                         for r, o, s in list(zip(rows, original_hyp, resynth_hyp))[:NUM_EXAMPLES]]}


def _few_shot_files(run: _Run, pool_rows) -> Tuple[str, str]:
    """Write the test rows and the shot pool as wav files + JSON-lines manifests; ``(test, pool)`` paths."""
    root = run.work_dir / "few_shot"
    shutil.rmtree(root, ignore_errors=True)  # this function's own folder: no stale wavs of an earlier run
    test = []
    for r in run.rows:
        rid = _row_id(r)
        _write_wav(root / "wav" / "test" / f"{rid}.wav", r["audio"])
        test.append({"id": rid, "audio": f"wav/test/{rid}.wav", "text": r["text"], "speaker": r.get("speaker")})
    pool = []
    for r in pool_rows:
        rid = _row_id(r)
        _write_wav(root / "wav" / "pool" / f"{rid}.wav", r["audio"])
        pool.append({"id": rid, "audio": f"wav/pool/{rid}.wav", "text": r["text"], "speaker": r.get("speaker")})
    return _write_jsonl(root / "test.jsonl", test), _write_jsonl(root / "pool.jsonl", pool)


def auto_shots(pipe, pool_rows, task: str, max_new_tokens: int, batch_size: int = 8, sample: int = 8,
               units: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """The number of shots that fits the context: the longest of the first ``sample`` pool examples (tokens of
    ``[Speech]<units>[Text]<text>``) times k, plus the longest query and ``max_new_tokens``, must fit
    ``min(FEW_SHOT_CONTEXT[task], model context)``; k in ``1 .. min(MAX_AUTO_SHOTS, pool size)``. ``units``: the
    unit strings of those examples when already encoded."""
    from ..common import context_limit

    model_ctx = context_limit(pipe)
    ctx = min(c for c in (FEW_SHOT_CONTEXT[task], model_ctx) if c)
    rows = list(pool_rows[:sample])
    if units is None:
        units = _encode(pipe.speech_tokenizer, [r["audio"] for r in rows], batch_size)
    units = list(units)[:len(rows)]
    example = [_n_tokens(pipe, f"[Speech]{u}[Text]{r['text']}") for r, u in zip(rows, units)]
    query = max(_n_tokens(pipe, u) if task == "asr" else _n_tokens(pipe, r["text"]) for r, u in zip(rows, units)) + 2
    room = ctx - max_new_tokens - query - 1
    k = int(room // max(max(example), 1)) if room > 0 else 1
    k = max(1, min(k, MAX_AUTO_SHOTS, len(pool_rows)))
    return {"shots": k, "context": ctx, "max_example_tokens": max(example), "mean_example_tokens":
            float(np.mean(example)), "max_query_tokens": query}


def _few_shot(run: _Run, task: str, manifests: Tuple[str, str], pool_rows, shots, max_new: int) -> Dict[str, Any]:
    from ..few_shot_tasks import evaluate_few_shot

    test, pool = manifests
    estimate = None
    if shots is None:
        if run.pool_units is None:  # shared by asr and tts
            run.pool_units = _encode(run.pipe.speech_tokenizer, [r["audio"] for r in pool_rows[:8]], run.batch_size)
        estimate = auto_shots(run.pipe, pool_rows, task, max_new, run.batch_size, units=run.pool_units)
        k = estimate["shots"]
    else:
        k = int(shots)
    sub = evaluate_few_shot(task, run.pipe, test, shots=k, shots_data=pool, seed=run.seed,
                            context=FEW_SHOT_CONTEXT[task], max_new_tokens=max_new, batch_size=run.batch_size,
                            judge=run.judge if task == "tts" else None, progress=run.progress, save_items=True)
    items = sub.get("items", [])
    n = len(items)
    if task == "asr":
        wer = next(m["value"] for m in sub["metrics"] if m["name"] == "wer")
        run.metric("asr", "wer", "wer", wer, n, f"few-shot ASR WER (%), {k} shots", "%")
    else:
        hyps = [spell_digits(i["hypothesis"]) for i in items]
        refs = [i["reference"] for i in items]
        run.metric("tts", "wer", "wer", error_rate("wer", hyps, refs), n, f"few-shot TTS judge WER (%), {k} shots", "%")
        run.metric("tts", "cer", "cer", error_rate("cer", hyps, refs), n, f"few-shot TTS judge CER (%), {k} shots", "%")
    run.result["notes"].extend(f"{task}: {note}" for note in sub.get("notes", []))
    mean_shots = next(m for m in sub["metrics"] if m["key"] == "mean_shots")
    run.metric(task, "shots", "mean_shots", mean_shots["value"], mean_shots["n"], f"{task}: mean shots per prompt",
               "count")
    examples = [{"id": i["id"], "reference": i["reference"], "hypothesis": i["hypothesis"], "shots": i["shots"]}
                for i in items[:NUM_EXAMPLES]]
    sub.pop("items", None)
    return {"shots": k, "auto_shots": estimate, "max_new_tokens": max_new, "examples": examples, "result": sub}


def _continuation(run: _Run, vocabulary: Set[str], max_speech_tokens: Optional[int]) -> Dict[str, Any]:
    pipe = run.pipe
    items = []
    skipped = 0
    for r in run.rows:
        c = cut_point(r["words"], run.cut_fraction) if len(r["words"]) == len(r["text"].split()) else None
        if c is None:
            skipped += 1
            continue
        k, t = c
        i = cut_sample(t, len(r["audio"]))
        prompt_text, rest_text = _spoken_split(r["text"], k)
        items.append({"row": r, "k": k, "cut": t, "prompt_audio": r["audio"][:i], "rest_audio": r["audio"][i:],
                      "prompt_text": prompt_text, "rest_text": rest_text})
    units = _encode(pipe.speech_tokenizer, [it["prompt_audio"] for it in items], run.batch_size)
    speech_prompts, speech_budgets = [], []
    for it, u in zip(items, units):
        rate = _n_tokens(pipe, u) / max(len(it["prompt_audio"]) / SAMPLING_RATE, 1e-3)
        rest_seconds = max(float(it["row"]["words"][-1]["end"]) - it["cut"], 0.1)  # speech, not trailing silence
        budget = int(math.ceil(1.5 * rate * rest_seconds)) + 4
        speech_prompts.append(f"[Speech]{u}")
        speech_budgets.append(min(budget, max_speech_tokens) if max_speech_tokens else budget)
    text_prompts = [f"[Text]{it['prompt_text']}" for it in items]
    text_budgets = [int(math.ceil(1.5 * _n_tokens(pipe, " " + it["rest_text"]))) + 4 for it in items]

    speech_out = _generate(pipe, speech_prompts, speech_budgets, "speech", run.batch_size, run.seed, run.progress,
                           "continuation: speech")
    waves = [_vocode(pipe.vocoder, s.get("units", ""), run.speaker(it["row"])) for it, s in zip(items, speech_out)]
    speech_hyp = _judge(run.judge, waves, run.progress, "continuation: judge (generated)")
    reference_hyp = _judge(run.judge, [it["rest_audio"] for it in items], run.progress,
                           "continuation: judge (true rest)")
    text_out = _generate(pipe, text_prompts, text_budgets, "text", run.batch_size, run.seed, run.progress,
                         "continuation: text")
    text_hyp = [s.get("text", "") for s in text_out]

    stats = {"speech": in_vocabulary_fraction(speech_hyp, vocabulary),
             "speech_reference": in_vocabulary_fraction(reference_hyp, vocabulary),
             "text": in_vocabulary_fraction(text_hyp, vocabulary)}
    labels = {"speech": "speech continuation: in-vocabulary word fraction (%)",
              "speech_reference": "true rest of the sentence (judge): in-vocabulary word fraction (%)",
              "text": "text continuation: in-vocabulary word fraction (%)"}
    for key, s in stats.items():
        run.metric("continuation", "in_vocabulary", f"{key}/in_vocabulary", s["fraction"], s["n"], labels[key],
                   "fraction", words=s["words"])
    run.metric("continuation", "words", "speech/mean_words", stats["speech"]["mean_words"], stats["speech"]["n"],
               "speech continuation: mean words transcribed", "count")
    run.metric("continuation", "words", "text/mean_words", stats["text"]["mean_words"], stats["text"]["n"],
               "text continuation: mean words", "count")
    examples = [{"id": _row_id(it["row"]), "speaker": it["row"].get("speaker"), "prompt_text": it["prompt_text"],
                 "true_rest": it["rest_text"], "speech_continuation_transcript": sh,
                 "speech_continuation_seconds": round(len(w) / SAMPLING_RATE, 2), "text_continuation": th}
                for it, sh, w, th in list(zip(items, speech_hyp, waves, text_hyp))[:NUM_EXAMPLES]]
    return {"n": len(items), "skipped": skipped, "stats": stats, "vocabulary_size": len(vocabulary),
            "speech_max_new_tokens": {"min": min(speech_budgets, default=0), "max": max(speech_budgets, default=0)},
            "examples": examples}


def _storycloze(run: _Run, ds, num_items: int) -> Dict[str, Any]:
    from ..zero_shot import evaluate_zero_shot

    meta = ds.select_columns(["text", "words", "speaker", "sentence_id"]).to_list()
    for i, m in enumerate(meta):
        m["index"] = i
    items, skipped = build_storycloze_pairs(meta, num_items, run.cut_fraction, run.seed)
    if not items:
        raise ValueError(f"No StoryCloze item could be built from the {len(meta)} rows of the split: "
                         f"{skipped[0]['reason'] if skipped else 'no rows'}. The split needs at least two sentences "
                         "per voice with different endings.")
    needed = sorted({it["row"] for it in items} | {it["bad_row"] for it in items})
    have = {r["index"]: r for r in run.rows}
    decoded = {r["index"]: r for r in _read_rows(ds, [j for j in needed if j not in have])}
    split_rows = {j: have.get(j) or decoded[j] for j in needed}
    root = run.work_dir / "storycloze"
    shutil.rmtree(root, ignore_errors=True)
    written: Dict[int, Tuple[str, str]] = {}

    def cut_files(j: int, t: float) -> Tuple[str, str]:
        if j not in written:
            r = split_rows[j]
            i = cut_sample(t, len(r["audio"]))
            rid = _row_id(r)
            _write_wav(root / "wav" / f"{rid}_context.wav", r["audio"][:i])
            _write_wav(root / "wav" / f"{rid}_rest.wav", r["audio"][i:])
            written[j] = (f"wav/{rid}_context.wav", f"wav/{rid}_rest.wav")
        return written[j]

    records = []
    for it in items:
        ctx_wav, good_wav = cut_files(it["row"], it["cut"])
        _, bad_wav = cut_files(it["bad_row"], it["bad_cut"])
        r, b = split_rows[it["row"]], split_rows[it["bad_row"]]
        records.append({"id": _row_id(r), "speaker": r.get("speaker"), "bad_id": _row_id(b),
                        "context_text": it["context_text"], "good_text": it["good_text"], "bad_text": it["bad_text"],
                        "context_audio": ctx_wav, "good_audio": good_wav, "bad_audio": bad_wav,
                        "cut_seconds": round(it["cut"], 4), "bad_cut_seconds": round(it["bad_cut"], 4)})
    manifest = _write_jsonl(root / "storycloze.jsonl", records)
    sub = evaluate_zero_shot("storycloze", run.pipe, manifest, modes="all", batch_size=run.batch_size,
                             progress=run.progress)
    run.result["notes"].extend(f"storycloze: {note}" for note in sub.get("notes", []))
    if skipped:
        run.result["notes"].append(f"storycloze: {len(skipped)} row(s) gave no item (see details.storycloze.skipped).")
    accuracies: Dict[str, Dict[str, float]] = {}
    for m in sub["metrics"]:
        accuracies.setdefault(m["mode"], {})[m["scoring"]] = m["value"]
        if m["scoring"] == "mean":
            run.metric("storycloze", "accuracy", f"{m['mode']}/mean", m["value"], m["n"],
                       f"toy StoryCloze accuracy (%), {m['mode']}", "fraction", mode=m["mode"])
    return {"n": len(records), "skipped": skipped, "manifest": manifest, "accuracy": accuracies,
            "examples": [{k: rec[k] for k in ("id", "bad_id", "context_text", "good_text", "bad_text")}
                         for rec in records[:NUM_EXAMPLES]],
            "result": sub}


# ----------------------------------------------------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------------------------------------------------
def evaluate_toy(
    model,
    corpus,
    split: str = "test",
    output: Optional[str] = None,
    tasks: Union[str, Sequence[str]] = TOY_TASKS,
    limit: Optional[int] = None,
    shots: Optional[int] = None,
    shots_split: str = "train",
    seed: int = 0,
    judge=None,
    batch_size: int = 8,
    progress: bool = True,
    work_dir: Optional[str] = None,
    cut_fraction: float = 0.5,
    max_new_tokens: Optional[Dict[str, int]] = None,
    device: Optional[str] = None,
) -> Dict[str, Any]:
    """Evaluate a Spirit LM on held-out sentences of the toy corpus (see the module docstring for every metric).

    Args:
        model: a Spirit LM folder / Hub id (with ``speech_tokenizer/`` and ``vocoder/``) or a ``pipeline("spirit-lm")``.
        corpus: the toy corpus folder (``save_to_disk`` ``DatasetDict``) or the ``DatasetDict``.
        split (`str`, defaults to ``"test"``): the held-out split evaluated.
        output (`str`, *optional*): write the JSON result here.
        tasks: any of ``resynthesis``, ``asr``, ``tts``, ``continuation``, ``storycloze`` (list or comma-separated).
        limit (`int`, *optional*): only the first ``limit`` rows of ``split`` (rows are ordered by sentence, then
            voice); StoryCloze distractors still come from the whole split.
        shots (`int`, *optional*): few-shot examples per prompt; default: per task, as many as fit the context
            (:func:`auto_shots`, at most ``MAX_AUTO_SHOTS``).
        shots_split (`str`, defaults to ``"train"``): the split the shots are drawn from (a seeded sample of at most
            ``POOL_SIZE`` rows; ``evaluate_few_shot`` then draws ``shots`` of them with ``seed``).
        seed (`int`, defaults to 0): the shot draw, the distractor ties and the continuation sampling.
        judge: the ASR judge (``None``: faster-whisper Whisper tiny.en; a path; or a callable waves → transcripts).
        batch_size (`int`, defaults to 8): generation, likelihood and encoding batches.
        progress (`bool`, defaults to `True`): tqdm bars.
        work_dir (`str`, *optional*): where the wavs and manifests go (kept); default a temporary folder, removed
            at the end.
        cut_fraction (`float`, defaults to 0.5): where sentences are cut (continuation, storycloze).
        max_new_tokens (`dict`, *optional*): overrides of ``{"asr": 64, "tts": 200}`` and ``"continuation"`` (a cap on
            the speech continuation's budget).
        device (`str`, *optional*): the model's device (default: cuda when available).

    Returns:
        The result dict (``task="toy"``; see the module docstring), also written to ``output`` when given.
    """
    from ..common import load_spirit

    started = time.time()
    tasks = parse_tasks(tasks)
    if limit is not None and int(limit) < 1:
        raise ValueError(f"`limit` is {limit}; give a positive number of rows (or None for the whole split).")
    if not 0.0 < float(cut_fraction) < 1.0:
        raise ValueError(f"`cut_fraction` is {cut_fraction}; it must be strictly between 0 and 1.")
    if shots is not None and int(shots) < 1:
        raise ValueError(f"`shots` is {shots}; give at least 1 (or None for as many as fit the context).")
    budgets = {**FEW_SHOT_MAX_NEW_TOKENS, **(max_new_tokens or {})}
    unknown = set(budgets) - {"asr", "tts", "continuation"}
    if unknown:
        raise ValueError(f"`max_new_tokens` has unknown key(s) {sorted(unknown)}; allowed: asr, tts, continuation.")

    # 1. the data (checked before any model is loaded)
    dd = _load_corpus(corpus)
    columns = _required_columns(tasks)
    test_ds = _split(dd, split, columns, "the evaluated split")
    indices = list(range(min(len(test_ds), int(limit) if limit else len(test_ds))))
    pool_ds = None
    if {"asr", "tts"} & set(tasks):
        pool_ds = _split(dd, shots_split, ["audio", "text"], "the few-shot pool, `shots_split`")
        if shots is not None and int(shots) > min(POOL_SIZE, len(pool_ds)):
            raise ValueError(f"shots={shots} but the shot pool ({shots_split!r} split) has only "
                             f"{min(POOL_SIZE, len(pool_ds))} rows; lower `shots`.")
    vocab_ds = None
    if "continuation" in tasks:
        vocab_ds = _split(dd, "train", ["text"], "the vocabulary of the continuation task")

    # 2. the model and the judge
    pipe, model_path = load_spirit(model, device=device)
    _check_model(pipe, tasks)
    judge_obj = None
    if {"resynthesis", "tts", "continuation"} & set(tasks):
        from ..judges import load_asr_judge

        judge_obj = load_asr_judge(judge)

    corpus_name = str(corpus) if not hasattr(corpus, "keys") else "<DatasetDict>"
    settings = {"split": split, "tasks": tasks, "limit": limit, "seed": seed, "shots": shots,
                "shots_split": shots_split, "pool_size": POOL_SIZE, "cut_fraction": cut_fraction,
                "batch_size": batch_size, "max_new_tokens": budgets, "continuation_sampling": CONTINUATION_SAMPLING,
                "judge": getattr(judge_obj, "name", None if judge_obj is None else type(judge_obj).__name__),
                "judge_text": "digits spelled as the corpus (number_words), then lower-cased, punctuation stripped",
                "work_dir": work_dir}
    result = new_result("toy", model_path, corpus_name, settings)
    tmp = None
    if work_dir is None:
        tmp = tempfile.mkdtemp(prefix="toy-eval-")
        root = Path(tmp)
    else:
        root = Path(work_dir)
        root.mkdir(parents=True, exist_ok=True)
    try:
        rows = _read_rows(test_ds, indices)
        result["n_items"] = len(rows)
        result["voices"] = sorted({str(r.get("speaker")) for r in rows if r.get("speaker") is not None})
        if pipe.vocoder is not None and result["voices"]:
            settings["vocoder_speakers"] = {v: vocoder_speaker(pipe.vocoder, v) for v in result["voices"]}
        run = _Run(pipe, judge_obj, rows, result, root, batch_size, seed, progress, cut_fraction)
        details: Dict[str, Any] = {}
        seconds: Dict[str, float] = {}
        pool_rows = None
        if pool_ds is not None:
            pick = sorted(random.Random(f"toy-pool-{seed}").sample(range(len(pool_ds)), min(POOL_SIZE, len(pool_ds))))
            pool_rows = _read_rows(pool_ds, pick)
            manifests = _few_shot_files(run, pool_rows)
        for task in tasks:
            t0 = time.time()
            if task == "resynthesis":
                details[task] = _resynthesis(run)
            elif task in ("asr", "tts"):
                details[task] = _few_shot(run, task, manifests, pool_rows, shots, budgets[task])
            elif task == "continuation":
                vocabulary = corpus_vocabulary(vocab_ds["text"])
                details[task] = _continuation(run, vocabulary, budgets.get("continuation"))
            elif task == "storycloze":
                details[task] = _storycloze(run, test_ds, len(rows))
            seconds[task] = round(time.time() - t0, 2)
        settings["shots_used"] = {t: details[t]["shots"] for t in ("asr", "tts") if t in details}
        result["details"] = details
        result["seconds"] = {**seconds, "total": round(time.time() - started, 2)}
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    if tmp is not None:
        result["notes"].append("wavs and manifests were written to a temporary folder and removed; pass work_dir= "
                               "(--work-dir) to keep them.")
    if output:
        write_result(result, output)
    return result


def _format_value(m: Dict[str, Any]) -> str:
    v = m["value"]
    if v is None or v != v:
        return "nan"
    unit = m.get("unit")
    if unit == "fraction":
        return f"{100 * v:.1f}"
    if unit == "%":
        return f"{v:.1f}"
    return f"{v:.2f}"


def format_toy_table(result: Dict[str, Any]) -> str:
    """The metrics of :func:`evaluate_toy` as a markdown table (metric | value | n); percentages as numbers."""
    lines = ["| metric | value | n |", "|---|---:|---:|"]
    for m in result["metrics"]:
        label = m.get("label") or f"{m['name']} {m['key']}"
        lines.append(f"| {label} | {_format_value(m)} | {m['n']} |")
    return "\n".join(lines)


__all__ = ["evaluate_toy", "format_toy_table", "TOY_TASKS", "auto_shots", "build_storycloze_pairs",
           "corpus_vocabulary", "cut_point", "in_vocabulary_fraction", "normalize_words", "spell_digits",
           "vocoder_speaker"]
