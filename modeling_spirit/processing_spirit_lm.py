# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Prompt building for Spirit LM: interleaved text/speech inputs → the original's prompt strings → ids.

Prompt rules (exactly the original's, spec §1.3): walk the items; a speech item appends ``[Speech]`` only when the
previous item was not speech, then its unit string; a text item appends ``[Text]`` only when the previous item was
not text, then the text verbatim (no space, no strip). Finally a trailing marker for the wanted output modality is
appended when the last item is of the other modality (text → ``[Text]``, speech → ``[Speech]``, arbitrary →
nothing). E.g. T→T ``"[Text]hello"``, T→S ``"[Text]hello[Speech]"``, S→T ``"[Speech][Hu99]...[Text]"``.

Markers typed inside user text (``"say [Speech][Hu3]"``) are kept verbatim, as the original: they tokenize to the
marker and unit tokens, so the model sees speech there. Strip them from untrusted text if that is not wanted.
"""

from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from transformers import BatchEncoding, ProcessorMixin

from .feature_extraction_spirit_lm import SpiritLMFeatureExtractor
from .constants import SPEECH_MARKER, TEXT_MARKER
from .output_spirit_lm import OutputModality, SpiritLMIdLayout, decode_segments

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


def format_segment(layout: SpiritLMIdLayout, segment, text=None) -> dict:
    """One decoded segment as the user sees it: ``{"type": "text", "text"}`` or ``{"type": "speech", "units",
    "context_units"}`` (unit strings, built once from the ids)."""
    if segment.type == "text":
        return {"type": "text", "text": text}
    return {"type": "speech", "units": layout.unit_string(segment.ids),
            "context_units": layout.unit_string(segment.context_ids)}


class SpiritLMProcessor(ProcessorMixin):
    """Spirit LM processor: interleaved text/speech inputs → ``input_ids`` / ``attention_mask``, and generated ids →
    ordered segments.

    It holds the text tokenizer and the audio feature extractor (audio → 16 kHz waveforms). Speech items are turned
    into unit strings by a :class:`SpiritLMSpeechTokenizer` passed as ``speech_tokenizer=`` (a model, not part of the
    processor); all speech items of a call are encoded in one batched call.

    ```python
    processor = SpiritLMProcessor.from_pretrained(folder)          # or AutoProcessor(..., trust_remote_code=True)
    batch = processor([[("speech", "a.wav"), ("text", "Hello")], "The cat"], output_modality="text",
                      speech_tokenizer=speech_tokenizer)           # left-padded, BOS added
    out = model.generate(**batch, output_modality="text")
    processor.decode_generated(out[:, batch["input_ids"].shape[1]:], batch["input_ids"], output_modality="text")
    ```

    Args:
        feature_extractor (`SpiritLMFeatureExtractor`): audio loading and resampling.
        tokenizer (`SpiritLMTokenizer` or `SpiritLMTokenizerFast`): the LM's text tokenizer.
    """

    def __init__(self, feature_extractor, tokenizer):
        super().__init__(feature_extractor, tokenizer)

    def _encoder(self, speech_tokenizer):
        if speech_tokenizer is None:
            return None

        def encode(audio):
            return speech_tokenizer.encode_string(self.feature_extractor.load(audio))

        return encode

    def build_prompts(self, inputs, output_modality="arbitrary", speech_tokenizer=None) -> List[str]:
        """Prompt strings (the original's rules) for one input or a batch; speech items encoded in one batch."""
        batch = [normalize_input(x) for x in (inputs if is_batch(inputs) else [inputs])]
        speech = [content for items in batch for kind, content in items if kind == "speech"]
        strings = []
        if speech:
            if speech_tokenizer is None:
                build_prompt([("speech", None)], output_modality, None)  # raises the "needs the speech tokenizer"
            waves = [self.feature_extractor.load(a) for a in speech]
            strings = speech_tokenizer.encode_string(waves) if len(waves) > 1 else [speech_tokenizer.encode_string(waves[0])]
        encoded = iter(strings)
        return [build_prompt(items, output_modality, lambda _audio: next(encoded)) for items in batch]

    def __call__(self, inputs=None, output_modality="arbitrary", speech_tokenizer=None, prompt=None,
                 return_tensors: Optional[str] = "pt", **kwargs) -> BatchEncoding:
        """Tokenize one input or a batch into left-padded ``input_ids``/``attention_mask`` (BOS added, no EOS).

        ``prompt=`` (a raw prompt string or a list of them) is used verbatim instead of ``inputs``. The returned
        encoding also carries ``prompts``, the prompt strings.
        """
        if prompt is not None:
            prompts = [prompt] if isinstance(prompt, str) else list(prompt)
        elif inputs is None:
            raise ValueError("Give `inputs` (text, audio or interleaved items) or `prompt=`.")
        else:
            prompts = self.build_prompts(inputs, output_modality, speech_tokenizer)
        ids = [self.tokenizer(p, add_special_tokens=True)["input_ids"] for p in prompts]
        pad_id = self.tokenizer.pad_token_id
        if pad_id is None:
            pad_id = self.tokenizer.eos_token_id
        input_ids, attention_mask = left_pad(ids, pad_id)
        data = {"input_ids": input_ids, "attention_mask": attention_mask}
        if return_tensors != "pt":
            data = {k: v.tolist() for k, v in data.items()}
        encoding = BatchEncoding(data)
        encoding["prompts"] = prompts
        return encoding

    def decode_generated(self, new_ids, prompt_ids=None, output_modality="arbitrary", config=None):
        """Generated ids (one row per input) → ordered segments per input.

        Text segments are ``{"type": "text", "text": str}`` (the original's strip of the whole continuation);
        speech segments are ``{"type": "speech", "units": str, "context_units": str}`` where ``context_units`` is the
        prompt's speech that this segment continues (arbitrary mode; decode both and cut, see the pipeline).
        ``config`` is the model's :class:`SpiritLMConfig` (needed for the id layout).
        """
        if config is None:
            raise ValueError("decode_generated needs the model's config (`config=model.config`) for the id layout.")
        rows = new_ids.tolist() if hasattr(new_ids, "tolist") else [list(r) for r in new_ids]
        prompts = prompt_ids.tolist() if hasattr(prompt_ids, "tolist") else prompt_ids
        layout = SpiritLMIdLayout(config)
        results = []
        for index, row in enumerate(rows):
            prompt_row = prompts[index] if prompts is not None else None
            pairs = decode_segments(self.tokenizer, config, row, output_modality, prompt_ids=prompt_row)
            results.append([format_segment(layout, segment, text) for segment, text in pairs])
        return results


__all__ = ["SpiritLMProcessor", "normalize_input", "normalize_item", "is_batch", "build_prompt", "left_pad"]
