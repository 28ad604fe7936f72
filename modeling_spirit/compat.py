# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The original Spirit LM package's user API over a converted folder: scripts written for it run unchanged once
their import line points here.

```python
# from spiritlm.model.spiritlm_model import Spiritlm, OutputModality, GenerationInput, ContentType   (original)
from modeling_spirit.compat import Spiritlm, OutputModality, GenerationInput, ContentType
from transformers import GenerationConfig

spirit_lm = Spiritlm("spirit-lm-base-7b")     # a converted folder (path, $SPIRITLM_CHECKPOINTS_DIR/<name>, or Hub id)
outputs = spirit_lm.generate(
    output_modality=OutputModality.TEXT,
    interleaved_inputs=[GenerationInput(content="The largest country in the world is", content_type=ContentType.TEXT)],
    generation_config=GenerationConfig(temperature=0.9, top_p=0.95, max_new_tokens=50, do_sample=True),
)
# [GenerationOuput(content="...", content_type=<ContentType.TEXT: 'TEXT'>)]
```

Without the package (remote code only), the same module is the folder's ``compat.py``:
``transformers.dynamic_module_utils.get_class_from_dynamic_module("compat.Spiritlm", folder)``.

Names as in the original (spec §7.1): :class:`ContentType`, :class:`OutputModality`, :class:`GenerationInput`
(``from_tuple``), :class:`GenerationOuput` (the original's spelling; ``GenerationOutput`` is an alias),
``InterleavedInputs`` / ``InterleavedOutputs``, :class:`SpiritlmVariants` (``EXPRESSIVIE_7B`` as spelled there),
:class:`Spiritlm` (``generate``, attributes ``model``, ``tokenizer``, ``speech_tokenizer``, ``is_expressive_model``,
``device``), and the speech tokenizer factories :func:`spiritlm_base` / :func:`spiritlm_expressive` returning a
:class:`SpiritLMSpeechTokenizerAPI` (``encode_units``, ``units2string``, ``encode_string``, ``__call__``,
``string2units``, ``decode``, ``load_audio``).

Generation is ``pipeline("spirit-lm")`` (the prompt rules, the output path, ``seed``) with the original's defaults:
``speaker_id=2``, and the original's banned tokens (``original_banned_tokens=True``: speech never stops at EOS and
runs to ``max_new_tokens``, as the original). Departures: ``force_tokens_to_output_modality=False`` is refused (the
pipeline always constrains to the output modality); the input list is not mutated in place; a variant name is
resolved to a converted folder rather than to Meta's checkpoint layout; the speech tokenizer factories build new
models per call (no module-level caches).
"""

import copy
import enum
import os
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from transformers import GenerationConfig

from .audio_utils import load_audio as _load_audio
from .components import load_component
from .constants import SAMPLING_RATE, SPEECH_MARKER, SPEECH_TOKENIZER_SUBFOLDER, TEXT_MARKER, VOCODER_SUBFOLDER
from .modeling_spirit_hifigan import SpiritLMHifiGan
from .modeling_spirit_lm import SpiritLMForCausalLM
from .modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from .pipeline_spirit_lm import SpiritLMPipeline
from .tokenization_spirit_lm import SpiritLMTokenizerFast
from .units import string_to_units

EXPECTED_SAMPLING_RATE = SAMPLING_RATE
CHECKPOINTS_ENV = "SPIRITLM_CHECKPOINTS_DIR"


class ContentType(enum.Enum):
    TEXT = "TEXT"
    SPEECH = "SPEECH"


class OutputModality(enum.Enum):
    TEXT = enum.auto()
    SPEECH = enum.auto()
    ARBITRARY = enum.auto()


class SpiritlmVariants(enum.Enum):
    BASE_7B = "spirit-lm-base-7b"
    EXPRESSIVIE_7B = "spirit-lm-expressive-7b"

    @classmethod
    def values_as_list(cls) -> List[str]:
        return [v.value for v in cls]


@dataclass
class GenerationInput:
    content: Union[str, os.PathLike, torch.Tensor, np.ndarray, bytes]
    content_type: ContentType

    @classmethod
    def from_tuple(cls, tup) -> "GenerationInput":
        content_type, content = tup
        content_type = str(content_type).upper()
        if content_type not in ContentType.__members__:
            raise ValueError(f"Content type {tup[0]!r} is not supported; allowed: 'text', 'speech' (any case).")
        return cls(content=content, content_type=ContentType[content_type])


@dataclass
class GenerationOuput:
    content: Union[str, np.ndarray]
    content_type: ContentType


GenerationOutput = GenerationOuput
InterleavedInputs = List[GenerationInput]
InterleavedOutputs = List[GenerationOuput]


def resolve_folder(name: Union[str, os.PathLike]) -> str:
    """A variant name or path → the converted Spirit LM folder: an existing path, else
    ``$SPIRITLM_CHECKPOINTS_DIR/<name>``, else ``name`` itself (a Hub repository id or cache entry)."""
    name = os.fspath(name)
    if os.path.isdir(name):
        return name
    root = os.environ.get(CHECKPOINTS_ENV)
    if root and os.path.isdir(os.path.join(root, name)):
        return os.path.join(root, name)
    return name


def _pipeline_item(item) -> Tuple[str, object]:
    if isinstance(item, tuple):
        item = GenerationInput.from_tuple(item)
    if not isinstance(item, GenerationInput):
        raise TypeError(
            f"An interleaved input is a GenerationInput or a ('text'|'speech', content) tuple; got "
            f"{type(item).__name__}."
        )
    if item.content_type == ContentType.TEXT:
        return "text", item.content
    content = item.content
    if isinstance(content, str):  # the original reads a str speech content as a path
        content = Path(content)
    return "speech", content


class Spiritlm:
    """The original's ``Spiritlm`` over a converted folder (see the module docstring).

    Args:
        name (`str`): ``"spirit-lm-base-7b"``, ``"spirit-lm-expressive-7b"`` or a folder path (resolved by
            :func:`resolve_folder`).
        **speech_tokenizer_kwargs: ``default_speaker`` / ``default_style``, accepted as by the original's factories
            (:meth:`generate`'s ``speaker_id`` defaults to 2, as the original's).
    """

    TEXT_PROMPT_PREFIX = TEXT_MARKER
    SPEECH_PROMPT_PREFIX = SPEECH_MARKER

    def __init__(self, name: str, **speech_tokenizer_kwargs):
        folder = resolve_folder(name)
        self.model = SpiritLMForCausalLM.from_pretrained(folder)
        self.tokenizer = SpiritLMTokenizerFast.from_pretrained(folder)
        self.speech_tokenizer = _speech_tokenizer(folder, **speech_tokenizer_kwargs)
        self.is_expressive_model = bool(self.model.config.is_expressive)
        self.device = self.model.device
        self._pipe = SpiritLMPipeline(model=self.model, tokenizer=self.tokenizer,
                                      speech_tokenizer=self.speech_tokenizer.model,
                                      vocoder=self.speech_tokenizer.model.vocoder)

    def generate(self, interleaved_inputs=None, prompt: Optional[str] = None,
                 output_modality: Union[OutputModality, str] = OutputModality.ARBITRARY,
                 generation_config: Optional[GenerationConfig] = None, force_tokens_to_output_modality: bool = True,
                 speaker_id: int = 2, return_prompt: bool = False, seed: Optional[int] = None, **kwargs):
        """The original's ``generate``: a list of :class:`GenerationOuput` (or ``(outputs, prompt)`` with
        ``return_prompt=True``); ``**kwargs`` are ``GenerationConfig`` attributes set on ``generation_config``."""
        if not force_tokens_to_output_modality:
            raise ValueError(
                "force_tokens_to_output_modality=False is not supported here: generation is always constrained to "
                "the output modality. Use output_modality=OutputModality.ARBITRARY for unconstrained generation."
            )
        modality = output_modality.name if isinstance(output_modality, OutputModality) else str(output_modality)
        config = copy.deepcopy(generation_config) if generation_config is not None else GenerationConfig()
        for key, value in kwargs.items():
            if not hasattr(config, key):
                raise ValueError(f"`{key}` is not a GenerationConfig attribute; pass generation options only.")
            setattr(config, key, value)
        generate_kwargs = {k: v for k, v in config.to_diff_dict().items()
                           if k != "transformers_version" and not k.startswith("_")}
        options = dict(output_modality=modality.lower(), speaker_id=speaker_id, return_prompt=True, seed=seed,
                       original_banned_tokens=True, **generate_kwargs)
        if prompt is not None:
            segments, built = self._pipe(prompt=prompt, **options)
        else:
            if interleaved_inputs is None:
                raise ValueError("Give `interleaved_inputs` or `prompt`.")
            if not isinstance(interleaved_inputs, list):
                interleaved_inputs = [interleaved_inputs]
            segments, built = self._pipe([_pipeline_item(x) for x in interleaved_inputs], **options)
        outputs = [GenerationOuput(s["text"], ContentType.TEXT) if s["type"] == "text"
                   else GenerationOuput(s["audio"], ContentType.SPEECH) for s in segments]
        return (outputs, built) if return_prompt else outputs


class SpiritLMSpeechTokenizerAPI:
    """The original's speech ``SpiritLMTokenizer`` surface over :class:`SpiritLMSpeechTokenizer` (``.model``) and
    the folder's vocoder: units are the original's space-joined strings per stream."""

    def __init__(self, model: SpiritLMSpeechTokenizer, default_speaker: int = 2, default_style: int = 8):
        self.model = model
        self.default_speaker = default_speaker
        self.default_style = default_style

    def load_audio(self, audio, sampling_rate: Optional[int] = None):
        return _load_audio(audio, sampling_rate=sampling_rate)

    def encode_units(self, audio, channel_id: Optional[int] = None):
        """``{"audio": path (for a path input), "hubert": "99 49 ...", "pitch": ..., "style": ...}``."""
        units = self.model.encode_units(audio, channel_id=channel_id)
        out = {"audio": os.fspath(audio)} if isinstance(audio, (str, os.PathLike)) else {}
        out.update({k: " ".join(str(u) for u in v) for k, v in units.items()})
        return out

    def units2string(self, units) -> str:
        return self.model.units_to_string({k: [int(u) for u in (v.split() if isinstance(v, str) else v)]
                                           for k, v in units.items() if k in ("hubert", "pitch", "style")})

    def encode_string(self, audio, channel_id: Optional[int] = None) -> str:
        return self.model.encode_string(audio, channel_id=channel_id)

    __call__ = encode_string

    def string2units(self, gen: str):
        return {k: " ".join(str(u) for u in v) for k, v in string_to_units(gen).items()}

    def decode(self, code, speaker_id: int = 2, dur_pred: bool = True):
        if isinstance(code, dict):
            code = {k: [int(u) for u in (v.split() if isinstance(v, str) else v)] for k, v in code.items()
                    if k in ("hubert", "pitch", "style")}
        return self.model.decode(code, speaker_id=speaker_id, dur_pred=dur_pred)


def _speech_tokenizer(folder: str, **kwargs) -> SpiritLMSpeechTokenizerAPI:
    model = load_component(SpiritLMSpeechTokenizer, folder, SPEECH_TOKENIZER_SUBFOLDER)
    if model is None:
        raise ValueError(f"{folder} has no speech tokenizer ({SPEECH_TOKENIZER_SUBFOLDER}/): convert the full model.")
    if model.vocoder is None:
        vocoder = load_component(SpiritLMHifiGan, folder, VOCODER_SUBFOLDER)
        if vocoder is not None:
            model.attach_vocoder(vocoder)
    return SpiritLMSpeechTokenizerAPI(model, **kwargs)


def spiritlm_base(default_speaker: int = 2, default_style: int = 8, name: str = SpiritlmVariants.BASE_7B.value):
    """The base speech tokenizer (with its vocoder) of the converted ``spirit-lm-base-7b`` folder."""
    return _speech_tokenizer(resolve_folder(name), default_speaker=default_speaker, default_style=default_style)


def spiritlm_expressive(f0_backbone: str = "fcpe", default_speaker: int = 2,
                        name: str = SpiritlmVariants.EXPRESSIVIE_7B.value):
    """The expressive speech tokenizer (with its vocoder) of the converted ``spirit-lm-expressive-7b`` folder."""
    if f0_backbone != "fcpe":
        raise ValueError(f"f0_backbone={f0_backbone!r}: the converted speech tokenizer uses 'fcpe' only.")
    return _speech_tokenizer(resolve_folder(name), default_speaker=default_speaker)


__all__ = ["Spiritlm", "ContentType", "OutputModality", "GenerationInput", "GenerationOuput", "GenerationOutput",
           "InterleavedInputs", "InterleavedOutputs", "SpiritlmVariants", "spiritlm_base", "spiritlm_expressive",
           "SpiritLMSpeechTokenizerAPI", "resolve_folder", "EXPECTED_SAMPLING_RATE"]
