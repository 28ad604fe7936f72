# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy evaluation's entry point: :func:`evaluate_toy` checks the data and the model, then runs the requested tasks
(one module each) and gathers one result; :func:`format_toy_table` renders its metrics."""

import random
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence, Union

from ..common import load_spirit
from ..judges import load_asr_judge
from ..results import new_result, write_result
from .common import TOY_TASKS, ToyRun, check_model, parse_tasks, vocoder_speaker
from .continuation import run_continuation
from .data import corpus_split, load_corpus, read_rows, required_columns
from .few_shot import FEW_SHOT_MAX_NEW_TOKENS, POOL_SIZE, run_few_shot, write_few_shot_files
from .generation import CONTINUATION_SAMPLING
from .resynthesis import run_resynthesis
from .storycloze import run_storycloze
from .text import corpus_vocabulary


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
    dd = load_corpus(corpus)
    columns = required_columns(tasks)
    test_ds = corpus_split(dd, split, columns, "the evaluated split")
    indices = list(range(min(len(test_ds), int(limit) if limit else len(test_ds))))
    pool_ds = None
    if {"asr", "tts"} & set(tasks):
        pool_ds = corpus_split(dd, shots_split, ["audio", "text"], "the few-shot pool, `shots_split`")
        if shots is not None and int(shots) > min(POOL_SIZE, len(pool_ds)):
            raise ValueError(f"shots={shots} but the shot pool ({shots_split!r} split) has only "
                             f"{min(POOL_SIZE, len(pool_ds))} rows; lower `shots`.")
    vocab_ds = None
    if "continuation" in tasks:
        vocab_ds = corpus_split(dd, "train", ["text"], "the vocabulary of the continuation task")

    # 2. the model and the judge
    pipe, model_path = load_spirit(model, device=device)
    check_model(pipe, tasks)
    judge_obj = None
    if {"resynthesis", "tts", "continuation"} & set(tasks):
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
        rows = read_rows(test_ds, indices)
        result["n_items"] = len(rows)
        result["voices"] = sorted({str(r.get("speaker")) for r in rows if r.get("speaker") is not None})
        if pipe.vocoder is not None and result["voices"]:
            settings["vocoder_speakers"] = {v: vocoder_speaker(pipe.vocoder, v) for v in result["voices"]}
        run = ToyRun(pipe, judge_obj, rows, result, root, batch_size, seed, progress, cut_fraction)
        details: Dict[str, Any] = {}
        seconds: Dict[str, float] = {}
        pool_rows = None
        if pool_ds is not None:
            pick = sorted(random.Random(f"toy-pool-{seed}").sample(range(len(pool_ds)), min(POOL_SIZE, len(pool_ds))))
            pool_rows = read_rows(pool_ds, pick)
            manifests = write_few_shot_files(run, pool_rows)
        for task in tasks:
            t0 = time.time()
            if task == "resynthesis":
                details[task] = run_resynthesis(run)
            elif task in ("asr", "tts"):
                details[task] = run_few_shot(run, task, manifests, pool_rows, shots, budgets[task])
            elif task == "continuation":
                vocabulary = corpus_vocabulary(vocab_ds["text"])
                details[task] = run_continuation(run, vocabulary, budgets.get("continuation"))
            elif task == "storycloze":
                details[task] = run_storycloze(run, test_ds, len(rows))
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


def format_metric_value(m: Dict[str, Any]) -> str:
    """A toy metric's value as its label reads it: a ``fraction`` as a percentage, ``%`` as it is, others to 2
    decimals (``nan`` for a missing value)."""
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
        lines.append(f"| {label} | {format_metric_value(m)} | {m['n']} |")
    return "\n".join(lines)


__all__ = ["evaluate_toy", "format_metric_value", "format_toy_table"]
