# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Zero-shot likelihood tasks (paper Table 4 modes, Table 10 scorings): sWUGGY, sBLIMP, Spoken StoryCloze (SC) and
Topic-StoryCloze (tSC).

Each item is a pair (a good and a bad candidate); the model is right when the good one is more likely. Two
scorings: ``sum`` (summed log-likelihood of the candidate's tokens, Table 10 "plain") and ``mean``
(token-normalised, the paper's main Table 4 numbers). Ties count one half.

Modes and the scored strings (``ctx`` is the story context, empty for sWUGGY/sBLIMP; the prompt is conditioned on,
only the candidate is scored):

======  =======================================  ================================
mode    prompt                                   scored candidate
======  =======================================  ================================
T       ``[Text]`` + ctx_text                    (space +) candidate text
S       ``[Speech]`` + ctx units                 candidate units
T>S     ``[Text]`` + ctx_text + ``[Speech]``     candidate units
S>T     ``[Speech]`` + ctx units + ``[Text]``    candidate text
======  =======================================  ================================

Manifest (JSON lines; audio paths relative to the manifest's folder)::

    {"id": "w1", "good_text": "brick", "bad_text": "blick", "good_audio": "wav/w1_good.wav", "bad_audio": "wav/w1_bad.wav"}
    {"id": "s1", "context_text": "...", "context_audio": "wav/s1_ctx.wav", "good_text": "...", "bad_text": "...",
     "good_audio": "wav/s1_good.wav", "bad_audio": "wav/s1_bad.wav"}

Stories without ``context_audio`` are scored in S mode as whole recordings (the official spoken StoryCloze files
hold context + ending in one wav; the shared context then cancels out of ``sum``).
"""

import time
from pathlib import Path
from typing import Any, Dict, Optional, Sequence

from modeling_spirit.constants import SPEECH_MARKER, TEXT_MARKER

from .common import load_spirit
from .data import AudioCache, read_manifest, resolve_audio
from .likelihood import pair_accuracy, sequence_logprobs
from .results import add_failures, add_metric, model_variant, new_result
from .zero_shot_modes import STORY_TASKS, TASK_MODES, mode_sides, parse_modes, required_fields

SCORINGS = ("sum", "mean")


def build_pairs(task: str, mode: str, record: Dict[str, Any], units) -> tuple:
    """``(prompt, good_continuation, bad_continuation)`` strings for one record; ``units(field)`` gives the unit
    string of an audio field."""
    story = task in STORY_TASKS
    ctx_text = record.get("context_text") or "" if story else ""
    if mode == "T":
        sep = " " if ctx_text and not ctx_text.endswith((" ", "\n")) else ""
        return TEXT_MARKER + ctx_text, sep + record["good_text"], sep + record["bad_text"]
    if mode == "S":
        ctx = units("context_audio") if story and record.get("context_audio") else ""
        return SPEECH_MARKER + ctx, units("good_audio"), units("bad_audio")
    if mode == "T>S":
        return TEXT_MARKER + ctx_text + SPEECH_MARKER, units("good_audio"), units("bad_audio")
    return SPEECH_MARKER + units("context_audio") + TEXT_MARKER, record["good_text"], record["bad_text"]


def evaluate_zero_shot(
    task: str,
    model,
    data,
    modes=None,
    scorings: Sequence[str] = SCORINGS,
    batch_size: int = 8,
    padding_side: str = "right",
    limit: Optional[int] = None,
    audio_root: Optional[str] = None,
    progress: bool = True,
    save_items: bool = False,
    device: Optional[str] = None,
) -> Dict[str, Any]:
    """Run one zero-shot likelihood task; returns the result dict (see :mod:`recipes.eval.results`).

    Args:
        task: ``"swuggy"``, ``"sblimp"``, ``"storycloze"`` or ``"topic-storycloze"``.
        model: a Spirit LM folder / Hub id, or a ``pipeline("spirit-lm")``.
        data: the JSON-lines manifest (layout in the module docstring and ``recipes/eval/README.md``).
        modes: subset of ``T``, ``S``, ``T>S``, ``S>T`` (comma-separated string or list; default all the task has).
        scorings: ``"sum"`` and/or ``"mean"`` (token-normalised).
        batch_size, padding_side: for :func:`sequence_logprobs` (and audio encoding).
        limit: only the first ``limit`` records.
        save_items: keep per-item scores in ``result["items"]``.
    """
    if task not in TASK_MODES:
        raise ValueError(f"Unknown zero-shot task {task!r}; allowed: {list(TASK_MODES)}.")
    modes = parse_modes(task, modes)
    for s in scorings:
        if s not in SCORINGS:
            raise ValueError(f"Unknown scoring {s!r}; allowed: {list(SCORINGS)}.")
    records = read_manifest(data, required=required_fields(task, modes), task=task)
    if limit:
        records = records[:limit]
    pipe, model_path = load_spirit(model, device=device)
    started = time.time()
    settings = {"modes": modes, "scorings": list(scorings), "batch_size": batch_size, "padding_side": padding_side,
                "limit": limit, "ties": "count one half"}
    result = new_result(task, model_path, data, settings)
    result["n_items"] = len(records)
    base = Path(audio_root) if audio_root else Path(data).resolve().parent

    # Encode every audio the requested modes need, once, in batches.
    audio_fields = sorted({f for m in modes for f in ("context_audio", "good_audio", "bad_audio")
                           if (mode_sides(m, True)["candidate"] == "audio" and f != "context_audio")
                           or (mode_sides(m, True)["context"] == "audio" and f == "context_audio")})
    cache = AudioCache(pipe.speech_tokenizer if audio_fields else None, batch_size, progress)
    if audio_fields:
        cache.encode(resolve_audio(r[f], base) for r in records for f in audio_fields if r.get(f))
    kept, failures = [], []
    for r in records:
        errors = [f"{f}: {cache.get(resolve_audio(r[f], base))[1]}" for f in audio_fields
                  if r.get(f) and cache.get(resolve_audio(r[f], base))[1]]
        if errors:
            failures.append({"id": r["id"], "line": r["_line"], "error": "; ".join(errors)})
        else:
            kept.append(r)
    add_failures(result, failures)

    items = [{"id": r["id"]} for r in kept]
    for mode in modes:
        prompts, conts = [], []
        for r in kept:
            prompt, good, bad = build_pairs(task, mode, r, lambda f, r=r: cache.get(resolve_audio(r[f], base))[0])
            prompts += [prompt, prompt]
            conts += [good, bad]
        scores = sequence_logprobs(pipe.model, pipe.tokenizer, prompts, conts, batch_size=batch_size,
                                   padding_side=padding_side, progress=f"{task} {mode}" if progress else False)
        for scoring in scorings:
            good = [scores[2 * i][scoring] for i in range(len(kept))]
            bad = [scores[2 * i + 1][scoring] for i in range(len(kept))]
            add_metric(result, "accuracy", f"{mode}/{scoring}", pair_accuracy(good, bad), len(kept),
                       model_variant(pipe.model), mode=mode, scoring=scoring)
        for i, item in enumerate(items):
            item[mode] = {"good": scores[2 * i], "bad": scores[2 * i + 1]}
    if save_items:
        result["items"] = items
    result["seconds"] = round(time.time() - started, 2)
    return result


__all__ = ["evaluate_zero_shot", "TASK_MODES", "SCORINGS", "build_pairs", "parse_modes"]
