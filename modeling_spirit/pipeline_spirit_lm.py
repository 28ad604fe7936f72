# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""``pipeline("spirit-lm")``: interleaved text/speech in, ordered text/speech segments out.

```python
pipe = pipeline("spirit-lm", model="path/to/spirit-lm-folder", trust_remote_code=True)
pipe("The capital of France is", output_modality="text", max_new_tokens=20)
# [{"type": "text", "text": "..."}]
pipe([("speech", "question.wav"), ("text", "Answer:")], output_modality="speech")
# [{"type": "speech", "audio": np.ndarray (float32, 16 kHz), "sampling_rate": 16000}]
```

Speech segments also carry ``"units"``: the generated unit string (``[St..][Pi..][Hu..]``) that was vocoded.

Output shape: one input gives a list of segments; a batch gives one such list per input. With
``num_return_sequences=n`` (n > 1; with ``num_beams >= n`` or ``do_sample=True``) each input gives a list of ``n``
segment lists (its sequences in ``generate``'s order, best beam first), as transformers' text-generation pipeline
returns a list of ``n`` results per input; a batch gives one such list per input. ``n = 1`` (the default) keeps the
plain shape. With ``return_prompt=True`` each input's result is ``(result, prompt)``.

Inputs: a string (text), an audio (``pathlib.Path``, bytes, numpy array / tensor at 16 kHz, or a datasets
``{"array", "sampling_rate"}`` dict), or a list of ``("text", str)`` / ``("speech", audio)`` items; a list of such
inputs is a batch (left-padded, one ``generate`` per ``batch_size`` inputs; greedy results equal one-by-one).

Call options: ``output_modality`` (``"text"`` | ``"speech"`` | ``"arbitrary"``, default ``"arbitrary"``),
``prompt=`` (a raw prompt string used verbatim, as the original), ``speaker_id``, ``seed``, ``return_prompt``,
``original_banned_tokens`` (speech never stops at EOS, as the original), ``batch_size`` (an int >= 1; default the
pipeline's, else 8), and every ``generate`` keyword (``max_new_tokens``, ``do_sample``, ``temperature``, ``top_p``,
``num_return_sequences``, ...).

Checked before anything is generated: the prompt plus the new tokens must fit the model's context
(``max_position_embeddings``), with the limit ``generate`` applies: ``max_new_tokens`` (the call's, else the model's
``generation_config``'s, 200 for the shipped models, which wins over ``max_length``), else ``max_length``; ``speaker_id`` must be one of the vocoder's
speakers (index or name); ``batch_size`` and ``num_return_sequences`` must be ints >= 1. Errors are
:class:`SpiritLMPipelineError` (a ``ValueError``) or, for audio, :class:`~.audio_utils.AudioInputError`.

``seed=`` seeds the process-global generators (python, numpy, torch; transformers' ``set_seed``, as the original),
so the same seed gives the same sample as before. A seeded call (and any sampling call) holds a process-wide lock
(:data:`~.streaming_spirit_lm.SEED_LOCK`) from seeding to the end of generation, so concurrent seeded calls from
several threads each give their single-threaded result (they run one after another). Code outside the pipeline that
draws from the global generators meanwhile is not stopped; the expressive vocoder's random style fallback draws from
python's ``random`` after generation.

Markers typed inside user text (``"[Speech][Hu3]"`` or ``"[Text]"`` in a text item) are kept verbatim in the prompt,
as the original does: they tokenize to the marker and unit tokens, so the model sees speech there. Strip them from
untrusted text if that is not wanted. ``prompt=`` is verbatim too.

Few-shot tasks (paper appendix B; formats in :mod:`.few_shot`): ``pipe(audio, few_shot="asr", examples=[(audio,
"transcript"), ...])`` → ``[{"type": "text", "text": transcript}]``; ``few_shot="tts"`` with ``(text, audio)`` examples
→ one speech segment; ``few_shot="intent"`` with ``(audio, intent)`` examples → the intent text. Generation stops when
the model opens the next example.
"""

import copy
from typing import Any, Callable, Dict, List, Optional

import numpy as np
import torch
from transformers import Pipeline
from transformers.utils import logging

from .audio_utils import load_audio
from .components import load_component
from .constants import SAMPLING_RATE, SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER
from .feature_extraction_spirit_lm import SpiritLMFeatureExtractor
from .few_shot import TASK_MODALITIES, _check_task, few_shot_prompt, few_shot_stop_ids
from .modeling_spirit_hifigan import SpiritLMHifiGan
from .modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from .output_spirit_lm import (
    OutputModality,
    SpiritLMIdLayout,
    SpiritLMPipelineError,
    SpiritLMSegment,
    SpiritLMSpeechRules,
    SpiritLMVocodeJob,
    decode_segments,
    plan_vocode_job,
    vocode_jobs,
    vocode_speech_segment,
)
from .processing_spirit_lm import SpiritLMProcessor, build_prompt, is_batch, left_pad, normalize_input
from .streaming_spirit_lm import seeded, stream, stream_batch

logger = logging.get_logger(__name__)

_PREPROCESS_KEYS = ("output_modality", "prompt", "seed")
_FAST_KEY = "fast"  # one switch, read by every stage (see `fast_dtype`, `_fast_lm`, `_vocoder_dtype`)
_POSTPROCESS_KEYS = ("speaker_id", "return_prompt")
_FORWARD_KEYS = ("original_banned_tokens",)
_NO_VOCODER = (
    "Speech output needs the vocoder. Load a Spirit LM folder that has one (`vocoder/`), pass `vocoder=` to the "
    "pipeline, or ask for output_modality='text'."
)


def fast_dtype(device) -> Optional[torch.dtype]:
    """The low-precision dtype of the fast path (``fast=True``) on ``device``: ``torch.bfloat16`` where it has native
    bf16 kernels (CUDA with bf16 support; a CPU whose oneDNN has bf16 kernels: AVX512-BF16 / AMX), ``torch.float16``
    on older CUDA GPUs, ``None`` elsewhere (the fast path then keeps float32 there)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.type == "cpu":
        supported = getattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", None)
        return torch.bfloat16 if supported is not None and supported() else None
    return None


def _positive_int(value, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) < 1:
        raise SpiritLMPipelineError(
            f"`{name}` is {value!r} (type {type(value).__name__}); it must be an int >= 1."
        )
    return int(value)


class SpiritLMPipeline(Pipeline):
    """Generation with Spirit LM in every direction (text/speech in, text/speech out). See the module docstring.

    Args:
        model (`SpiritLMForCausalLM`): the language model.
        tokenizer (`SpiritLMTokenizer` or `SpiritLMTokenizerFast`): its text tokenizer.
        speech_tokenizer (*optional*): audio → unit string (``encode_string``); needed for speech inputs.
        vocoder (*optional*): unit string → waveform (``decode``); needed for speech outputs.
    """

    _pipeline_calls_generate = False
    _load_processor = False
    _load_image_processor = False
    _load_feature_extractor = False
    _load_tokenizer = True

    def __init__(self, model, tokenizer=None, speech_tokenizer=None, vocoder=None, **kwargs):
        self.speech_tokenizer = speech_tokenizer
        self.vocoder = vocoder
        super().__init__(model=model, tokenizer=tokenizer, **kwargs)
        if self.tokenizer is None:
            raise ValueError("pipeline('spirit-lm') needs the model's tokenizer; pass `tokenizer=`.")
        if self.processor is None:
            self.processor = SpiritLMProcessor(SpiritLMFeatureExtractor(), self.tokenizer)
        self._load_companions()

    def _load_companions(self) -> None:
        """Load the speech tokenizer / vocoder saved beside the LM (``speech_tokenizer/``, ``vocoder/``), from a local
        folder or a Hub repository (cache)."""
        root = getattr(self.model, "name_or_path", None) or getattr(self.model.config, "_name_or_path", "")
        if not root:
            return
        if self.vocoder is None:
            self.vocoder = load_component(SpiritLMHifiGan, root, VOCODER_SUBFOLDER)
        if self.speech_tokenizer is None:
            self.speech_tokenizer = load_component(SpiritLMSpeechTokenizer, root, SPEECH_TOKENIZER_SUBFOLDER)

    # -- parameters ----------------------------------------------------------------------------------------------
    def _sanitize_parameters(self, **kwargs):
        preprocess = {k: kwargs.pop(k) for k in _PREPROCESS_KEYS if k in kwargs}
        postprocess = {k: kwargs.pop(k) for k in _POSTPROCESS_KEYS if k in kwargs}
        forward = {k: kwargs.pop(k) for k in _FORWARD_KEYS if k in kwargs}
        if _FAST_KEY in kwargs:
            fast = kwargs.pop(_FAST_KEY)
            if not isinstance(fast, (bool, np.bool_)):
                raise SpiritLMPipelineError(f"`fast` is {fast!r} (type {type(fast).__name__}); it must be True or False.")
            preprocess[_FAST_KEY] = forward[_FAST_KEY] = postprocess[_FAST_KEY] = bool(fast)
        if "output_modality" in preprocess:
            preprocess["output_modality"] = OutputModality.parse(preprocess["output_modality"])
            forward["output_modality"] = preprocess["output_modality"]
            postprocess["output_modality"] = preprocess["output_modality"]
        if "few_shot" in kwargs:
            task = _check_task(kwargs.pop("few_shot"))
            preprocess["few_shot"] = (task, kwargs.pop("examples", None))
            # Generate freely and stop where the model opens the next example (spec: paper appendix B formats).
            kwargs["eos_token_id"] = few_shot_stop_ids(task, self.model.config)
            forward["output_modality"] = postprocess["output_modality"] = OutputModality.ARBITRARY
            postprocess["few_shot"] = task
        elif "examples" in kwargs:
            raise ValueError("`examples=` is only used with `few_shot='asr'|'tts'|'intent'`.")
        # Everything else is a `generate` keyword.
        forward["generate_kwargs"] = kwargs
        return preprocess, forward, postprocess

    def __call__(self, inputs=None, **kwargs):
        """Generate for one input or a list of inputs; returns a list of segments (a list of lists for a batch).

        ``stream=True`` (one input) returns an iterator of text deltas and audio chunks as they are generated
        instead; see ``streaming_spirit_lm.stream``.
        """
        if kwargs.pop("stream", False):
            return stream(self, inputs, **kwargs)
        batch_size = kwargs.pop("batch_size", None)
        if batch_size is None:
            batch_size = self._batch_size or 8
        batch_size = _positive_int(batch_size, "batch_size")
        if inputs is None and "prompt" not in kwargs:
            raise ValueError("Give an input (text, audio or interleaved list) or `prompt=`.")
        batched = inputs is not None and is_batch(inputs)
        items = list(inputs) if batched else [inputs]
        pre, fwd, post = self._sanitize_parameters(**kwargs)
        pre = {**self._preprocess_params, **pre}
        fwd = {**self._forward_params, **fwd}
        fwd["generate_kwargs"] = {**self._forward_params.get("generate_kwargs", {}), **fwd["generate_kwargs"]}
        post = {**self._postprocess_params, **post}
        self._check_speaker(post.get("speaker_id"))
        post["num_return_sequences"] = self._num_return_sequences(fwd["generate_kwargs"])
        seed = pre.pop("seed", None)
        results = []
        # Seeded before prompt building, as the original; the lock keeps other threads' draws out until the end.
        with seeded(seed, lock=self._samples(fwd["generate_kwargs"])):
            for start in range(0, len(items), batch_size):
                batch_items = items[start : start + batch_size]
                encode_speech = self._batch_speech_encoder(batch_items, pre)
                chunk = [self.preprocess(x, **pre, encode_speech=encode_speech) for x in batch_items]
                model_outputs = self.forward(chunk, **fwd)
                results.extend(self.postprocess(model_outputs, **post))
        return results if batched else results[0]

    def stream_batch(self, inputs, **kwargs):
        """Stream a batch with one ``generate`` call: an iterator of ``(index, event)`` pairs (see
        :func:`~.streaming_spirit_lm.stream_batch`)."""
        return stream_batch(self, inputs, **kwargs)

    # -- checks before generating --------------------------------------------------------------------------------
    def _generation_config(self, generate_kwargs):
        return generate_kwargs.get("generation_config") or getattr(self.model, "generation_config", None)

    def _samples(self, generate_kwargs) -> bool:
        """Whether this call draws from the random generators (sampling)."""
        if "do_sample" in generate_kwargs:
            return bool(generate_kwargs["do_sample"])
        return bool(getattr(self._generation_config(generate_kwargs), "do_sample", False))

    def _num_return_sequences(self, generate_kwargs) -> int:
        n = generate_kwargs.get("num_return_sequences")
        if n is None:
            n = getattr(self._generation_config(generate_kwargs), "num_return_sequences", None) or 1
        return _positive_int(n, "num_return_sequences")

    def _check_context(self, prompt_len: int, generate_kwargs) -> None:
        """Raise before generating when the prompt plus the effective new tokens exceed the model's context.

        The effective limit is the one ``generate`` applies: ``max_new_tokens`` (the call's, else the generation
        config's, which wins over any ``max_length``), else ``max_length`` (the call's, else the generation config's).
        """
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit is None:
            return
        gen = self._generation_config(generate_kwargs)
        model_value = lambda key: getattr(gen, key, None)  # noqa: E731
        for key in ("max_new_tokens", "max_length"):
            value, where = generate_kwargs.get(key), "the call's"
            if value is None:
                value, where = model_value(key), "the model's generation_config"
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                raise SpiritLMPipelineError(f"`{key}` is {value!r} ({where}); it must be an int >= 0.")
            total = prompt_len + int(value) if key == "max_new_tokens" else int(value)
            if total > limit:
                raise SpiritLMPipelineError(
                    f"prompt ({prompt_len} tokens) + max_new_tokens exceeds the model's context of {limit} tokens "
                    f"(max_position_embeddings): {key}={value} ({where}) allows {total} tokens in all. Pass "
                    f"`max_new_tokens=` at most {max(limit - prompt_len, 0)}, or shorten the prompt."
                )
            return

    def _check_speaker(self, speaker_id) -> None:
        """Check ``speaker_id`` against the vocoder's speakers before generating (the vocoder's own rules)."""
        if speaker_id is None or self.vocoder is None:
            return
        resolve = getattr(self.vocoder, "_resolve_id", None)
        if resolve is not None:
            try:
                resolve(speaker_id, "speaker")
            except (ValueError, TypeError) as e:
                raise SpiritLMPipelineError(
                    f"`speaker_id={speaker_id!r}` cannot be used: {e} Pass one of the vocoder's speakers (index or "
                    "name) or None for its default (checked before generating)."
                ) from None

    # -- steps ---------------------------------------------------------------------------------------------------
    def _load_speech(self, audio) -> np.ndarray:
        if self.speech_tokenizer is None:
            raise ValueError(
                "This input has a speech item, which needs the speech tokenizer. Load a Spirit LM folder that has one "
                "(`speech_tokenizer/`), or pass `speech_tokenizer=` to the pipeline."
            )
        # One speech item is one audio: load it here (a list of numbers is samples, never a batch of audios).
        rate = getattr(getattr(self.speech_tokenizer, "config", None), "sampling_rate", SAMPLING_RATE)
        return load_audio(audio, target_rate=rate)

    def _encode_speech(self, audio, fast: bool = False) -> str:
        wave = self._load_speech(audio)  # (raises the clear error when there is no speech tokenizer)
        return self.speech_tokenizer.encode_string(wave, **({"fast": True} if fast else {}))

    def _prompt_string(self, inputs, encode_speech, output_modality=OutputModality.ARBITRARY,
                       prompt: Optional[str] = None, few_shot=None) -> str:
        if prompt is not None:
            return prompt  # verbatim, as the original (the interleaved input is ignored)
        if few_shot is not None:
            task, examples = few_shot
            return few_shot_prompt(task, examples or [], inputs, encode_speech)
        return build_prompt(normalize_input(inputs), output_modality, encode_speech)

    def _batch_speech_encoder(self, batch_items, pre) -> Optional[Callable[[Any], str]]:
        """All the speech of a batch (every input's speech items, few-shot examples included) in ONE speech-tokenizer
        call: a first pass over the prompts collects the audios in prompt-building order, ``encode_string`` gets
        them as one list, and the returned callback hands the unit strings back in that order when the prompts are
        built. ``None`` (encode as the prompts are built) when the batch has fewer than two audios."""
        if self.speech_tokenizer is None:
            return None
        audios: List[Any] = []

        def collect(audio) -> str:
            audios.append(audio)
            return ""

        opts = {k: v for k, v in pre.items() if k != _FAST_KEY}
        try:
            for x in batch_items:
                self._prompt_string(x, collect, **opts)
        except Exception:
            return None  # a bad input: let the per-input path raise its usual error
        if len(audios) < 2:
            return None
        waves = [self._load_speech(a) for a in audios]
        strings = iter(self.speech_tokenizer.encode_string(waves, **({"fast": True} if pre.get(_FAST_KEY) else {})))
        return lambda audio: next(strings)

    def preprocess(self, inputs, output_modality=OutputModality.ARBITRARY, prompt: Optional[str] = None,
                   few_shot=None, fast: bool = False, encode_speech: Optional[Callable[[Any], str]] = None):
        if output_modality == OutputModality.SPEECH and self.vocoder is None:
            raise ValueError(_NO_VOCODER)
        if encode_speech is None:
            encode_speech = lambda audio: self._encode_speech(audio, fast=fast)  # noqa: E731
        prompt_string = self._prompt_string(inputs, encode_speech, output_modality, prompt, few_shot)
        ids = self.tokenizer(prompt_string, add_special_tokens=True)["input_ids"]
        limit = getattr(self.model.config, "max_position_embeddings", None)
        if limit is not None and len(ids) >= limit:
            raise SpiritLMPipelineError(
                f"The prompt is {len(ids)} tokens long but the model's context is {limit} tokens "
                "(max_position_embeddings). Shorten the prompt (e.g. fewer or shorter audio/text items)."
            )
        return {"prompt": prompt_string, "prompt_ids": ids}

    def _fast_lm(self, fast: bool):
        """The LM that generates: ``self.model``, or for ``fast=True`` with float32 weights a cached copy in
        :func:`fast_dtype` (rebuilt when a parameter is replaced, moved or updated in place). A model already in
        bf16/fp16 runs as it is (the released 7B models load in bf16, so there the switch costs no memory). A copy,
        not ``torch.autocast``: autocast re-casts every weight at every decoding step, which made greedy generation
        slower than float32 on this project's CPU (``benchmarks/bench_fast.py``); the copy costs half the float32
        model's memory once."""
        dtype = fast_dtype(self.model.device) if fast else None
        if dtype is None or self.model.dtype != torch.float32:
            return self.model
        key = (dtype, tuple((p.data_ptr(), p._version) for p in self.model.parameters()))
        cache = self.__dict__.get("_fast_lm_cache")
        if cache is None or cache[0] != key:
            self.__dict__["_fast_lm_cache"] = None  # free the old copy first
            cache = (key, copy.deepcopy(self.model).to(dtype).eval())
            self.__dict__["_fast_lm_cache"] = cache
        return cache[1]

    def _forward(self, model_inputs, output_modality=OutputModality.ARBITRARY, original_banned_tokens=False,
                 generate_kwargs=None, fast: bool = False):
        generate_kwargs = dict(generate_kwargs or {})
        pad_id = self.tokenizer.pad_token_id
        if pad_id is None:
            pad_id = self.model.config.eos_token_id
        input_ids, attention_mask = left_pad([m["prompt_ids"] for m in model_inputs], pad_id)
        generate_kwargs.setdefault("pad_token_id", pad_id)
        self._check_context(input_ids.shape[1], generate_kwargs)
        device = self.model.device
        model = self._fast_lm(fast)
        with torch.no_grad():
            out = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention_mask.to(device),
                output_modality=output_modality,
                original_banned_tokens=original_banned_tokens,
                **generate_kwargs,
            )
        new = out[:, input_ids.shape[1] :].cpu()
        # generate returns num_return_sequences rows per input, grouped by input (rows i*n .. i*n+n-1 are input i's).
        n, rest = divmod(new.shape[0], len(model_inputs))
        if rest:
            raise RuntimeError(f"generate returned {new.shape[0]} rows for {len(model_inputs)} inputs.")
        return [{**m, "new_ids": new[row * n].tolist(), "sequences": [new[row * n + k].tolist() for k in range(n)]}
                for row, m in enumerate(model_inputs)]

    def forward(self, model_inputs, **forward_params):
        # Pipeline.forward moves tensors and wraps inference; our inputs are lists, so run _forward directly.
        return self._forward(model_inputs, **forward_params)

    def postprocess(self, model_outputs, output_modality=OutputModality.ARBITRARY, speaker_id=None,
                    return_prompt: bool = False, few_shot=None, num_return_sequences: int = 1, fast: bool = False):
        """Generated ids → segments → outputs, through the one output path (:mod:`.output_spirit_lm`); with
        ``num_return_sequences`` > 1 a list of outputs per input (see the module docstring).

        Every speech segment of the batch (all inputs, all sequences) is vocoded in one ``vocoder.decode_batch`` call
        (:func:`~.output_spirit_lm.vocode_jobs`; on CPU one item per pass, so each equals its one-by-one decode)."""
        dtype = self._vocoder_dtype(fast)
        jobs: List[tuple] = []
        results = []
        for m in model_outputs:
            sequences = m.get("sequences") or [m["new_ids"]]
            per_sequence = [self._outputs(new_ids, m["prompt_ids"], output_modality, speaker_id, few_shot,
                                          jobs=jobs, dtype=dtype)
                            for new_ids in sequences]
            outputs = per_sequence if num_return_sequences > 1 else per_sequence[0]
            results.append((outputs, m["prompt"]) if return_prompt else outputs)
        audios = vocode_jobs(self.vocoder, [job for *_, job in jobs], dtype) if jobs else []
        for (outputs, position, layout, segment, _), audio in zip(jobs, audios):
            outputs[position] = self._speech_output(layout, segment, audio)
        return results

    def _vocoder_dtype(self, fast: bool) -> Optional[torch.dtype]:
        """The vocoder's fast mode: its cached low-precision generator (``decode(dtype=...)``) in :func:`fast_dtype`."""
        if not fast or self.vocoder is None:
            return None
        return fast_dtype(self.vocoder.device)

    def _outputs(self, new_ids, prompt_ids, output_modality, speaker_id, few_shot, jobs: Optional[list] = None,
                 dtype: Optional[torch.dtype] = None) -> List[Dict[str, Any]]:
        """One generated sequence → its output segments. With ``jobs`` (a list), speech segments to vocode are left
        as ``None`` placeholders and appended to ``jobs`` as ``(outputs, position, layout, segment, job)`` for the
        caller to vocode together; without, they are vocoded here."""
        config = self.model.config
        layout = SpiritLMIdLayout(config)
        pairs = decode_segments(self.tokenizer, config, new_ids, output_modality, prompt_ids=prompt_ids)
        if few_shot is not None:
            return [self._few_shot_answer(few_shot, layout, pairs, speaker_id, dtype)]
        outputs: List[Optional[Dict[str, Any]]] = []
        for index, (segment, text) in enumerate(pairs):
            if segment.type == "text":
                if text or output_modality == OutputModality.TEXT:
                    outputs.append({"type": "text", "text": text})
                continue
            if jobs is None:
                audio = self._vocode(layout, segment, index, speaker_id, output_modality, dtype=dtype)
            else:
                if self.vocoder is None:
                    raise ValueError(_NO_VOCODER)
                audio = plan_vocode_job(self.vocoder, layout, segment, index, output_modality, speaker_id,
                                        logger=logger)
                if isinstance(audio, SpiritLMVocodeJob):
                    outputs.append(None)
                    jobs.append((outputs, len(outputs) - 1, layout, segment, audio))
                    continue
            if audio is not None:
                outputs.append(self._speech_output(layout, segment, audio))
        return outputs

    def _few_shot_answer(self, task, layout: SpiritLMIdLayout, pairs, speaker_id, dtype=None) -> Dict[str, Any]:
        """The first segment of the answer's modality (an empty one when the model produced none)."""
        answer = TASK_MODALITIES[task][1]
        for segment, text in pairs:
            if segment.type != answer:
                continue
            if answer == "text":
                return {"type": "text", "text": text.strip()}
            plain = SpiritLMSegment("speech", segment.ids)  # the answer alone, never the prompt's speech
            return self._speech_output(
                layout, plain, self._vocode(layout, plain, 0, speaker_id, OutputModality.SPEECH, dtype=dtype)
            )
        if answer == "text":
            return {"type": "text", "text": ""}
        return self._speech_output(layout, SpiritLMSegment("speech", []), np.zeros(0, dtype=np.float32))

    def _speech_output(self, layout: SpiritLMIdLayout, segment: SpiritLMSegment, audio: np.ndarray) -> Dict[str, Any]:
        return {"type": "speech", "audio": audio, "sampling_rate": self._sampling_rate,
                "units": layout.unit_string(segment.ids)}

    # -- speech output -------------------------------------------------------------------------------------------
    @property
    def _sampling_rate(self) -> int:
        return int(getattr(self.model.config, "sampling_rate", SAMPLING_RATE))

    def _vocode(self, layout: SpiritLMIdLayout, segment: SpiritLMSegment, index: int, speaker_id, output_modality,
                rules: Optional[SpiritLMSpeechRules] = None, dtype: Optional[torch.dtype] = None
                ) -> Optional[np.ndarray]:
        """Vocode speech segment number ``index``; ``None`` when the original's rules drop it (arbitrary mode, spec
        §1.5; see :class:`~.output_spirit_lm.SpiritLMSpeechRules`)."""
        if self.vocoder is None:
            raise ValueError(_NO_VOCODER)
        return vocode_speech_segment(self.vocoder, layout, segment, index, output_modality, speaker_id,
                                     rules=rules, logger=logger, dtype=dtype)


__all__ = ["SpiritLMPipeline", "SpiritLMPipelineError", "fast_dtype"]
