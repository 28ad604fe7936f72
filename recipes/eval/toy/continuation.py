# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The ``continuation`` task: each sentence cut at a word boundary, its first part continued in speech (vocoded and
transcribed by the judge) and in text; reported: the in-vocabulary fraction of the continuations' words (and of the
judge's transcripts of the true rest, the ceiling)."""

import math
from typing import Any, Dict, Optional, Set

from modeling_spirit.constants import SAMPLING_RATE, SPEECH_MARKER, TEXT_MARKER

from .common import NUM_EXAMPLES, ToyRun
from .data import row_id
from .generation import encode_strings, generate_segments, num_tokens, transcribe, vocode
from .text import cut_point, cut_sample, in_vocabulary_fraction, spoken_split


def run_continuation(run: ToyRun, vocabulary: Set[str], max_speech_tokens: Optional[int]) -> Dict[str, Any]:
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
        prompt_text, rest_text = spoken_split(r["text"], k)
        items.append({"row": r, "k": k, "cut": t, "prompt_audio": r["audio"][:i], "rest_audio": r["audio"][i:],
                      "prompt_text": prompt_text, "rest_text": rest_text})
    units = encode_strings(pipe.speech_tokenizer, [it["prompt_audio"] for it in items], run.batch_size)
    speech_prompts, speech_budgets = [], []
    for it, u in zip(items, units):
        rate = num_tokens(pipe, u) / max(len(it["prompt_audio"]) / SAMPLING_RATE, 1e-3)
        rest_seconds = max(float(it["row"]["words"][-1]["end"]) - it["cut"], 0.1)  # speech, not trailing silence
        budget = int(math.ceil(1.5 * rate * rest_seconds)) + 4
        speech_prompts.append(f"{SPEECH_MARKER}{u}")
        speech_budgets.append(min(budget, max_speech_tokens) if max_speech_tokens else budget)
    text_prompts = [f"{TEXT_MARKER}{it['prompt_text']}" for it in items]
    text_budgets = [int(math.ceil(1.5 * num_tokens(pipe, " " + it["rest_text"]))) + 4 for it in items]

    speech_out = generate_segments(pipe, speech_prompts, speech_budgets, "speech", run.batch_size, run.seed,
                                   run.progress, "continuation: speech")
    waves = [vocode(pipe.vocoder, s.get("units", ""), run.speaker(it["row"])) for it, s in zip(items, speech_out)]
    speech_hyp = transcribe(run.judge, waves, run.progress, "continuation: judge (generated)")
    reference_hyp = transcribe(run.judge, [it["rest_audio"] for it in items], run.progress,
                               "continuation: judge (true rest)")
    text_out = generate_segments(pipe, text_prompts, text_budgets, "text", run.batch_size, run.seed, run.progress,
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
    examples = [{"id": row_id(it["row"]), "speaker": it["row"].get("speaker"), "prompt_text": it["prompt_text"],
                 "true_rest": it["rest_text"], "speech_continuation_transcript": sh,
                 "speech_continuation_seconds": round(len(w) / SAMPLING_RATE, 2), "text_continuation": th}
                for it, sh, w, th in list(zip(items, speech_hyp, waves, text_hyp))[:NUM_EXAMPLES]]
    # every item's prompt and outputs (the generative perplexity, recipes.text_init_experiment, scores them)
    outputs = [{"prompt_text": it["prompt_text"], "true_rest": it["rest_text"], "speech_continuation_transcript": sh,
                "true_rest_transcript": rh, "text_continuation": th}
               for it, sh, rh, th in zip(items, speech_hyp, reference_hyp, text_hyp)]
    return {"n": len(items), "skipped": skipped, "stats": stats, "vocabulary_size": len(vocabulary),
            "outputs": outputs,
            "speech_max_new_tokens": {"min": min(speech_budgets, default=0), "max": max(speech_budgets, default=0)},
            "examples": examples}


__all__ = ["run_continuation"]
