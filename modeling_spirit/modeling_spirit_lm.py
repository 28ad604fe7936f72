# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM language model: a causal LM (Llama-2 as released; Qwen2 too) over the interleaved text/speech vocabulary.

One class per supported base architecture (:class:`SpiritLMForCausalLM` over Llama, :class:`SpiritLMQwen2ForCausalLM`
over Qwen2), all sharing :class:`SpiritLMGenerationMixin`. Beyond the base causal LM this module provides

* :class:`SpiritLMModalityLogitsProcessor`: constrains generation to text, speech or anything (batched, any padding);
* :func:`split_generated_ids` (defined in :mod:`.output_spirit_lm`, the one output path, and re-exported here):
  splits generated ids into ordered text and speech segments by id range (spec §1.5);
* :meth:`SpiritLMForCausalLM.generate` with an ``output_modality=`` argument.
"""

import inspect
import os
from typing import Dict, List

import torch
from transformers import LlamaForCausalLM, LogitsProcessor, LogitsProcessorList, Qwen2ForCausalLM

from .components import checked_from_pretrained
from .configuration_spirit_lm import SpiritLMConfig, SpiritLMQwen2Config, _stored_model_type
from .constants import STREAMS

# The output path (id classification, segments, drop rules) lives in .output_spirit_lm; these names are re-exported
# here for the users who import them from the modeling file.
from .output_spirit_lm import (  # noqa: F401
    OutputModality,
    SpiritLMSegment,
    continued_speech_start,
    decode_text_ids,
    ids_to_unit_string,
    keep_later_speech_segment,
    split_generated_ids,
    strip_text_segments,
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

    # transformers' LogitsProcessorList inspects every processor's signature at every step: precomputed, it is cheap.
    __call__.__signature__ = inspect.signature(__call__)


def _with_cached_forward_signature(cls):
    """Give ``cls`` a ``forward`` that calls its base's with a precomputed ``__signature__``.

    ``generate`` treats a model class registered for the Auto classes (``is_remote_code()``, true for Spirit LM) as
    remote code and runs ``inspect.signature(self.forward)`` in ``prepare_inputs_for_generation`` at every decoding
    step, through the base forward's decorator chain: 5-8% of a small model's step on CPU, which plain
    ``LlamaForCausalLM`` does not pay. Same signature, same computation.
    """
    base_forward = cls.forward

    def forward(self, *args, **kwargs):
        return base_forward(self, *args, **kwargs)

    forward.__signature__ = inspect.signature(base_forward)
    forward.__doc__ = base_forward.__doc__
    forward.__name__ = forward.__qualname__ = "forward"
    cls.forward = forward
    return cls


class SpiritLMGenerationMixin:
    """What every Spirit LM model class adds to its base causal LM (put it first among the bases).

    ``generate`` accepts two extra keyword arguments:

    * ``output_modality`` (`str`, *optional*): ``"text"``, ``"speech"`` or ``"arbitrary"``; adds a
      :class:`SpiritLMModalityLogitsProcessor`. ``None`` (default) constrains nothing.
    * ``original_banned_tokens`` (`bool`, defaults to `False`): the original release's banned sets (speech never
      stops at EOS).

    ``from_pretrained`` refuses silent random weights, and a folder holding the Spirit LM of another base
    architecture loads as that architecture's Spirit LM class (``SpiritLMForCausalLM.from_pretrained(folder)``
    works for every Spirit LM folder).
    """

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, **kwargs):
        """`PreTrainedModel.from_pretrained`, refusing silent random weights: a folder of another model type (a
        speech tokenizer's or vocoder's; a plain folder of the base architecture is accepted), a damaged file or
        weights missing from the checkpoint raise :class:`~.components.SpiritLMLoadingError` naming the folder and
        the keys or file. A Spirit LM folder of another base architecture loads with its own Spirit LM class."""
        config = kwargs.get("config")
        if config is not None and not isinstance(config, (str, os.PathLike)):
            stored = getattr(config, "model_type", None)
        else:
            stored = _stored_model_type(cls.config_class, config or pretrained_model_name_or_path, kwargs)
        target = SPIRIT_LM_MODEL_CLASSES.get(stored)
        if target is not None and not issubclass(cls, target):  # a subclass (the multimodal class) stays itself
            return target.from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)
        config_class = cls.config_class
        return checked_from_pretrained(cls, super().from_pretrained, pretrained_model_name_or_path, *model_args,
                                       model_types=(config_class.model_type, config_class.base_model_type), **kwargs)

    def generate(self, *args, output_modality=None, original_banned_tokens: bool = False, **kwargs):
        if output_modality is not None:
            processor = SpiritLMModalityLogitsProcessor(self.config, output_modality, original_banned_tokens)
            processors = LogitsProcessorList(kwargs.pop("logits_processor", None) or [])
            processors.append(processor)
            kwargs["logits_processor"] = processors
        return super().generate(*args, **kwargs)


@_with_cached_forward_signature
class SpiritLMForCausalLM(SpiritLMGenerationMixin, LlamaForCausalLM):
    """Spirit LM: a [`LlamaForCausalLM`] whose vocabulary holds text ids, modality markers and speech units (the
    released models). ``generate(output_modality=...)`` and ``from_pretrained``: see
    :class:`SpiritLMGenerationMixin`."""

    config_class = SpiritLMConfig


@_with_cached_forward_signature
class SpiritLMQwen2ForCausalLM(SpiritLMGenerationMixin, Qwen2ForCausalLM):
    """Spirit LM over a Qwen2 text model: a [`Qwen2ForCausalLM`] whose vocabulary holds text ids, modality markers and
    speech units (config: :class:`~.configuration_spirit_lm.SpiritLMQwen2Config`). ``generate(output_modality=...)``
    and ``from_pretrained``: see :class:`SpiritLMGenerationMixin`."""

    config_class = SpiritLMQwen2Config


# Spirit LM model_type -> model class (one line per base architecture, beside configuration_spirit_lm's).
SPIRIT_LM_MODEL_CLASSES = {c.config_class.model_type: c for c in (SpiritLMForCausalLM, SpiritLMQwen2ForCausalLM)}


def spirit_lm_model_class(config_or_model_type):
    """The Spirit LM model class for a Spirit LM config (or its ``model_type``); raises a ValueError otherwise."""
    model_type = getattr(config_or_model_type, "model_type", config_or_model_type)
    if model_type not in SPIRIT_LM_MODEL_CLASSES:
        raise ValueError(
            f"{model_type!r} is not a Spirit LM model type; Spirit LM model types: {sorted(SPIRIT_LM_MODEL_CLASSES)}."
        )
    return SPIRIT_LM_MODEL_CLASSES[model_type]


__all__ = [
    "OutputModality",
    "SpiritLMForCausalLM",
    "SpiritLMQwen2ForCausalLM",
    "SpiritLMGenerationMixin",
    "SPIRIT_LM_MODEL_CLASSES",
    "spirit_lm_model_class",
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
