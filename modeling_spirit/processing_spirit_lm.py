# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Prompt building for Spirit LM: interleaved text/speech inputs → the original's prompt strings → ids.

Prompt rules (exactly the original's, spec §1.3): walk the items; a speech item appends ``[Speech]`` only when the
previous item was not speech, then its unit string; a text item appends ``[Text]`` only when the previous item was
not text, then the text verbatim (no space, no strip). Finally a trailing marker for the wanted output modality is
appended when the last item is of the other modality (text → ``[Text]``, speech → ``[Speech]``, arbitrary →
nothing). E.g. T→T ``"[Text]hello"``, T→S ``"[Text]hello[Speech]"``, S→T ``"[Speech][Hu99]...[Text]"``.

Markers typed inside user text (``"say [Speech][Hu3]"``) are kept verbatim, as the original: they tokenize to the
marker and unit tokens, so the model sees speech there. Strip them from untrusted text if that is not wanted.

Chat template (:data:`CHAT_TEMPLATE`, saved as ``chat_template.jinja`` with the processor): Spirit LM is a base model,
not a chat model, so the template is the same walk written in Jinja over the content items of every message in order
(roles are not rendered: a user turn and an assistant turn are just consecutive items). ``{"type": "text", "text"}``
items (and plain string contents) are text items; ``{"type": "audio"|"speech", "audio"|"path"|"url": ...}`` items are
speech items, rendered as ``[Speech]`` (when the previous item was not speech) and :data:`~.constants.AUDIO_PLACEHOLDER`,
which the processor replaces with the audio's unit string before tokenizing. ``add_generation_prompt=True`` with the
template variable ``output_modality="text"|"speech"`` appends the trailing marker (nothing for ``"arbitrary"`` or when
it is not given). So ``processor.apply_chat_template(messages, add_generation_prompt=True, output_modality=m,
tokenize=True)`` gives exactly the ids ``pipeline("spirit-lm")`` builds for the same items with ``output_modality=m``;
few-shot prompts (:mod:`.few_shot`) are written as alternating messages, the intent prefix ``"A:"`` as a final
assistant message continued with ``continue_final_message=True``.
"""

import os
from pathlib import Path
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np
import torch

from transformers import BatchEncoding, BatchFeature, ProcessorMixin
from transformers.audio_utils import load_audio as _fetch_audio

from .components import load_component
from .feature_extraction_spirit_lm import SpiritLMFeatureExtractor
from .constants import AUDIO_PLACEHOLDER, SPEECH_MARKER, SPEECH_TOKENIZER_SUBFOLDER, TEXT_MARKER
from .modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from .output_spirit_lm import OutputModality, SpiritLMIdLayout, decode_segments

ITEM_TYPES = ("text", "speech")
# Content item types of chat messages that are speech (transformers' name, and this package's).
CHAT_AUDIO_TYPES = ("audio", "speech")
# The keys of a chat audio item that hold the audio, in the order they are looked up.
CHAT_AUDIO_KEYS = ("audio", "path", "url")

# The original's prompt rules (module docstring) over chat messages; see the module docstring.
CHAT_TEMPLATE = (
    "{%- set ns = namespace(prev='') -%}"
    "{%- for message in messages -%}"
    "{%- if message['content'] is string -%}{%- set items = [{'type': 'text', 'text': message['content']}] -%}"
    "{%- else -%}{%- set items = message['content'] -%}{%- endif -%}"
    "{%- for item in items -%}"
    "{%- if item['type'] == 'text' -%}"
    "{%- if ns.prev != 'text' -%}" + TEXT_MARKER + "{%- endif -%}"
    "{{- item['text'] -}}{%- set ns.prev = 'text' -%}"
    "{%- elif item['type'] in " + repr(list(CHAT_AUDIO_TYPES)) + " -%}"
    "{%- if ns.prev != 'speech' -%}" + SPEECH_MARKER + "{%- endif -%}"
    "{{- '" + AUDIO_PLACEHOLDER + "' -}}{%- set ns.prev = 'speech' -%}"
    "{%- else -%}"
    "{{- raise_exception('Spirit LM reads text and audio content items; got an item of type ' + item['type'] | string"
    " + '. Allowed: text, audio (or speech).') -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{%- set modality = (output_modality | default('arbitrary') | string | lower) -%}"
    "{%- if modality == 'text' and ns.prev != 'text' -%}" + TEXT_MARKER + ""
    "{%- elif modality == 'speech' and ns.prev != 'speech' -%}" + SPEECH_MARKER + ""
    "{%- elif modality not in ['text', 'speech', 'arbitrary'] -%}"
    "{{- raise_exception('output_modality must be text, speech or arbitrary; got ' + modality) -}}"
    "{%- endif -%}"
    "{%- endif -%}"
)


class _Companion:
    """An optional model beside the processor (the speech tokenizer), loaded on first use from the processor's folder.

    Deep copies share it: the processor's ``to_dict`` deep-copies its attributes, and a model is neither copied nor
    saved with the processor (it lives in its own subfolder).
    """

    def __init__(self, value=None, root=None, revision=None):
        self.value, self.root, self.revision = value, root, revision

    def get(self, cls, subfolder):
        if self.value is None and self.root is not None:
            root, self.root = self.root, None
            self.value = load_component(cls, root, subfolder, revision=self.revision)
        return self.value

    def __deepcopy__(self, memo):
        return self


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


def _encode_waves(speech_tokenizer, waves) -> List[str]:
    """Unit strings of 16 kHz waveforms, encoded in one batch (one call per call of the processor)."""
    return speech_tokenizer.encode_string(waves) if len(waves) > 1 else [speech_tokenizer.encode_string(waves[0])]


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

    def __init__(self, feature_extractor, tokenizer, chat_template=None, **kwargs):
        speech_tokenizer = kwargs.pop("speech_tokenizer", None)
        # Folders saved before the template existed get it too (it renders the original's prompt rules).
        super().__init__(feature_extractor, tokenizer, chat_template=chat_template or CHAT_TEMPLATE, **kwargs)
        self._speech = _Companion(speech_tokenizer)

    @classmethod
    def from_pretrained(cls, pretrained_model_name_or_path, *args, speech_tokenizer=None, **kwargs):
        """``ProcessorMixin.from_pretrained``; the folder's speech tokenizer (``speech_tokenizer/``, used for audio
        content items of chat messages) is loaded on first use, or give one as ``speech_tokenizer=``."""
        processor = super().from_pretrained(pretrained_model_name_or_path, *args, **kwargs)
        processor._speech = _Companion(speech_tokenizer, os.fspath(pretrained_model_name_or_path),
                                       kwargs.get("revision"))
        return processor

    @property
    def speech_tokenizer(self):
        """The speech tokenizer for audio in chat messages and in ``text=``/``audio=`` calls: the one given (or set),
        else the one saved beside this processor in its Spirit LM folder (loaded on first use), else ``None``."""
        return self._speech.get(SpiritLMSpeechTokenizer, SPEECH_TOKENIZER_SUBFOLDER)

    @speech_tokenizer.setter
    def speech_tokenizer(self, value):
        self._speech = _Companion(value)

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
            strings = _encode_waves(speech_tokenizer, [self.feature_extractor.load(a) for a in speech])
        encoded = iter(strings)
        return [build_prompt(items, output_modality, lambda _audio: next(encoded)) for items in batch]

    # -- chat template and transformers' multimodal API ----------------------------------------------------------
    def load_chat_audio(self, item) -> np.ndarray:
        """One audio content item of a chat message → 16 kHz mono float32 samples (the pipeline's loading)."""
        for key in CHAT_AUDIO_KEYS:
            if key in item and item[key] is not None:
                value = item[key]
                if key == "url" or (isinstance(value, str) and value.startswith(("http://", "https://"))):
                    value = {"array": _fetch_audio(value, sampling_rate=self.feature_extractor.sampling_rate),
                             "sampling_rate": self.feature_extractor.sampling_rate}
                return self.feature_extractor.load(value)
        raise ValueError(
            f"An audio content item needs one of the keys {CHAT_AUDIO_KEYS} (a waveform, path or URL); got keys "
            f"{sorted(item)}."
        )

    def _multimodal_inputs_from_conversations(self, conversations, audio_loading_params, load_audio_from_video=False):
        """Audio of every chat, in order, loaded as :func:`pipeline("spirit-lm") <build_prompt>` loads speech items
        (``audio_utils.load_audio``, so units equal the pipeline's); Spirit LM reads no images or videos."""
        audios = []
        for conversation in conversations:
            for message in conversation:
                content = message.get("content")
                if isinstance(content, str) or not content:
                    continue
                for item in content:
                    if not isinstance(item, dict) or "type" not in item:
                        raise TypeError(f"A chat content item must be a dict with a 'type' key; got {item!r:.80}.")
                    if item["type"] in CHAT_AUDIO_TYPES:
                        audios.append(self.load_chat_audio(item))
        return [[] for _ in conversations], [[] for _ in conversations], audios, {}

    def expand_audio_placeholders(self, text, audio=None, speech_tokenizer=None) -> List[str]:
        """Rendered chat prompt(s) → the original's prompt strings: each :data:`~.constants.AUDIO_PLACEHOLDER`
        (in order, over the whole batch) becomes the unit string of the next waveform of ``audio`` (all encoded in
        one batch). A text without marker or placeholder (``pipeline("any-to-any")`` called without the chat format)
        is one text item, after the audio given with it (``[Speech]<units>`` first)."""
        texts = [text] if isinstance(text, str) else list(text)
        audio = [] if audio is None else ([audio] if isinstance(audio, np.ndarray) and audio.ndim == 1 else list(audio))
        if not any(AUDIO_PLACEHOLDER in t for t in texts):
            if audio and len(texts) != 1:
                raise ValueError(
                    f"{len(audio)} audio inputs were given with {len(texts)} texts without audio placeholders; use "
                    "the chat format (messages with audio content items) to place audio in a batch."
                )
            plain = [t if t.startswith((TEXT_MARKER, SPEECH_MARKER)) else TEXT_MARKER + t for t in texts]
            if audio:
                plain = [SPEECH_MARKER + AUDIO_PLACEHOLDER * len(audio) + (plain[0] if texts[0] else "")]
            texts = plain
        needed = sum(t.count(AUDIO_PLACEHOLDER) for t in texts)
        if needed != len(audio):
            raise ValueError(
                f"The prompt has {needed} audio placeholders ({AUDIO_PLACEHOLDER}) but {len(audio)} audio inputs were "
                "given; each audio content item of the chat needs its audio."
            )
        if not needed:
            return texts
        speech_tokenizer = speech_tokenizer if speech_tokenizer is not None else self.speech_tokenizer
        if speech_tokenizer is None:
            build_prompt([("speech", None)], "arbitrary", None)  # raises the "needs the speech tokenizer" error
        waves = [self.feature_extractor.load(a) for a in audio]
        units = iter(_encode_waves(speech_tokenizer, waves))
        return ["".join(part if k == 0 else next(units) + part for k, part in enumerate(t.split(AUDIO_PLACEHOLDER)))
                for t in texts]

    def post_process_multimodal_output(self, generated_outputs, skip_special_tokens=True, generation_mode=None,
                                       **kwargs):
        """``SpiritLMForMultimodalLM.generate``'s output → one text (``generation_mode`` None/``"text"``) or one
        16 kHz waveform (``"audio"``) per input, through the one output path (the same text and audio as
        ``pipeline("spirit-lm")``). Plain id tensors (e.g. the prompt's ``input_ids``) are decoded verbatim."""
        mode = generation_mode or "text"
        if mode not in ("text", "audio"):
            raise ValueError(f"{type(self).__name__} got generation_mode={generation_mode!r}; allowed: 'text', 'audio'.")
        if hasattr(generated_outputs, "new_ids") and hasattr(generated_outputs, "output_modality"):
            out = generated_outputs
            if mode == "audio":
                if out.audio is None:
                    raise ValueError("These outputs hold no audio: generate them with generation_mode='audio'.")
                return list(out.audio)
            texts = []
            for new_ids, prompt_ids in zip(out.new_ids, out.prompt_ids):
                pairs = decode_segments(self.tokenizer, out.config, new_ids, out.output_modality, prompt_ids=prompt_ids)
                texts.append("".join(text for segment, text in pairs if segment.type == "text"))
            return texts
        if mode == "audio":
            raise ValueError("Audio comes from SpiritLMForMultimodalLM.generate(..., generation_mode='audio'), not ids.")
        ids = generated_outputs.tolist() if hasattr(generated_outputs, "tolist") else generated_outputs
        if ids and isinstance(ids[0], int):
            return self.tokenizer.decode(ids, skip_special_tokens=skip_special_tokens, **kwargs)
        return [self.tokenizer.decode(row, skip_special_tokens=skip_special_tokens, **kwargs) for row in ids]

    def __call__(self, inputs=None, output_modality="arbitrary", speech_tokenizer=None, prompt=None,
                 return_tensors: Optional[str] = "pt", **kwargs) -> BatchEncoding:
        """Tokenize one input or a batch into left-padded ``input_ids``/``attention_mask`` (BOS added, no EOS).

        ``prompt=`` (a raw prompt string or a list of them) is used verbatim instead of ``inputs``. The returned
        encoding also carries ``prompts``, the prompt strings.
        """
        text, audio = kwargs.pop("text", None), kwargs.pop("audio", None)
        for unused in ("images", "videos", "sampling_rate", "padding"):  # chat-template calls; audio is 16 kHz already
            value = kwargs.pop(unused, None)
            if unused in ("images", "videos") and value is not None:
                raise ValueError(f"Spirit LM reads text and audio only; got `{unused}=`.")
        if text is not None and inputs is None and prompt is None:
            # transformers' multimodal API: a rendered chat template (with audio placeholders) and its audio.
            prompts = self.expand_audio_placeholders(text, audio, speech_tokenizer)
            add_special_tokens = kwargs.pop("add_special_tokens", True)
            if kwargs:
                raise ValueError(
                    f"SpiritLMProcessor got unexpected keywords {sorted(kwargs)}. Generation options given to a "
                    "pipeline('any-to-any') call reach the processor: pass them as `generate_kwargs={...}` (or "
                    "`max_new_tokens=`), or when creating the pipeline."
                )
            ids = [self.tokenizer(p, add_special_tokens=add_special_tokens)["input_ids"] for p in prompts]
            pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.tokenizer.eos_token_id
            input_ids, attention_mask = left_pad(ids, pad_id)
            data = {"input_ids": input_ids, "attention_mask": attention_mask}
            return BatchFeature(data if return_tensors == "pt" else {k: v.tolist() for k, v in data.items()})
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


__all__ = ["SpiritLMProcessor", "CHAT_TEMPLATE", "normalize_input", "normalize_item", "is_batch", "build_prompt",
           "left_pad"]
