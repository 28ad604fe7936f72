# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The ``resynthesis`` task: each row's audio -> the model's speech tokenizer -> unit string -> the model's vocoder;
the judge's WER and CER of the original and of the resynthesized audio, overall and per voice."""

from typing import Any, Dict

import numpy as np
from tqdm.auto import tqdm

from .common import NUM_EXAMPLES, ToyRun, error_rate
from .data import row_id
from .generation import HUBERT_UNIT_PREFIX, encode_strings, transcribe, vocode


def run_resynthesis(run: ToyRun) -> Dict[str, Any]:
    rows = run.rows
    pipe = run.pipe
    units = encode_strings(pipe.speech_tokenizer, [r["audio"] for r in rows], run.batch_size)
    resynth = []
    bar = None
    if run.progress:
        bar = tqdm(total=len(rows), desc="resynthesis: vocoding", unit="utt")
    for r, u in zip(rows, units):
        resynth.append(vocode(pipe.vocoder, u, run.speaker(r)))
        if bar is not None:
            bar.update(1)
    if bar is not None:
        bar.close()
    original_hyp = transcribe(run.judge, [r["audio"] for r in rows], run.progress, "resynthesis: judge (original)")
    resynth_hyp = transcribe(run.judge, resynth, run.progress, "resynthesis: judge (resynthesized)")
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
    units_per_second = [u.count(HUBERT_UNIT_PREFIX) / max(r["duration"], 1e-9) for r, u in zip(rows, units)]
    return {"n": n, "overall": overall, "per_voice": per_voice,
            "mean_hubert_units_per_second": float(np.mean(units_per_second)) if units_per_second else float("nan"),
            "examples": [{"id": row_id(r), "speaker": r.get("speaker"), "text": r["text"],
                          "original_transcript": o, "resynthesized_transcript": s}
                         for r, o, s in list(zip(rows, original_hyp, resynth_hyp))[:NUM_EXAMPLES]]}


__all__ = ["run_resynthesis"]
