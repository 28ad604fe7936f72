# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""STSP (Speech-Text Sentiment Preservation, paper Table 3): does the continuation keep the prompt's sentiment?

For each test record the model continues the prompt in the output modality (sampling: temperature 0.8, top-p 0.95;
max new tokens 50 for T→T and S→T, 200 for T→S, 300 for S→S — paper App. D), a sentiment classifier labels the
continuation (speech: an audio-classification model; text: a text-classification model), and accuracy is the
fraction whose label equals the record's sentiment. Four directions (``t2t``, ``t2s``, ``s2t``, ``s2s``) and their
average.

Data: the official ``stsp.tar.gz`` extracted anywhere (``ROOT``)::

    ROOT/data/...                      audio (emov/, expresso/read, expresso/conversational), 16 kHz
    ROOT/manifest/<set>/<split>.jsonl  {"id", "wav_path" (relative to ROOT/data), "asr", "sentiment", "emotion", ...}
    ROOT/manifest/few_shot/{t2t,t2s,s2t,s2s}.jsonl   {"prompt", "generation", "sentiment"}
    ROOT/model/speech_classifier, ROOT/model/text_classifier

``--data`` is one split's manifest; the audio root, few-shot folder and classifiers default to the folders above
(found from the manifest's ``manifest/`` ancestor).

Few-shot (``shots=n``): ``ceil(n/3)`` examples per sentiment from the few-shot manifest (seeded; groups in the order
negative, neutral, positive), each ``prefix + prompt + prefix + generation``, where speech prompts use the first
half of their wav and speech generations the second half; examples joined by ``"\\n"`` with a trailing ``"\\n"``.
**Departure (bug fix):** the original passes that string as the whole prompt, so the test item is ignored and every
record gets the same prompt; here the test item's own prompt follows the examples. When the examples, the item and
the new tokens do not fit the context, examples are dropped from the end for that item; the result says how many
items ran with fewer shots (never a silent truncation).
"""

import math
import random
import time
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from modeling_spirit.constants import SPEECH_MARKER, TEXT_MARKER
from modeling_spirit.modeling_spirit_lm import OutputModality
from modeling_spirit.processing_spirit_lm import build_prompt

from .classifiers import LABEL_TO_SENTIMENT, SpeechSentimentClassifier, TextSentimentClassifier
from .common import context_limit, load_spirit
from .data import AudioCache, ManifestError, read_manifest, resolve_audio
from .results import PAPER_STSP_SHOTS, add_failures, add_metric, model_variant, new_result

DIRECTIONS = {"t2t": ("text", "text"), "t2s": ("text", "speech"), "s2t": ("speech", "text"),
              "s2s": ("speech", "speech")}
_ALIASES = {"text_text": "t2t", "text_speech": "t2s", "speech_text": "s2t", "speech_speech": "s2s",
            "t>t": "t2t", "t>s": "t2s", "s>t": "s2t", "s>s": "s2s"}
MAX_NEW_TOKENS = {"t2t": 50, "s2t": 50, "t2s": 200, "s2s": 300}
TEMPERATURE, TOP_P = 0.8, 0.95
MAX_RETRIES = 3
_PREFIX = {"text": TEXT_MARKER, "speech": SPEECH_MARKER}


def parse_directions(directions) -> List[str]:
    if directions is None or directions == "all":
        return list(DIRECTIONS)
    if isinstance(directions, str):
        directions = directions.split(",")
    out = []
    for d in directions:
        key = _ALIASES.get(d.strip().lower(), d.strip().lower())
        if key not in DIRECTIONS:
            raise ValueError(f"Unknown STSP direction {d!r}; allowed: {list(DIRECTIONS)} (or 'all').")
        out.append(key)
    return list(dict.fromkeys(out))


def gold_label(record: Dict[str, Any]) -> str:
    if record.get("sentiment"):
        return str(record["sentiment"]).lower()
    return LABEL_TO_SENTIMENT[str(record["emotion"]).lower()]


def stsp_root(manifest) -> Optional[Path]:
    """The extracted ``stsp_data`` folder: the parent of the manifest's ``manifest/`` ancestor."""
    for parent in Path(manifest).resolve().parents:
        if parent.name == "manifest":
            return parent.parent
    return None


def sample_few_shot(records: List[Dict[str, Any]], n_shots: int, seed: int) -> List[Dict[str, Any]]:
    """``ceil(n/3)`` records per sentiment (negative, neutral, positive order), drawn with ``random.Random(seed)``."""
    per = math.ceil(n_shots / 3)
    rng = random.Random(seed)
    out = []
    for sentiment in ("negative", "neutral", "positive"):
        group = [r for r in records if str(r.get("sentiment", "")).lower() == sentiment]
        if len(group) < per:
            raise ValueError(f"The few-shot manifest has {len(group)} {sentiment} example(s); {n_shots} shots need "
                             f"{per} per sentiment.")
        out += rng.sample(group, per)
    return out


def _first_half(wav):
    return wav[: len(wav) // 2]


def _second_half(wav):
    return wav[len(wav) // 2:]


def evaluate_stsp(
    model,
    data,
    directions=None,
    shots: int = 0,
    speech_classifier: Optional[str] = None,
    text_classifier: Optional[str] = None,
    text_classifier_tokenizer: Optional[str] = None,
    audio_root: Optional[str] = None,
    few_shot_dir: Optional[str] = None,
    seed: int = 0,
    batch_size: int = 8,
    limit: Optional[int] = None,
    temperature: float = TEMPERATURE,
    top_p: float = TOP_P,
    max_new_tokens: Optional[Dict[str, int]] = None,
    progress: bool = True,
    save_items: bool = False,
    device: Optional[str] = None,
) -> Dict[str, Any]:
    """Run STSP; returns the result dict with one accuracy per direction and their average.

    Args:
        model: a Spirit LM folder / Hub id, or a ``pipeline("spirit-lm")``.
        data: one split's manifest (``ROOT/manifest/<set>/<split>.jsonl``).
        directions: subset of ``t2t``, ``t2s``, ``s2t``, ``s2s`` (default all).
        shots: few-shot examples (0, 3, 6, 9 in the paper).
        speech_classifier, text_classifier: local folders (default ``ROOT/model/{speech,text}_classifier``).
        seed: seeds the few-shot draw and generation (``transformers.set_seed`` once per direction).
    """
    directions = parse_directions(directions)
    root = stsp_root(data)
    audio_base = Path(audio_root) if audio_root else (root / "data" if root else Path(data).resolve().parent)
    needs_text_in = any(DIRECTIONS[d][0] == "text" for d in directions)
    needs_speech_in = any(DIRECTIONS[d][0] == "speech" for d in directions)
    required = ["id"] + (["asr"] if needs_text_in else []) + (["wav_path"] if needs_speech_in else [])
    records = read_manifest(data, required=required, any_of=[("sentiment", "emotion")])
    for r in records:
        try:
            gold_label(r)
        except KeyError:
            raise ManifestError(f"{data}:{r['_line']}: emotion {r.get('emotion')!r} has no sentiment; give a "
                                f"'sentiment' field (negative/neutral/positive).") from None
    if limit:
        records = records[:limit]

    def default(path, sub):
        if path:
            return path
        if root is None:
            raise ValueError(f"Give --{sub.replace('_', '-')} (no stsp_data root found above {data}).")
        return str(root / "model" / sub)

    classifiers = {}
    if any(DIRECTIONS[d][1] == "speech" for d in directions):
        classifiers["speech"] = SpeechSentimentClassifier(default(speech_classifier, "speech_classifier"))
    if any(DIRECTIONS[d][1] == "text" for d in directions):
        classifiers["text"] = TextSentimentClassifier(default(text_classifier, "text_classifier"),
                                                      tokenizer_path=text_classifier_tokenizer)
    pipe, model_path = load_spirit(model, device=device)
    from transformers import set_seed

    max_new = {**MAX_NEW_TOKENS, **(max_new_tokens or {})}
    limit_ctx = context_limit(pipe)
    settings = {"directions": directions, "shots": shots, "seed": seed, "temperature": temperature, "top_p": top_p,
                "do_sample": True, "max_new_tokens": {d: max_new[d] for d in directions}, "batch_size": batch_size,
                "limit": limit, "max_retries": MAX_RETRIES, "few_shot_prompt": "examples then the test item "
                "(the original's bug of ignoring the test item is fixed)" if shots else None}
    result = new_result("stsp", model_path, data, settings)
    result["n_items"] = len(records)
    started = time.time()
    cache = AudioCache(pipe.speech_tokenizer if needs_speech_in or shots else None, batch_size, progress)
    if needs_speech_in:
        cache.encode(resolve_audio(r["wav_path"], audio_base) for r in records)
    failures = []
    ok = []
    for r in records:
        if needs_speech_in:
            err = cache.get(resolve_audio(r["wav_path"], audio_base))[1]
            if err:
                failures.append({"id": r["id"], "line": r["_line"], "error": f"wav_path: {err}"})
                continue
        ok.append(r)
    add_failures(result, failures)
    predictions = {}
    accuracies = []
    variant = model_variant(pipe.model)
    for direction in directions:
        in_mod, out_mod = DIRECTIONS[direction]
        prefix = ""
        examples: List[str] = []
        if shots:
            fs_dir = Path(few_shot_dir) if few_shot_dir else (root / "manifest" / "few_shot" if root else None)
            if fs_dir is None:
                raise ValueError("Few-shot STSP needs --few-shot-dir (no stsp_data root found above the manifest).")
            fs_path = fs_dir / f"{direction}.jsonl"
            pool = read_manifest(fs_path, required=["prompt", "generation", "sentiment"])
            chosen = sample_few_shot(pool, shots, seed)
            for side, field, half in ((in_mod, "prompt", _first_half), (out_mod, "generation", _second_half)):
                if side == "speech":
                    cache.encode((resolve_audio(c[field], audio_base) for c in chosen), transform=half,
                                 key_suffix=f"#{field}")
            for c in chosen:
                parts = []
                for side, field in ((in_mod, "prompt"), (out_mod, "generation")):
                    if side == "speech":
                        units, err = cache.get(resolve_audio(c[field], audio_base), f"#{field}")
                        if err:
                            raise ValueError(f"{fs_path}:{c['_line']}: the few-shot {field} audio failed to decode "
                                             f"({err}); fix or remove that example.")
                        parts.append(_PREFIX[side] + units)
                    else:
                        parts.append(_PREFIX[side] + str(c[field]))
                examples.append("".join(parts))
        model_inputs = []
        reduced = 0
        for r in ok:
            if in_mod == "text":
                item_prompt = build_prompt([("text", r["asr"])], out_mod)
            else:
                units = cache.get(resolve_audio(r["wav_path"], audio_base))[0]
                item_prompt = build_prompt([("speech", None)], out_mod, lambda _a, u=units: u)
            k = len(examples)
            while True:
                prefix = "\n".join(examples[:k]) + "\n" if k else ""
                ids = pipe.tokenizer(prefix + item_prompt, add_special_tokens=True)["input_ids"]
                if limit_ctx is None or len(ids) + max_new[direction] <= limit_ctx or k == 0:
                    break
                k -= 1
            if k < len(examples):
                reduced += 1
            model_inputs.append({"id": r["id"], "prompt": prefix + item_prompt, "prompt_ids": ids, "shots": k,
                                 "gold": gold_label(r)})
        too_long = [m for m in model_inputs if limit_ctx is not None and len(m["prompt_ids"]) + max_new[direction] > limit_ctx]
        if too_long:
            raise ValueError(f"STSP {direction}: {len(too_long)} test item(s) (first id {too_long[0]['id']!r}) are "
                             f"longer than the context ({limit_ctx}) minus max_new_tokens ({max_new[direction]}).")
        if reduced:
            result["notes"].append(f"{direction}: {reduced} item(s) ran with fewer than {len(examples)} shots because "
                                   f"the prompt + {max_new[direction]} new tokens exceeded the {limit_ctx}-token "
                                   "context (examples dropped from the end; see 'shots' per item).")
        set_seed(seed)
        outputs = _generate(pipe, model_inputs, out_mod, max_new[direction], temperature, top_p, batch_size,
                            progress, f"stsp {direction}")
        n_empty = sum(1 for o in outputs if o is None)
        if n_empty:
            result["notes"].append(f"{direction}: {n_empty} item(s) produced no {out_mod} after {MAX_RETRIES} retries; "
                                   "counted as wrong.")
        valid = [i for i, o in enumerate(outputs) if o is not None]
        labels: List[Optional[str]] = [None] * len(outputs)
        if valid:
            got = classifiers[out_mod]([outputs[i] for i in valid])
            for i, label in zip(valid, got):
                labels[i] = label
        correct = [labels[i] == m["gold"] for i, m in enumerate(model_inputs)]
        accuracy = float(np.mean(correct)) if correct else float("nan")
        accuracies.append(accuracy)
        paper = PAPER_STSP_SHOTS.get(shots, {}).get(direction) if shots and variant == "expressive" else None
        add_metric(result, "accuracy", direction, accuracy, len(correct), variant if not shots else "none",
                   paper=paper, paper_ref="Table 3, Spirit LM Expressive, %d-shot" % shots if paper else None,
                   shots=shots, n_fewer_shots=reduced, n_empty=n_empty)
        predictions[direction] = [
            {"id": m["id"], "pred": labels[i], "gold": m["gold"], "shots": m["shots"],
             "prompt": m["prompt"],
             **({"generation": outputs[i]} if out_mod == "text" and outputs[i] is not None else {})}
            for i, m in enumerate(model_inputs)]
    if len(directions) > 1:
        add_metric(result, "accuracy", "average", float(np.mean(accuracies)), len(ok),
                   variant if not shots else "none", directions=directions)
    if save_items:
        result["predictions"] = predictions
    result["seconds"] = round(time.time() - started, 2)
    return result


def _generate(pipe, model_inputs, out_mod, max_new, temperature, top_p, batch_size, progress, desc):
    """Sampled continuations (text strings or 16 kHz waveforms), batched, retrying empty ones; ``None`` when a
    record still gives nothing."""
    modality = OutputModality.parse(out_mod)
    gen = {"do_sample": True, "temperature": temperature, "top_p": top_p, "max_new_tokens": max_new}
    outputs: List[Any] = [None] * len(model_inputs)
    todo = list(range(len(model_inputs)))
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc=desc, unit="item")
    for attempt in range(1 + MAX_RETRIES):
        for start in range(0, len(todo), batch_size):
            rows = todo[start:start + batch_size]
            chunk = [{"prompt": model_inputs[i]["prompt"], "prompt_ids": model_inputs[i]["prompt_ids"]} for i in rows]
            generated = pipe._forward(chunk, output_modality=modality, generate_kwargs=gen)
            for i, segments in zip(rows, pipe.postprocess(generated, output_modality=modality)):
                seg = next((s for s in segments if s["type"] == out_mod), None)
                if out_mod == "text" and seg is not None:
                    outputs[i] = seg["text"]
                elif out_mod == "speech" and seg is not None and len(seg["audio"]):
                    outputs[i] = seg["audio"]
            if bar is not None and attempt == 0:
                bar.update(len(rows))
        todo = [i for i in todo if outputs[i] is None]
        if not todo:
            break
    if bar is not None:
        bar.close()
    return outputs


__all__ = ["evaluate_stsp", "DIRECTIONS", "MAX_NEW_TOKENS", "sample_few_shot", "parse_directions"]
