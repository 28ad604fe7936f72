# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM language model: a Llama-2 causal LM over the interleaved text/speech vocabulary.

Beyond :class:`~transformers.LlamaForCausalLM` this module provides

* :class:`SpiritLMModalityLogitsProcessor`: constrains generation to text, speech or anything (batched, any padding);
* :func:`split_generated_ids`: splits generated ids into ordered text and speech segments by id range, with the
  original's handling of speech that continues the prompt (spec §1.5);
* :meth:`SpiritLMForCausalLM.generate` with an ``output_modality=`` argument.
"""

import enum
import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import torch
from transformers import LlamaForCausalLM, LogitsProcessor, LogitsProcessorList

from .configuration_spirit_lm import STREAM_PREFIXES, STREAMS, SpiritLMConfig


class OutputModality(str, enum.Enum):
    """What generation may produce: ``"text"``, ``"speech"`` or ``"arbitrary"`` (interleaved)."""

    TEXT = "text"
    SPEECH = "speech"
    ARBITRARY = "arbitrary"

    @classmethod
    def parse(cls, value) -> "OutputModality":
        if isinstance(value, cls):
            return value
        if isinstance(value, str) or isinstance(value, enum.Enum):
            name = value.value if isinstance(value, enum.Enum) else value
            try:
                return cls(str(name).lower())
            except ValueError:
                pass
        raise ValueError(
            f"`output_modality` is {value!r}; allowed: 'text', 'speech' or 'arbitrary' (case-insensitive)."
        )


def banned_token_ids(config: SpiritLMConfig, modality, original: bool = False) -> List[int]:
    """Ids that generation in ``modality`` may never produce.

    Default (``original=False``):
      * text: everything but the text ids (markers, units, padding rows);
      * speech: everything but this model's unit ids and EOS (so speech generation can stop);
      * arbitrary: padding rows only.
    ``original=True`` returns the original release's exact sets (spec §1.4): text bans the markers and the units;
    speech bans the markers and *every* text id including EOS (generation then always runs to ``max_new_tokens``);
    arbitrary bans nothing; padding rows are never banned.
    """
    modality = OutputModality.parse(modality)
    markers = [config.text_marker_id, config.speech_marker_id]
    if original:
        if modality == OutputModality.TEXT:
            return markers + config.speech_unit_ids(STREAMS)
        if modality == OutputModality.SPEECH:
            return markers + list(range(0, config.text_vocab_size))
        return []
    if modality == OutputModality.ARBITRARY:
        return list(config.padding_ids)
    if modality == OutputModality.TEXT:
        allowed = set(range(config.text_vocab_size))
    else:
        allowed = set(config.speech_unit_ids(STREAMS))
        eos = config.eos_token_id
        allowed.update(eos if isinstance(eos, (list, tuple)) else ([eos] if eos is not None else []))
    return [i for i in range(config.vocab_size) if i not in allowed]


class SpiritLMModalityLogitsProcessor(LogitsProcessor):
    """Sets the scores of tokens outside the wanted modality to exactly ``-inf``.

    The mask is over the vocabulary only, so it works for any batch size and padding side.

    Args:
        config (`SpiritLMConfig`): the model's token layout.
        output_modality (`str` or `OutputModality`): ``"text"``, ``"speech"`` or ``"arbitrary"``.
        original_banned_tokens (`bool`, defaults to `False`): use the original release's exact banned sets (speech
            generation then never stops at EOS); see :func:`banned_token_ids`.
    """

    def __init__(self, config: SpiritLMConfig, output_modality, original_banned_tokens: bool = False):
        self.output_modality = OutputModality.parse(output_modality)
        self.banned = torch.tensor(
            banned_token_ids(config, self.output_modality, original=original_banned_tokens), dtype=torch.long
        )
        self._mask_cache: Dict = {}

    def _mask(self, vocab: int, device) -> torch.Tensor:
        key = (vocab, str(device))
        if key not in self._mask_cache:
            mask = torch.zeros(vocab, dtype=torch.bool, device=device)
            banned = self.banned[self.banned < vocab].to(device)
            mask[banned] = True
            self._mask_cache[key] = mask
        return self._mask_cache[key]

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        if self.banned.numel() == 0:
            return scores
        mask = self._mask(scores.shape[-1], scores.device)  # (V,)
        return scores.masked_fill(mask, float("-inf"))  # (B, V)


class SpiritLMForCausalLM(LlamaForCausalLM):
    """Spirit LM: a [`LlamaForCausalLM`] whose vocabulary holds text ids, modality markers and speech units.

    ``generate`` accepts two extra keyword arguments:

    * ``output_modality`` (`str`, *optional*): ``"text"``, ``"speech"`` or ``"arbitrary"``; adds a
      :class:`SpiritLMModalityLogitsProcessor`. ``None`` (default) constrains nothing.
    * ``original_banned_tokens`` (`bool`, defaults to `False`): the original release's banned sets (speech never
      stops at EOS).
    """

    config_class = SpiritLMConfig

    def generate(self, *args, output_modality=None, original_banned_tokens: bool = False, **kwargs):
        if output_modality is not None:
            processor = SpiritLMModalityLogitsProcessor(self.config, output_modality, original_banned_tokens)
            processors = LogitsProcessorList(kwargs.pop("logits_processor", None) or [])
            processors.append(processor)
            kwargs["logits_processor"] = processors
        return super().generate(*args, **kwargs)


# ---------------------------------------------------------------------------------------------------------------
# Splitting generated ids
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SpiritLMSegment:
    """One output segment.

    Attributes:
        type (`str`): ``"text"`` or ``"speech"``.
        ids (`list[int]`): the generated LM ids of this segment (text ids, or unit ids).
        context_ids (`list[int]`): for a speech segment that continues the prompt's speech (arbitrary mode), the
            prompt's last run of unit ids; decode ``context_ids + ids`` together and keep the new part with
            :func:`continued_speech_start`.
    """

    type: str
    ids: List[int]
    context_ids: List[int] = field(default_factory=list)


def ids_to_unit_string(config: SpiritLMConfig, ids: Sequence[int]) -> str:
    """Unit ids → unit string (``[St71][Pi39][Hu99]...``) through the config's layout; non-unit ids are skipped."""
    out = []
    for i in ids:
        unit = config.id_to_unit(int(i))
        if unit is not None:
            stream, u = unit
            out.append(f"[{STREAM_PREFIXES[stream]}{u}]")
    return "".join(out)


def _count_hubert(config: SpiritLMConfig, ids: Sequence[int]) -> int:
    lo, n = config.stream_ranges["hubert"]
    return sum(1 for i in ids if lo <= int(i) < lo + n)


def split_generated_ids(
    new_ids: Sequence[int],
    config: SpiritLMConfig,
    output_modality="arbitrary",
    prompt_ids: Optional[Sequence[int]] = None,
    special_ids: Optional[Sequence[int]] = None,
) -> List[SpiritLMSegment]:
    """Split the generated (new) ids of one sequence into ordered text and speech segments, by id range.

    * Markers (``[Text]``/``[Speech]``) are dropped and neither start nor end a segment (as the original's scanner).
    * Special ids (``special_ids``, default: the config's BOS/EOS/PAD and 0 ``<unk>``) and padding rows are dropped.
    * ``"text"`` → exactly one text segment; ``"speech"`` → exactly one speech segment (unit ids only).
    * ``"arbitrary"``: ordered segments; when the prompt ends with speech and the continuation starts with speech,
      the first speech segment carries the prompt's last run of unit ids as ``context_ids`` (spec §1.5).

    Text segments hold ids; decode them with :func:`decode_text_ids` (which keeps leading spaces), and apply
    the original's strip of the whole continuation with :func:`strip_text_segments`.
    """
    modality = OutputModality.parse(output_modality)
    if special_ids is None:
        special = {0}
        for name in ("bos_token_id", "eos_token_id", "pad_token_id"):
            v = getattr(config, name, None)
            special.update(v if isinstance(v, (list, tuple)) else ([v] if v is not None else []))
    else:
        special = set(int(i) for i in special_ids)
    new_ids = [int(i) for i in new_ids]

    def kind(i: int) -> Optional[str]:
        if i in special or config.is_marker_id(i):
            return None
        if config.is_text_id(i):
            return "text"
        if config.is_speech_id(i):
            return "speech"
        return None  # padding rows

    if modality == OutputModality.TEXT:
        return [SpiritLMSegment("text", [i for i in new_ids if kind(i) == "text"])]
    if modality == OutputModality.SPEECH:
        return [SpiritLMSegment("speech", [i for i in new_ids if kind(i) == "speech"])]

    segments: List[SpiritLMSegment] = []
    for i in new_ids:
        k = kind(i)
        if k is None:
            continue
        if segments and segments[-1].type == k:
            segments[-1].ids.append(i)
        else:
            segments.append(SpiritLMSegment(k, [i]))

    if prompt_ids is not None and segments and segments[0].type == "speech":
        prompt = [int(i) for i in prompt_ids if int(i) not in special]
        if prompt and config.is_speech_id(prompt[-1]):
            start = len(prompt)
            while start > 0 and config.is_speech_id(prompt[start - 1]):
                start -= 1
            segments[0].context_ids = prompt[start:]
    return segments


def continued_speech_start(n_samples: int, n_context_hubert: int, n_total_hubert: int) -> Optional[int]:
    """Where the new audio starts in a speech segment decoded together with its prompt context (spec §1.5).

    The original counts ``n_content = (number of [Hu] tokens) + 1`` (an off-by-one kept for parity): the chunk is
    dropped (``None``) when ``n_content - n_context < 25``, else the waveform is cut at
    ``ceil(n_samples * n_context / n_content)``.
    """
    n_content = n_total_hubert + 1
    if n_content - n_context_hubert < 25:
        return None
    return math.ceil(n_samples * n_context_hubert / n_content)


def keep_later_speech_segment(n_hubert: int) -> bool:
    """The original drops speech segments after the first with fewer than 24 ``[Hu]`` tokens (``count + 1 < 25``)."""
    return n_hubert + 1 >= 25


def decode_text_ids(tokenizer, config: SpiritLMConfig, ids: Sequence[int]) -> str:
    """Decode text ids verbatim, keeping a leading space (SentencePiece would drop it as the dummy prefix)."""
    ids = [int(i) for i in ids]
    if not ids:
        return ""
    marker = "[Text]"
    text = tokenizer.decode([config.text_marker_id] + ids, skip_special_tokens=True)
    if not text.startswith(marker):
        raise RuntimeError(
            f"The tokenizer decodes id {config.text_marker_id} as {text[:8]!r}, not {marker!r}: tokenizer and config "
            "layouts disagree. Rebuild the tokenizer for this config."
        )
    return text[len(marker) :]


def strip_text_segments(texts: List[Optional[str]]) -> List[Optional[str]]:
    """Apply the original's ``.strip()`` of the whole continuation to an ordered list of segment texts.

    ``texts[k]`` is a string for text segments and ``None`` for speech segments. The first (last) text segment is
    left- (right-) stripped only if it is at the very start (end) of the continuation.
    """
    out = list(texts)
    if out and out[0] is not None:
        out[0] = out[0].lstrip()
    if out and out[-1] is not None:
        out[-1] = out[-1].rstrip()
    return out


__all__ = [
    "OutputModality",
    "SpiritLMForCausalLM",
    "SpiritLMModalityLogitsProcessor",
    "SpiritLMSegment",
    "banned_token_ids",
    "split_generated_ids",
    "continued_speech_start",
    "keep_later_speech_segment",
    "decode_text_ids",
    "strip_text_segments",
    "ids_to_unit_string",
]
