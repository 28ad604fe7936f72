# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Prompt building for Spirit LM: interleaved text/speech inputs → the original's prompt strings → ids.

Prompt rules (exactly the original's, spec §1.3): walk the items; a speech item appends ``[Speech]`` only when the
previous item was not speech, then its unit string; a text item appends ``[Text]`` only when the previous item was
not text, then the text verbatim (no space, no strip). Finally a trailing marker for the wanted output modality is
appended when the last item is of the other modality (text → ``[Text]``, speech → ``[Speech]``, arbitrary →
nothing). E.g. T→T ``"[Text]hello"``, T→S ``"[Text]hello[Speech]"``, S→T ``"[Speech][Hu99]...[Text]"``.
"""

from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .modeling_spirit_lm import OutputModality
from .units import SPEECH_MARKER, TEXT_MARKER

ITEM_TYPES = ("text", "speech")


def _is_audio_like(x) -> bool:
    if isinstance(x, (np.ndarray, torch.Tensor, bytes, bytearray, Path)):
        return True
    if isinstance(x, dict) and ("array" in x or "path" in x or "bytes" in x) and "type" not in x:
        return True
    return False


def _is_item(x) -> bool:
    return (isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], str)) or (isinstance(x, dict) and "type" in x)


def normalize_item(item) -> Tuple[str, object]:
    """``("text", str)`` / ``("speech", audio)`` tuple or ``{"type": ..., "text"|"audio": ...}`` dict → tuple."""
    if isinstance(item, dict):
        kind = str(item.get("type", "")).lower()
        if kind == "text":
            if "text" not in item:
                raise ValueError(f"A text item dict needs a 'text' key; got keys {sorted(item)}.")
            return "text", item["text"]
        if kind == "speech":
            for key in ("audio", "speech", "array", "path"):
                if key in item:
                    content = item[key]
                    if key == "array":
                        content = {"array": item["array"], "sampling_rate": item.get("sampling_rate")}
                    return "speech", content
            raise ValueError(f"A speech item dict needs an 'audio' key; got keys {sorted(item)}.")
        raise ValueError(f"Item type {item.get('type')!r} is not supported; allowed types: {ITEM_TYPES}.")
    kind, content = item
    kind = str(kind).lower()
    if kind not in ITEM_TYPES:
        raise ValueError(
            f"Item type {item[0]!r} is not supported; allowed types: {ITEM_TYPES} (case-insensitive), e.g. "
            "('text', 'hello') or ('speech', 'audio.wav')."
        )
    if kind == "text" and not isinstance(content, str):
        raise TypeError(f"A text item's content must be a str; got {type(content).__name__}.")
    return kind, content


def normalize_input(inputs) -> List[Tuple[str, object]]:
    """One pipeline input → a list of ``(type, content)`` items.

    A ``str`` is text; an array, tensor, ``bytes``, ``pathlib.Path`` or datasets audio dict is speech; a tuple or
    typed dict is one item; a list of those is an interleaved input.
    """
    if isinstance(inputs, str):
        return [("text", inputs)]
    if _is_audio_like(inputs):
        return [("speech", inputs)]
    if _is_item(inputs):
        return [normalize_item(inputs)]
    if isinstance(inputs, list):
        if not inputs:
            raise ValueError("An interleaved input is an empty list; give at least one ('text'|'speech', content).")
        bad = [x for x in inputs if not _is_item(x)]
        if bad:
            raise TypeError(
                f"An interleaved input must be a list of ('text'|'speech', content) tuples or typed dicts; got an "
                f"element of type {type(bad[0]).__name__}: {bad[0]!r:.60}."
            )
        return [normalize_item(x) for x in inputs]
    raise TypeError(
        f"Unsupported input of type {type(inputs).__name__}. Give a str (text), audio (path as pathlib.Path, bytes, "
        "numpy array, tensor, {'array', 'sampling_rate'} dict), or a list of ('text'|'speech', content) items."
    )


def is_batch(inputs) -> bool:
    """Whether a pipeline input is a batch (a list of inputs) rather than one (possibly interleaved) input."""
    if not isinstance(inputs, list):
        return False
    if not inputs:
        raise ValueError("The input list is empty: give one input or a non-empty list of inputs.")
    if all(_is_item(x) for x in inputs):
        return False
    return True


def build_prompt(
    items: Sequence[Tuple[str, object]],
    output_modality="arbitrary",
    encode_speech: Optional[Callable[[object], str]] = None,
) -> str:
    """Build the original's prompt string from normalized items (see module docstring).

    Args:
        items: ``(type, content)`` pairs from :func:`normalize_input`.
        output_modality: ``"text"``, ``"speech"`` or ``"arbitrary"``.
        encode_speech: audio → unit string (the speech tokenizer's ``encode_string``); required for speech items.
    """
    modality = OutputModality.parse(output_modality)
    parts: List[str] = []
    prev = None
    for kind, content in items:
        if kind == "speech":
            if encode_speech is None:
                raise ValueError(
                    "This input has a speech item, which needs the speech tokenizer. Load a Spirit LM folder that has "
                    "one (`speech_tokenizer/`), or pass `speech_tokenizer=` to the pipeline."
                )
            if prev != "speech":
                parts.append(SPEECH_MARKER)
            parts.append(encode_speech(content))
        else:
            if prev != "text":
                parts.append(TEXT_MARKER)
            parts.append(content)
        prev = kind
    if modality == OutputModality.TEXT and prev != "text":
        parts.append(TEXT_MARKER)
    elif modality == OutputModality.SPEECH and prev != "speech":
        parts.append(SPEECH_MARKER)
    return "".join(parts)


def left_pad(sequences: Sequence[Sequence[int]], pad_id: int) -> Tuple[torch.LongTensor, torch.LongTensor]:
    """Left-pad id lists into ``(input_ids, attention_mask)``, both ``(B, T)``."""
    width = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), width), dtype=torch.long)
    for row, seq in enumerate(sequences):
        if len(seq):
            ids[row, width - len(seq) :] = torch.as_tensor(list(seq), dtype=torch.long)
            mask[row, width - len(seq) :] = 1
    return ids, mask


__all__ = ["normalize_input", "normalize_item", "is_batch", "build_prompt", "left_pad"]
