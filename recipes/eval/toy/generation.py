# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The model's and the judge's side of the toy tasks: batched sampling from raw prompt strings (the pipeline's own
forward step), vocoding and encoding unit strings, the judge's transcripts, token counts."""

from typing import Any, Dict, List, Optional, Sequence

import numpy as np
from tqdm.auto import tqdm
from transformers import set_seed

from modeling_spirit.constants import STREAM_PREFIXES
from modeling_spirit.modeling_spirit_lm import OutputModality

from .text import spell_digits

HUBERT_UNIT_PREFIX = "[" + STREAM_PREFIXES["hubert"]  # "[Hu": a unit string with it has speech to vocode


CONTINUATION_SAMPLING = {"do_sample": True, "temperature": 0.8, "top_p": 0.95}


def generate_segments(pipe, prompts: Sequence[str], budgets: Sequence[int], modality: str, batch_size: int,
                      seed: int, progress: bool, desc: str) -> List[Dict[str, Any]]:
    """One segment per prompt (``{"type": "text", "text"}`` or ``{"type": "speech", "units"}``), sampled with
    :data:`CONTINUATION_SAMPLING` after ``set_seed(seed)``. Items are batched by budget; a batch generates its
    largest budget, cut so that the longest prompt + new tokens fit the model's context."""
    mod = OutputModality.parse(modality)
    limit = getattr(pipe.model.config, "max_position_embeddings", None)
    inputs = [{"prompt": p, "prompt_ids": pipe.tokenizer(p, add_special_tokens=True)["input_ids"]} for p in prompts]
    order = sorted(range(len(prompts)), key=lambda i: (budgets[i], i))
    out: List[Optional[Dict[str, Any]]] = [None] * len(prompts)
    set_seed(seed)
    bar = None
    if progress:
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


def vocode(vocoder, units: str, speaker) -> np.ndarray:
    if HUBERT_UNIT_PREFIX not in units:
        return np.zeros(0, dtype=np.float32)
    return np.asarray(vocoder.decode(units, speaker_id=speaker), dtype=np.float32)


def encode_strings(speech_tokenizer, waves: Sequence[np.ndarray], batch_size: int) -> List[str]:
    out: List[str] = []
    for start in range(0, len(waves), batch_size):
        chunk = [w if len(w) else np.zeros(1, np.float32) for w in waves[start:start + batch_size]]
        if len(chunk) > 1:
            strings = speech_tokenizer.encode_string(chunk)
        else:
            strings = [speech_tokenizer.encode_string(chunk[0])]
        out.extend(strings)
    return out


def transcribe(judge, waves: Sequence[np.ndarray], progress: bool, desc: str) -> List[str]:
    out: List[str] = []
    bar = None
    if progress and waves:
        bar = tqdm(total=len(waves), desc=desc, unit="utt")
    for start in range(0, len(waves), 8):
        out.extend(judge(list(waves[start:start + 8])))
        if bar is not None:
            bar.update(len(waves[start:start + 8]))
    if bar is not None:
        bar.close()
    return [spell_digits(t) for t in out]


def num_tokens(pipe, text: str) -> int:
    return len(pipe.tokenizer(text, add_special_tokens=False)["input_ids"])


__all__ = ["CONTINUATION_SAMPLING", "HUBERT_UNIT_PREFIX", "encode_strings", "generate_segments", "num_tokens",
           "transcribe", "vocode"]
