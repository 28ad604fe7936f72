# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The ``asr`` and ``tts`` tasks: few-shot ASR and TTS by :func:`recipes.eval.few_shot_tasks.evaluate_few_shot` on the
rows written as wav files + manifests, with shots drawn from a pool of ``shots_split``; as many shots as fit the
context unless given (:func:`auto_shots`)."""

import shutil
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from modeling_spirit.constants import SPEECH_MARKER, TEXT_MARKER

from ..common import context_limit
from ..few_shot_tasks import evaluate_few_shot
from .common import NUM_EXAMPLES, ToyRun, error_rate
from .data import row_id, write_jsonl, write_wav
from .generation import encode_strings, num_tokens
from .text import spell_digits

POOL_SIZE = 64  # rows of `shots_split` written as the few-shot pool
MAX_AUTO_SHOTS = 6
# Few-shot generation budgets sized for toy sentences (at most ~15 words, ~4 s of speech).
FEW_SHOT_MAX_NEW_TOKENS = {"asr": 64, "tts": 200}
FEW_SHOT_CONTEXT = {"asr": 1024, "tts": 2048}  # as recipes.eval.few_shot_tasks, capped by the model's context


def write_few_shot_files(run: ToyRun, pool_rows) -> Tuple[str, str]:
    """Write the test rows and the shot pool as wav files + JSON-lines manifests; ``(test, pool)`` paths."""
    root = run.work_dir / "few_shot"
    shutil.rmtree(root, ignore_errors=True)  # this function's own folder: no stale wavs of an earlier run
    test = []
    for r in run.rows:
        rid = row_id(r)
        write_wav(root / "wav" / "test" / f"{rid}.wav", r["audio"])
        test.append({"id": rid, "audio": f"wav/test/{rid}.wav", "text": r["text"], "speaker": r.get("speaker")})
    pool = []
    for r in pool_rows:
        rid = row_id(r)
        write_wav(root / "wav" / "pool" / f"{rid}.wav", r["audio"])
        pool.append({"id": rid, "audio": f"wav/pool/{rid}.wav", "text": r["text"], "speaker": r.get("speaker")})
    return write_jsonl(root / "test.jsonl", test), write_jsonl(root / "pool.jsonl", pool)


def auto_shots(pipe, pool_rows, task: str, max_new_tokens: int, batch_size: int = 8, sample: int = 8,
               units: Optional[Sequence[str]] = None) -> Dict[str, Any]:
    """The number of shots that fits the context: the longest of the first ``sample`` pool examples (tokens of
    ``[Speech]<units>[Text]<text>``) times k, plus the longest query and ``max_new_tokens``, must fit
    ``min(FEW_SHOT_CONTEXT[task], model context)``; k in ``1 .. min(MAX_AUTO_SHOTS, pool size)``. ``units``: the
    unit strings of those examples when already encoded."""
    model_ctx = context_limit(pipe)
    ctx = min(c for c in (FEW_SHOT_CONTEXT[task], model_ctx) if c)
    rows = list(pool_rows[:sample])
    if units is None:
        units = encode_strings(pipe.speech_tokenizer, [r["audio"] for r in rows], batch_size)
    units = list(units)[:len(rows)]
    example = [num_tokens(pipe, f"{SPEECH_MARKER}{u}{TEXT_MARKER}{r['text']}") for r, u in zip(rows, units)]
    query = max(num_tokens(pipe, u) if task == "asr" else num_tokens(pipe, r["text"]) for r, u in zip(rows, units)) + 2
    room = ctx - max_new_tokens - query - 1
    k = int(room // max(max(example), 1)) if room > 0 else 1
    k = max(1, min(k, MAX_AUTO_SHOTS, len(pool_rows)))
    return {"shots": k, "context": ctx, "max_example_tokens": max(example), "mean_example_tokens":
            float(np.mean(example)), "max_query_tokens": query}


def run_few_shot(run: ToyRun, task: str, manifests: Tuple[str, str], pool_rows, shots, max_new: int) -> Dict[str, Any]:
    test, pool = manifests
    estimate = None
    if shots is None:
        if run.pool_units is None:  # shared by asr and tts
            run.pool_units = encode_strings(run.pipe.speech_tokenizer, [r["audio"] for r in pool_rows[:8]],
                                            run.batch_size)
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


__all__ = ["POOL_SIZE", "MAX_AUTO_SHOTS", "FEW_SHOT_MAX_NEW_TOKENS", "FEW_SHOT_CONTEXT", "auto_shots", "run_few_shot",
           "write_few_shot_files"]
