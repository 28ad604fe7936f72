# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Few-shot ASR, TTS and intent classification (paper Table 5; prompt formats of App. B, see
``modeling_spirit.few_shot``).

* ASR: 10 shots, context 1024; WER (%) of the generated transcript.
* TTS: 10 shots, context 2048; CER (%) of the judge's transcript of the generated speech (``recipes.eval.judges``:
  faster-whisper Whisper tiny.en by default).
* Intent: 30 shots, the model's context; accuracy of the generated intent string.

``k`` examples are drawn once with ``random.Random(seed)`` from the shot pool (``shots_data``, e.g. a train split;
by default the test manifest itself, and then the drawn examples are left out of the test items) and the same
examples precede every test item, so items are generated in batches. When examples + item + ``max_new_tokens`` do
not fit the context limit, examples are dropped from the end for that item; the result states how many items ran
with fewer shots (``n_fewer_shots``, per-item ``shots``). Generation is greedy unless ``do_sample`` is given.

Manifests (JSON lines, audio relative to the manifest)::

    asr / tts:  {"id": "1089-134686-0000", "audio": "test-clean/1089-134686-0000.flac", "text": "HE HOPED ..."}
    intent:     {"id": "s1", "audio": "wav/s1.wav", "intent": "activate lights bedroom"}
"""

import random
import time
from pathlib import Path
from typing import Any, Dict, List, Optional

from modeling_spirit.few_shot import few_shot_prompt

from .common import context_limit, load_spirit
from .data import AudioCache, read_manifest, resolve_audio
from .judges import load_asr_judge
from .metrics import compute
from .results import add_failures, add_metric, model_variant, new_result


TASKS = {
    # task: (label field, default shots, context limit, max new tokens, metric)
    "asr": ("text", 10, 1024, 128, "wer"),
    "tts": ("text", 10, 2048, 300, "cer"),
    "intent": ("intent", 30, None, 32, "accuracy"),
}


def evaluate_few_shot(
    task: str,
    model,
    data,
    shots: Optional[int] = None,
    shots_data: Optional[str] = None,
    seed: int = 0,
    context: Optional[int] = None,
    max_new_tokens: Optional[int] = None,
    batch_size: int = 8,
    limit: Optional[int] = None,
    judge=None,
    audio_root: Optional[str] = None,
    progress: bool = True,
    save_items: bool = False,
    device: Optional[str] = None,
    **generate_kwargs,
) -> Dict[str, Any]:
    """Run few-shot ASR / TTS / intent classification; returns the result dict.

    Args:
        task: ``"asr"``, ``"tts"`` or ``"intent"``.
        model: a Spirit LM folder / Hub id, or a ``pipeline("spirit-lm")``.
        data: the test manifest; ``shots_data``: the pool the examples come from (default: ``data``).
        shots: examples per prompt (default 10 / 10 / 30); ``seed`` draws them.
        context: the context limit (default 1024 / 2048 / the model's), counting prompt + ``max_new_tokens``.
        judge: the TTS ASR judge (see :func:`recipes.eval.judges.load_asr_judge`).
        generate_kwargs: e.g. ``do_sample=True, temperature=0.8``.
    """
    if task not in TASKS:
        raise ValueError(f"Unknown few-shot task {task!r}; allowed: {list(TASKS)}.")
    field, default_shots, default_ctx, default_new, metric = TASKS[task]
    shots = default_shots if shots is None else int(shots)
    if shots < 1:
        raise ValueError(f"shots must be >= 1 for few-shot {task}; got {shots}.")
    max_new = max_new_tokens or default_new
    records = read_manifest(data, required=["id", "audio", field] if task != "tts" else ["id", field])
    pool_path = shots_data or data
    pool = records if shots_data is None else read_manifest(shots_data, required=["id", "audio", field])
    if task == "tts":
        missing = [r for r in pool if not r.get("audio")]
        if missing:
            raise ValueError(f"{pool_path}:{missing[0]['_line']}: TTS examples need an 'audio' field.")
    if len(pool) < shots + (1 if shots_data is None else 0):
        raise ValueError(f"{shots} shots need at least {shots} examples in {pool_path} (plus a test item when the "
                         f"examples come from the test manifest); it has {len(pool)}.")
    rng = random.Random(seed)
    chosen = rng.sample(pool, shots)
    if shots_data is None:
        taken = {id(c) for c in chosen}
        records = [r for r in records if id(r) not in taken]
    if limit:
        records = records[:limit]
    pipe, model_path = load_spirit(model, device=device)
    judge_obj = None
    if task == "tts":
        judge_obj = load_asr_judge(judge, device=None)
    model_ctx = context_limit(pipe)
    ctx = min(c for c in (context or default_ctx, model_ctx) if c) if (context or default_ctx or model_ctx) else None
    settings = {"shots": shots, "seed": seed, "context": ctx, "max_new_tokens": max_new, "batch_size": batch_size,
                "shots_data": str(pool_path), "shot_ids": [c["id"] for c in chosen], "limit": limit,
                "generate": {"do_sample": False, **generate_kwargs},
                "judge": getattr(judge_obj, "name", None) if judge_obj else None}
    result = new_result(task, model_path, data, settings)
    result["n_items"] = len(records)
    started = time.time()
    base = Path(audio_root) if audio_root else Path(data).resolve().parent
    pool_base = Path(audio_root) if audio_root else Path(pool_path).resolve().parent
    cache = AudioCache(pipe.speech_tokenizer, batch_size, progress)
    cache.encode(resolve_audio(c["audio"], pool_base) for c in chosen)
    examples = []
    for c in chosen:
        units, err = cache.get(resolve_audio(c["audio"], pool_base))
        if err:
            raise ValueError(f"{pool_path}:{c['_line']}: the example audio failed to decode ({err}); fix or remove it.")
        examples.append((c[field], units) if task == "tts" else (units, c[field]))
    if task != "tts":
        cache.encode(resolve_audio(r["audio"], base) for r in records)

    kept, failures, too_long, queries, used = [], [], [], [], []
    for r in records:
        if task == "tts":
            query = r["text"]
        else:
            query, err = cache.get(resolve_audio(r["audio"], base))
            if err:
                failures.append({"id": r["id"], "line": r["_line"], "error": f"audio: {err}"})
                continue
        k = shots
        while k > 0:
            n = len(pipe.tokenizer(few_shot_prompt(task, examples[:k], query), add_special_tokens=True)["input_ids"])
            if ctx is None or n + max_new <= ctx:
                break
            k -= 1
        if k == 0:
            too_long.append({"id": r["id"], "line": r["_line"], "error": f"the item with one example and "
                             f"{max_new} new tokens exceeds the {ctx}-token context"})
            continue
        kept.append(r)
        queries.append(query)
        used.append(k)
    add_failures(result, failures)
    if too_long:
        result["n_too_long"] = len(too_long)
        result["failed"] += too_long[:50]
        result["notes"].append(f"{len(too_long)} item(s) do not fit the {ctx}-token context even with one example "
                               "and are excluded from the denominator (listed in 'failed').")
    n_fewer = sum(1 for k in used if k < shots)
    if n_fewer:
        result["notes"].append(f"{n_fewer} item(s) ran with fewer than {shots} shots (prompt + {max_new} new tokens "
                               f"exceeded the {ctx}-token context; examples dropped from the end; see 'shots').")
    gen = {"do_sample": False, "max_new_tokens": max_new, **generate_kwargs}
    answers: List[Any] = [None] * len(kept)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(kept), desc=f"{task} {shots}-shot", unit="item")
    for k in sorted(set(used), reverse=True):
        rows = [i for i, u in enumerate(used) if u == k]
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            outs = pipe([queries[i] for i in chunk] if len(chunk) > 1 else queries[chunk[0]], few_shot=task,
                        examples=examples[:k], batch_size=batch_size, **gen)
            outs = outs if len(chunk) > 1 else [outs]
            for i, segments in zip(chunk, outs):
                answers[i] = segments[0]
            if bar is not None:
                bar.update(len(chunk))
    if bar is not None:
        bar.close()
    references = [r[field] for r in kept]
    variant = model_variant(pipe.model)
    if task == "tts":
        hypotheses = judge_obj([a["audio"] for a in answers]) if answers else []
        value = 100 * compute("cer", hypotheses, references) if kept else float("nan")
        add_metric(result, "cer", "cer", value, len(kept), variant)
    elif task == "asr":
        hypotheses = [a["text"] for a in answers]
        value = 100 * compute("wer", hypotheses, references) if kept else float("nan")
        add_metric(result, "wer", "wer", value, len(kept), variant)
    else:
        hypotheses = [a["text"] for a in answers]
        value = compute("accuracy", hypotheses, references) if kept else float("nan")
        add_metric(result, "accuracy", "accuracy", value, len(kept), variant)
    add_metric(result, "shots", "mean_shots", sum(used) / len(used) if used else float("nan"), len(used), "none",
               n_fewer_shots=n_fewer)
    if save_items:
        result["items"] = [{"id": r["id"], "reference": ref, "hypothesis": hyp, "shots": k,
                            **({"units": a["units"]} if task == "tts" else {})}
                           for r, ref, hyp, k, a in zip(kept, references, hypotheses, used, answers)]
    result["seconds"] = round(time.time() - started, 2)
    return result


__all__ = ["evaluate_few_shot", "TASKS"]
