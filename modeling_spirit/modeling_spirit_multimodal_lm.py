# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM for transformers' multimodal API: ``AutoModelForMultimodalLM`` and ``pipeline("any-to-any")``.

```python
pipe = pipeline("any-to-any", model="spirit-lm-base-7b")            # trust_remote_code=True without the package
messages = [{"role": "user", "content": [{"type": "audio", "path": "question.wav"}, {"type": "text", "text": "So"}]}]
pipe(text=messages, generation_mode="audio", max_new_tokens=100, return_full_text=False)
# [{"input_text": messages, "generated_audio": np.ndarray (float32, 16 kHz)}]
pipe(text=messages, max_new_tokens=20, return_full_text=False)    # generation_mode="text" (the default)
# [{"input_text": messages, "generated_text": "..."}]
```

:class:`SpiritLMForMultimodalLM` is :class:`~.modeling_spirit_lm.SpiritLMForCausalLM` (the same weights and
folder; :class:`SpiritLMQwen2ForMultimodalLM` the same over Qwen2, both from :class:`SpiritLMMultimodalMixin`) whose ``generate`` speaks the multimodal API: ``generation_mode="text"`` (or ``None``) generates text,
``"audio"`` generates speech and vocodes it with the folder's vocoder (loaded on first use). It appends the
trailing marker of the wanted modality when the prompt ends with the other one (``[Text]`` after speech in text
mode, ``[Speech]`` after text in speech mode), as ``pipeline("spirit-lm")`` builds its prompts, and returns a
:class:`SpiritLMMultimodalOutput` that the processor's ``post_process_multimodal_output`` turns into texts or
waveforms through the one output path (:mod:`.output_spirit_lm`): greedy outputs equal ``pipeline("spirit-lm")``'s
``output_modality="text"`` / ``"speech"`` results for the same items.

What ``pipeline("any-to-any")`` cannot carry (use ``pipeline("spirit-lm")`` for these):

* interleaved output (``output_modality="arbitrary"``: ordered text and speech segments): the any-to-any pipeline
  returns one modality per call (``generated_text`` or ``generated_audio``), so ``generate`` refuses it there;
* the unit string that was vocoded (``"units"``) and the sampling rate (always 16000 Hz,
  ``model.config.sampling_rate``): the pipeline's records have no field for them (they are in the
  :class:`SpiritLMMultimodalOutput` of a direct ``generate`` call);
* several sequences per input (``num_return_sequences > 1``): the pipeline keeps one record per input for this
  model's output (a direct ``generate`` call returns them all), and few-shot stopping (write few-shot prompts as
  messages instead, see the processor's chat template, and pass ``generate_kwargs={"eos_token_id": ...}``).

The marker rule classifies the prompt's last id (text id or ``[Text]`` → text; unit id or ``[Speech]`` → speech):
it differs from the pipeline's item rule only when a text item ends with a unit token typed as text
(``"say [Hu3]"``); pass ``output_modality=`` to the chat template to place the marker there instead.
"""

from dataclasses import dataclass
from typing import Any, List, Optional

import numpy as np
import torch
from transformers.utils import ModelOutput, logging

from .constants import SAMPLING_RATE, VOCODER_SUBFOLDER
from .modeling_spirit_hifigan import SpiritLMHifiGan
from .modeling_spirit_lm import SpiritLMForCausalLM, SpiritLMQwen2ForCausalLM
from .output_spirit_lm import OutputModality, SpiritLMIdLayout, split_generated_ids, vocode_speech_segment
from .processing_spirit_lm import _Companion, left_pad

logger = logging.get_logger(__name__)

GENERATION_MODES = {"text": OutputModality.TEXT, "audio": OutputModality.SPEECH}


@dataclass
class SpiritLMMultimodalOutput(ModelOutput):
    """What :meth:`SpiritLMForMultimodalLM.generate` returns.

    Args:
        sequences (`torch.LongTensor` of shape `(batch_size * num_return_sequences, prompt_length + new_length)`):
            the prompts (left-padded, with the trailing marker that was added) and the generated ids.
        prompt_ids (`list[list[int]]`): each row's prompt ids, padding removed.
        new_ids (`list[list[int]]`): each row's generated ids.
        output_modality (`str`): ``"text"`` or ``"speech"``.
        audio (`list[np.ndarray]`, *optional*): speech mode: each row's waveform (float32, ``sampling_rate`` Hz; the
            concatenated kept speech segments, empty when no unit was generated).
        units (`list[str]`, *optional*): speech mode: each row's generated unit string (what was vocoded).
        sampling_rate (`int`): the waveforms' rate (16000).
        config (`SpiritLMConfig`): the model's config (its id layout, for decoding the text).
    """

    sequences: Optional[torch.LongTensor] = None
    prompt_ids: Optional[List[List[int]]] = None
    new_ids: Optional[List[List[int]]] = None
    output_modality: Optional[str] = None
    audio: Optional[List[np.ndarray]] = None
    units: Optional[List[str]] = None
    sampling_rate: Optional[int] = None
    config: Any = None


class SpiritLMMultimodalMixin:
    """What a Spirit LM model class registered for ``AutoModelForMultimodalLM`` (``pipeline("any-to-any")``) adds to
    its Spirit LM causal LM class (put it first among the bases); see the module docstring.

    ``generate`` keywords beyond ``GenerationMixin.generate``'s: ``generation_mode`` (``"text"`` default, or
    ``"audio"``), ``output_modality`` (``"text"``/``"speech"``, instead of ``generation_mode``), ``speaker_id`` (the
    vocoder's voice, default the config's ``default_speaker``) and ``original_banned_tokens``. The vocoder is the one
    saved beside the model (``vocoder/``, loaded on first use) or the one set with ``model.vocoder = ...``.
    """

    input_modalities = ("text", "audio")
    output_modalities = ("text", "audio")

    def __init__(self, config, *args, **kwargs):
        super().__init__(config, *args, **kwargs)
        self.__dict__["_vocoder"] = _Companion()

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *model_args, vocoder=None, **kwargs):
        model = super().from_pretrained(pretrained_model_name_or_path, *model_args, **kwargs)
        model.__dict__["_vocoder"] = _Companion(vocoder, str(pretrained_model_name_or_path), kwargs.get("revision"))
        return model

    @property
    def vocoder(self):
        """The vocoder of speech output (not a submodule: it is saved in its own ``vocoder/`` subfolder)."""
        return self.__dict__["_vocoder"].get(SpiritLMHifiGan, VOCODER_SUBFOLDER)

    @vocoder.setter
    def vocoder(self, value):
        self.__dict__["_vocoder"] = _Companion(value)

    def __setattr__(self, name, value):
        if name == "vocoder":  # the property, never a registered submodule (its weights are not the LM's)
            object.__setattr__(self, name, value)
        else:
            super().__setattr__(name, value)

    def _with_generation_prompt(self, input_ids, attention_mask, modality: OutputModality):
        """Append the trailing marker of ``modality`` to each row whose last id is of the other modality."""
        c = self.config
        marker = c.text_marker_id if modality == OutputModality.TEXT else c.speech_marker_id
        mask = torch.ones_like(input_ids) if attention_mask is None else attention_mask
        rows, changed = [], False
        for ids, keep in zip(input_ids.tolist(), mask.tolist()):
            row = [i for i, k in zip(ids, keep) if k]
            last = row[-1] if row else None
            if modality == OutputModality.TEXT:
                ends_right = last is not None and (last == c.text_marker_id or c.is_text_id(last))
            else:
                ends_right = last is not None and (last == c.speech_marker_id or c.is_speech_id(last))
            if not ends_right:
                row, changed = row + [marker], True
            rows.append(row)
        if not changed:
            return input_ids, attention_mask, rows
        pad = c.pad_token_id if c.pad_token_id is not None else c.eos_token_id
        ids, new_mask = left_pad(rows, pad)
        return ids.to(input_ids.device), new_mask.to(input_ids.device), rows

    def generate(self, input_ids=None, attention_mask=None, generation_mode=None, output_modality=None,
                 speaker_id=None, original_banned_tokens: bool = False, **kwargs):
        if generation_mode not in (None, *GENERATION_MODES):
            raise ValueError(
                f"generation_mode={generation_mode!r} is not supported by Spirit LM; allowed: 'text', 'audio'."
            )
        if output_modality is not None:
            modality = OutputModality.parse(output_modality)
            if modality == OutputModality.ARBITRARY:
                raise ValueError(
                    "SpiritLMForMultimodalLM.generate returns one modality (text or audio); output_modality="
                    "'arbitrary' (interleaved text and speech segments) is pipeline('spirit-lm')'s."
                )
            if generation_mode is not None and GENERATION_MODES[generation_mode] != modality:
                raise ValueError(f"generation_mode={generation_mode!r} and output_modality={output_modality!r} disagree.")
        else:
            modality = GENERATION_MODES[generation_mode or "text"]
        if input_ids is None:
            raise ValueError("SpiritLMForMultimodalLM.generate needs `input_ids` (from the processor).")
        if modality == OutputModality.SPEECH and self.vocoder is None:
            raise ValueError(
                "generation_mode='audio' needs the vocoder. Load a Spirit LM folder that has one (`vocoder/`) or set "
                "`model.vocoder = SpiritLMHifiGan.from_pretrained(...)`."
            )
        input_ids, attention_mask, prompts = self._with_generation_prompt(input_ids, attention_mask, modality)
        out = super().generate(input_ids=input_ids, attention_mask=attention_mask, output_modality=modality,
                               original_banned_tokens=original_banned_tokens, **kwargs)
        sequences = out if isinstance(out, torch.Tensor) else out.sequences
        n = sequences.shape[0] // input_ids.shape[0]
        prompts = [p for p in prompts for _ in range(n)]  # generate's rows: input i's sequences i*n .. i*n+n-1
        new_ids = sequences[:, input_ids.shape[1]:].tolist()
        result = SpiritLMMultimodalOutput(sequences=sequences, prompt_ids=prompts, new_ids=new_ids,
                                          output_modality=modality.value, config=self.config,
                                          sampling_rate=int(getattr(self.config, "sampling_rate", SAMPLING_RATE)))
        if modality == OutputModality.SPEECH:
            result.audio, result.units = self._vocode_rows(new_ids, prompts, speaker_id)
        return result

    def _vocode_rows(self, new_ids, prompts, speaker_id):
        """Each row's speech segments vocoded by the one output path (as ``pipeline("spirit-lm")``), concatenated."""
        layout = SpiritLMIdLayout(self.config)
        audio, units = [], []
        for row, prompt in zip(new_ids, prompts):
            pieces, row_units = [], []
            segments = split_generated_ids(row, self.config, OutputModality.SPEECH, prompt_ids=prompt)
            for index, segment in enumerate(segments):
                wav = vocode_speech_segment(self.vocoder, layout, segment, index, OutputModality.SPEECH, speaker_id,
                                            logger=logger)
                if wav is not None:
                    pieces.append(np.asarray(wav, dtype=np.float32))
                    row_units.append(layout.unit_string(segment.ids))
            audio.append(np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32))
            units.append("".join(row_units))
        return audio, units


class SpiritLMForMultimodalLM(SpiritLMMultimodalMixin, SpiritLMForCausalLM):
    """The Llama-based Spirit LM (the released models, Llama inits) for ``AutoModelForMultimodalLM``: see
    :class:`SpiritLMMultimodalMixin`."""


class SpiritLMQwen2ForMultimodalLM(SpiritLMMultimodalMixin, SpiritLMQwen2ForCausalLM):
    """The Qwen2-based Spirit LM for ``AutoModelForMultimodalLM``: see :class:`SpiritLMMultimodalMixin`."""


# Spirit LM model_type -> its multimodal class (one line per base architecture, beside modeling_spirit_lm's).
SPIRIT_LM_MULTIMODAL_CLASSES = {c.config_class.model_type: c for c in (SpiritLMForMultimodalLM,
                                                                        SpiritLMQwen2ForMultimodalLM)}


__all__ = [
    "GENERATION_MODES",
    "SPIRIT_LM_MULTIMODAL_CLASSES",
    "SpiritLMForMultimodalLM",
    "SpiritLMMultimodalMixin",
    "SpiritLMMultimodalOutput",
    "SpiritLMQwen2ForMultimodalLM",
]
