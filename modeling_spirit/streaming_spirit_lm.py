# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Streaming generation for ``pipeline("spirit-lm")``: text and audio chunks as the model generates them.

```python
pipe = pipeline("spirit-lm", model="spirit-lm-base-7b")
for event in pipe("Tell me a story.", output_modality="speech", max_new_tokens=500, stream=True):
    if event["type"] == "speech":
        play(event["audio"])          # float32 numpy chunk at event["sampling_rate"] (16 kHz)
    else:
        print(event["text"], end="")  # a text delta
```

``pipe(inputs, stream=True, **options)`` (or :func:`stream`) takes one input and the same options as a plain call
(``output_modality``, ``prompt=``, ``seed``, ``speaker_id``, ``original_banned_tokens`` and every ``generate``
keyword) plus ``chunk_units`` (new 25 Hz frames per audio chunk after the first, default 25 = 1 s; see
:meth:`SpiritLMHifiGan.decode_stream`). It returns a :class:`SpiritLMStreamIterator` yielding, in order,

* ``{"type": "text", "text": delta, "segment": k}`` and
* ``{"type": "speech", "audio": np.ndarray, "sampling_rate": 16000, "segment": k}``,

where ``k`` is the index of the output segment (as in :func:`split_generated_ids`) the chunk belongs to.
``model.generate`` runs in a background thread (the pattern of transformers' ``TextIteratorStreamer``) and hands
every new id to a :class:`SpiritLMTokenStreamer`. Each id is then fed to a :class:`SpiritLMOutputStreamState`, a
thin driver with explicit state over the one output path of :mod:`.output_spirit_lm`: the same id classification
(:class:`~.output_spirit_lm.SpiritLMIdLayout`), the same drop rules (:class:`~.output_spirit_lm.SpiritLMSpeechRules`),
the same unit alignment (:class:`~.units.SpiritLMUnitAligner`) and the vocoder's
:class:`~.streaming_spirit_hifigan.SpiritLMHifiGanStreamDecoder`. Text ids become text deltas (decoded
incrementally, leading spaces kept), unit ids are vocoded as they arrive, markers and special ids are dropped.

What the stream equals (greedy decoding, same options):

* ``"text"``: the concatenated deltas equal the plain call's text (leading/trailing whitespace of the whole
  continuation stripped as the original: trailing whitespace is held back until more text follows).
* ``"speech"``: the concatenated audio equals the plain call's audio (up to float rounding of the chunked
  vocoder, ~1e-6 of peak).
* ``"arbitrary"``: text as above, segment by segment. The original's rules for which speech segments are kept
  are applied exactly (a speech segment after the first, or one continuing the prompt's speech, is kept only if it
  has at least 24 HuBERT units, so its audio starts once the 24th unit has arrived). **Departure:** a first speech
  segment that continues the prompt's speech is vocoded from its *own* units only; the plain call vocodes it with
  the prompt's last speech run as context and cuts the waveform proportionally (spec §1.5), which needs the
  segment's final length before any audio could be emitted. This is
  ``SpiritLMSpeechRules(continue_prompt_speech=False)``; the plain path gives the same audio with that flag
  (``vocode_speech_segment(..., rules=SpiritLMSpeechRules(continue_prompt_speech=False))``). Every streamed speech
  segment therefore equals ``vocoder.decode(units of the segment)``. Everywhere else streamed = plain.

A batch streams with :func:`stream_batch` (``pipe.stream_batch(inputs, ...)``): ONE ``generate`` call for all the
inputs (their speech items encoded in one speech-tokenizer call), yielding ``(index, event)`` pairs, ``index`` the
input's position; each input's events, in order, equal its own ``pipe(x, stream=True)`` events (greedy). For one
iterator per input, route the pairs by index. ``fast=True`` streams on the fast path (bf16 speech tokenizer, LM
a bf16 copy of a float32 LM, bf16 vocoder; see the pipeline's ``fast``).

``stream=True`` takes one input at a time (batch size 1; no beam search, no ``num_return_sequences > 1``). Generation starts at
the first ``next()``; closing the iterator (or leaving a ``for`` loop early and dropping it) stops generation.
With an expressive vocoder, audio starts once the segment's first pitch and style units are known (the unit
string's alignment rule), and a segment without any style unit is held to its end (the original's random style
fallback).
"""

import contextlib
import queue
import random
import re
import threading
from typing import Any, Dict, Iterator, List, Optional

import numpy as np
import torch
from transformers import StoppingCriteria, StoppingCriteriaList, set_seed
from transformers.generation.streamers import BaseStreamer
from transformers.utils import logging

from .constants import SAMPLING_RATE
from .output_spirit_lm import (
    OutputModality,
    SpiritLMPipelineError,
    SpiritLMIdLayout,
    SpiritLMSpeechRules,
    decode_text_ids,
    vocoder_streams,
)
from .processing_spirit_lm import is_batch
from .units import SpiritLMUnitAligner

# -- seeded calls ----------------------------------------------------------------------------------------------------
# `seed=` seeds the process-global generators (python, numpy, torch) as the original's `set_seed`, so that a seeded call
# gives the same sample as before. Those generators are shared by all threads; a seeded call therefore holds
# SEED_LOCK from seeding to the end of its generation (and so does every sampling call of the pipeline), so no other
# pipeline call draws from them in between: concurrent seeded calls each give their single-threaded result.
SEED_LOCK = threading.RLock()


def capture_rng_state() -> Dict[str, Any]:
    """The process-global random states a seeded generation draws from (python, numpy, torch CPU and CUDA)."""
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: Dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state:
        torch.cuda.set_rng_state_all(state["cuda"])


@contextlib.contextmanager
def seeded(seed: Optional[int], lock: bool = True):
    """Hold :data:`SEED_LOCK` (when ``lock``) and, when ``seed`` is given, seed the global generators (``set_seed``)."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= int(seed) < 2**32):
        raise SpiritLMPipelineError(
            f"`seed` is {seed!r} (type {type(seed).__name__}); it must be an int in 0..2**32-1 (or None)."
        )
    with SEED_LOCK if (lock or seed is not None) else contextlib.nullcontext():
        if seed is not None:
            set_seed(int(seed))
        yield


logger = logging.get_logger(__name__)

_END = object()
_BYTE_PIECE = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")


class SpiritLMTokenStreamer(BaseStreamer):
    """A ``generate`` streamer that queues the new ids of one sequence; iterating it yields them one by one.

    ``generate`` first calls ``put`` with the prompt (skipped when ``skip_prompt``), then once per step with the
    new token, then ``end``. Iteration blocks until the next id arrives and re-raises an error put with
    :meth:`put_error` (e.g. from the thread running ``generate``).

    Args:
        skip_prompt (`bool`, defaults to `True`): drop the first ``put`` (the prompt ids).
        timeout (`float`, *optional*): seconds to wait for each id before raising ``queue.Empty``.
    """

    def __init__(self, skip_prompt: bool = True, timeout: Optional[float] = None):
        self.skip_prompt = skip_prompt
        self.timeout = timeout
        self.queue: "queue.Queue[Any]" = queue.Queue()
        self.cancelled = threading.Event()
        self.received: List[int] = []  # new ids received so far (written by the generate thread)
        self._next_is_prompt = True

    def put(self, value) -> None:
        value = torch.as_tensor(value)
        if value.dim() > 2 or (value.dim() >= 1 and value.shape[0] != 1):
            raise ValueError(
                f"Streaming supports one sequence at a time, but generate produced ids of shape {tuple(value.shape)} "
                "(a batch, beams or num_return_sequences > 1). Stream one input with num_beams=1 and "
                "num_return_sequences=1, or call the pipeline without stream=True."
            )
        if self.skip_prompt and self._next_is_prompt:
            self._next_is_prompt = False
            return
        self._next_is_prompt = False
        ids = [int(i) for i in value.reshape(-1).tolist()]
        self.received.extend(ids)
        for i in ids:
            self.queue.put(i)

    def end(self) -> None:
        self._next_is_prompt = True
        self.queue.put(_END)

    def put_error(self, error: BaseException) -> None:
        self.queue.put(error)

    def __iter__(self) -> Iterator[int]:
        return self

    def __next__(self) -> int:
        item = self.queue.get(timeout=self.timeout)
        if item is _END:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item


class _StopWhenCancelled(StoppingCriteria):
    """Stops generation once the streamer is cancelled (the consumer closed the iterator)."""

    def __init__(self, streamer: SpiritLMTokenStreamer):
        self.streamer = streamer

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        return torch.full((input_ids.shape[0],), self.streamer.cancelled.is_set(), dtype=torch.bool,
                          device=input_ids.device)


class SpiritLMIncrementalTextDecoder:
    """Text ids in, text deltas out; the concatenated deltas equal ``decode_text_ids`` of all ids (stripped).

    Ids are decoded in runs that end with a non-byte piece (a run of SentencePiece byte-fallback pieces ``<0x..>``
    is decoded as a whole, so a multi-byte character is never split and an invalid run gives the same U+FFFD
    characters as the full decode). With a byte-level BPE tokenizer (GPT-2, Qwen2, Llama-3: any tokenizer but the
    Spirit LM SentencePiece ones) a run is held while its decoded text ends with U+FFFD (an unfinished UTF-8
    character), for the same result. A leading space is kept (``decode_text_ids``).

    Args:
        tokenizer: the Spirit LM text tokenizer.
        config (`SpiritLMConfig`): the model's token layout.
        lstrip (`bool`): drop leading whitespace (the segment starts the continuation).
    """

    def __init__(self, tokenizer, config, lstrip: bool = False):
        self.tokenizer = tokenizer
        self.config = config
        self.lstrip = lstrip
        self.pending: List[int] = []
        self.held = ""  # trailing whitespace, emitted only if more text follows in this segment or a later one
        self.started = False
        self._byte_cache: Dict[int, bool] = {}
        # SentencePiece (byte-fallback pieces) or a byte-level BPE, whose pieces may end inside a UTF-8 character
        self._byte_level = not type(tokenizer).__name__.startswith("SpiritLMTokenizer")

    def _is_byte_piece(self, token_id: int) -> bool:
        if token_id not in self._byte_cache:
            piece = self.tokenizer.convert_ids_to_tokens(token_id)
            self._byte_cache[token_id] = bool(isinstance(piece, str) and _BYTE_PIECE.match(piece))
        return self._byte_cache[token_id]

    def _emit(self, text: str) -> str:
        if self.lstrip and not self.started:
            text = text.lstrip()
        if not text:
            return ""
        self.started = True
        text = self.held + text
        body = text.rstrip()
        self.held = text[len(body) :]
        return body

    def _flush(self) -> str:
        if not self.pending:
            return ""
        text = decode_text_ids(self.tokenizer, self.config, self.pending)
        self.pending = []
        return self._emit(text)

    def add(self, token_id: int) -> str:
        """Add one text id; returns the delta that is now final (possibly empty)."""
        self.pending.append(int(token_id))
        if self._byte_level:
            text = decode_text_ids(self.tokenizer, self.config, self.pending)
            if text.endswith("\ufffd"):
                return ""  # an unfinished UTF-8 character may continue; decode it as a whole
            self.pending = []
            return self._emit(text)
        if self._is_byte_piece(int(token_id)):
            return ""  # a byte run may continue; decode it as a whole
        return self._flush()

    def finish(self, last: bool) -> str:
        """End of the segment; ``last``: it ends the continuation (its trailing whitespace is stripped)."""
        out = self._flush()
        if not last:
            out += self.held
        self.held = ""
        return out


class SpiritLMStreamIterator:
    """Iterator over the streamed events of one generation (see the module docstring); made by :func:`stream`.

    Attributes:
        prompt (`str`): the prompt string that was tokenized.
        prompt_ids (`list[int]`): its ids.
        streamer (`SpiritLMTokenStreamer`): ``streamer.received`` holds the new ids received so far.
        generating (`bool`, property): whether ``generate`` is still running.

    ``close()`` (or leaving a ``with`` block, or dropping the iterator) stops generation at its next step and waits
    for the generate thread.
    """

    def __init__(self, pipe, model_input: Dict[str, Any], output_modality: OutputModality,
                 original_banned_tokens: bool, generate_kwargs: Dict[str, Any], speaker_id=None,
                 chunk_units: int = 25, timeout: Optional[float] = None):
        # The event generator and the generate thread reference `_StreamState`, never this wrapper, so dropping the
        # wrapper closes the generator at once (reference counting), which stops generation.
        self._state = _StreamState(pipe, model_input, output_modality, original_banned_tokens, generate_kwargs,
                                   speaker_id, chunk_units, timeout)
        self._events = self._state.run()
        self.prompt = self._state.prompt
        self.prompt_ids = self._state.prompt_ids
        self.streamer = self._state.streamer

    def __iter__(self) -> "SpiritLMStreamIterator":
        return self

    def __next__(self) -> Dict[str, Any]:
        return next(self._events)

    def close(self) -> None:
        """Stop generation (at its next step) and wait for the generate thread."""
        self._events.close()

    def __enter__(self) -> "SpiritLMStreamIterator":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        events = self.__dict__.get("_events")
        if events is not None:
            events.close()

    @property
    def generating(self) -> bool:
        thread = self._state.thread
        return thread is not None and thread.is_alive()


def _as_batch(model_input) -> List[Dict[str, Any]]:
    """One model input (a plain stream) or a list of them (:func:`stream_batch`) → a list."""
    return model_input if isinstance(model_input, list) else [model_input]


def _vocoder_dtype(pipe, model_input):
    """The vocoder dtype of a streamed call: the pipeline's fast mode when the call asked for ``fast=True``."""
    dtype_for = getattr(pipe, "_vocoder_dtype", None)
    return dtype_for(bool(model_input.get("fast", False))) if dtype_for is not None else None


def _generate_in_thread(pipe, model_input, output_modality, original_banned_tokens, generate_kwargs, streamer):
    rng_state = _as_batch(model_input)[0].get("rng_state")
    try:
        with SEED_LOCK if (rng_state is not None or pipe._samples(generate_kwargs)) else contextlib.nullcontext():
            if rng_state is not None:
                restore_rng_state(rng_state)  # where the seeded stream() left it: the same draws as one thread
            _generate(pipe, model_input, output_modality, original_banned_tokens, generate_kwargs, streamer)
    except BaseException as err:  # handed to the consumer, re-raised there
        streamer.put_error(err)


def _generate(pipe, model_input, output_modality, original_banned_tokens, generate_kwargs, streamer):
    kwargs = dict(generate_kwargs)
    criteria = StoppingCriteriaList(list(kwargs.pop("stopping_criteria", None) or []))
    criteria.append(_StopWhenCancelled(streamer))
    kwargs["stopping_criteria"] = criteria
    kwargs["streamer"] = streamer
    pipe._forward(
        _as_batch(model_input),
        output_modality=output_modality,
        original_banned_tokens=original_banned_tokens,
        generate_kwargs=kwargs,
        fast=bool(_as_batch(model_input)[0].get("fast", False)),
    )


class SpiritLMOutputStreamState:
    """The explicit state of one streamed output: generated ids in (one at a time), events out.

    A thin driver over the one output path (:mod:`.output_spirit_lm`): ids are classified by
    :class:`~.output_spirit_lm.SpiritLMIdLayout` (as :func:`~.output_spirit_lm.split_generated_ids`), text segments
    go through a :class:`SpiritLMIncrementalTextDecoder`, speech segments through a
    :class:`~.units.SpiritLMUnitAligner` (the unit-string alignment rules) and the vocoder's
    :class:`~.streaming_spirit_hifigan.SpiritLMHifiGanStreamDecoder`, and whether a speech segment is kept follows
    :class:`~.output_spirit_lm.SpiritLMSpeechRules` with ``continue_prompt_speech=False`` (the documented departure:
    a first speech segment continuing the prompt's speech is vocoded from its own units, because the original's
    proportional cut needs the segment's final length before any audio could be emitted).

    State: ``index`` (current segment, -1 before the first), ``kind`` (``"text"``/``"speech"``/``None``), ``text``
    (the text decoder of the current text segment), ``aligner``/``decoder``/``min_hubert`` (of the current speech
    segment).

    Args:
        config (`SpiritLMConfig`), tokenizer, vocoder (may be `None` when no speech is generated).
        output_modality (`OutputModality`), prompt_ids (`list[int]`), speaker_id, chunk_units (`int`),
        sampling_rate (`int`): as for the pipeline.
    """

    def __init__(self, config, tokenizer, vocoder, output_modality, prompt_ids, speaker_id=None, chunk_units: int = 25,
                 sampling_rate: int = SAMPLING_RATE, rules: Optional[SpiritLMSpeechRules] = None, dtype=None):
        self.config = config
        self.tokenizer = tokenizer
        self.vocoder = vocoder
        self.output_modality = OutputModality.parse(output_modality)
        self.layout = SpiritLMIdLayout(config)
        self.prompt_ends_with_speech = bool(self.layout.prompt_speech_run(prompt_ids))
        self.speaker_id = getattr(config, "default_speaker", 2) if speaker_id is None else speaker_id
        self.chunk_units = chunk_units
        self.sampling_rate = sampling_rate
        self.dtype = dtype  # the vocoder's generator dtype (None: exact; torch.bfloat16: the fast path)
        self.rules = rules if rules is not None else SpiritLMSpeechRules(continue_prompt_speech=False)
        self.index = -1
        self.kind: Optional[str] = None
        self.text: Optional[SpiritLMIncrementalTextDecoder] = None
        self.aligner: Optional[SpiritLMUnitAligner] = None
        self.decoder = None
        self.min_hubert = 1

    # -- driving -----------------------------------------------------------------------------------------------
    def feed(self, token_id: int) -> List[Dict[str, Any]]:
        """One generated id; returns the events that became final."""
        kind = self.layout.kind(token_id, self.output_modality)
        if kind is None:
            return []  # special ids, markers, padding rows, other-modality ids: dropped, they end no segment
        events: List[Dict[str, Any]] = []
        if kind != self.kind:
            events += self._close(last=False)
            self._open(kind)
        if kind == "text":
            self._text_event(events, self.text.add(token_id))
        else:
            self.aligner.add(*self.config.id_to_unit(token_id))
            self._push(events, self.aligner.take_ready(self.min_hubert))
        return events

    def finish(self) -> List[Dict[str, Any]]:
        """Generation ended: the events of the last segment's end."""
        return self._close(last=True)

    # -- segments ----------------------------------------------------------------------------------------------
    def _open(self, kind: str) -> None:
        self.index += 1
        self.kind = kind
        if kind == "text":
            self.text = SpiritLMIncrementalTextDecoder(self.tokenizer, self.config, lstrip=self.index == 0)
            return
        if self.vocoder is None:
            raise ValueError(
                "The model generated speech, which needs the vocoder. Load a Spirit LM folder that has one "
                "(`vocoder/`), pass `vocoder=` to the pipeline, or ask for output_modality='text'."
            )
        continues_prompt = (self.output_modality == OutputModality.ARBITRARY and self.index == 0
                            and self.prompt_ends_with_speech)
        self.min_hubert = self.rules.min_new_hubert(self.index, continues_prompt, self.output_modality)
        self.aligner = SpiritLMUnitAligner(vocoder_streams(self.vocoder))
        self.decoder = self.vocoder.stream_decoder(chunk_units=self.chunk_units, speaker_id=self.speaker_id,
                                                   **({"dtype": self.dtype} if self.dtype is not None else {}))

    def _close(self, last: bool) -> List[Dict[str, Any]]:
        events: List[Dict[str, Any]] = []
        if self.kind == "text":
            self._text_event(events, self.text.finish(last))
            self.text = None
        elif self.kind == "speech":
            aligner = self.aligner
            if aligner.n_hubert >= self.min_hubert:  # else dropped (arbitrary mode), or no HuBERT unit
                if "pitch" in aligner.streams and aligner.first["pitch"] is None:
                    logger.warning(
                        "A generated speech segment has no pitch units, which the expressive vocoder needs; it is "
                        "not streamed (the plain call returns an empty waveform for it)."
                    )
                else:
                    self._push(events, aligner.take_rest())  # with the original's style fallback
            self._audio_event(events, self.decoder.end())
            self.aligner = self.decoder = None
        self.kind = None
        return events

    def _push(self, events: List[Dict[str, Any]], piece) -> None:
        if piece is not None:
            self._audio_event(events, self.decoder.push(piece))

    def _text_event(self, events: List[Dict[str, Any]], delta: str) -> None:
        if delta:
            events.append({"type": "text", "text": delta, "segment": self.index})

    def _audio_event(self, events: List[Dict[str, Any]], chunk) -> None:
        if chunk is not None:
            events.append({"type": "speech", "audio": chunk, "sampling_rate": self.sampling_rate,
                           "segment": self.index})


class _StreamState:
    """Runs one streamed generation: the generate thread, and the feeding of its ids to a
    :class:`SpiritLMOutputStreamState`."""

    def __init__(self, pipe, model_input, output_modality, original_banned_tokens, generate_kwargs, speaker_id,
                 chunk_units, timeout):
        self.pipe = pipe
        self.model_input = model_input
        self.prompt = model_input["prompt"]
        self.prompt_ids = list(model_input["prompt_ids"])
        self.output_modality = output_modality
        self.original_banned_tokens = original_banned_tokens
        self.generate_kwargs = dict(generate_kwargs)
        self.output = SpiritLMOutputStreamState(
            pipe.model.config, pipe.tokenizer, pipe.vocoder, output_modality, self.prompt_ids, speaker_id,
            chunk_units, pipe._sampling_rate, dtype=_vocoder_dtype(pipe, model_input),
        )
        self.streamer = SpiritLMTokenStreamer(skip_prompt=True, timeout=timeout)
        self.thread: Optional[threading.Thread] = None

    def run(self) -> Iterator[Dict[str, Any]]:
        self.thread = threading.Thread(
            target=_generate_in_thread,
            args=(self.pipe, self.model_input, self.output_modality, self.original_banned_tokens,
                  self.generate_kwargs, self.streamer),
            name="spirit-lm-stream",
            daemon=True,
        )
        self.thread.start()
        try:
            for token_id in self.streamer:
                yield from self.output.feed(token_id)
            yield from self.output.finish()
        finally:
            self.streamer.cancelled.set()
            self.thread.join()


class _StreamOptions:
    """A streamed call's options, split and checked as a plain call splits them (shared by :func:`stream` and
    :func:`stream_batch`; ``what`` names the caller in messages)."""

    def __init__(self, pipe, kwargs: Dict[str, Any], what: str):
        self.chunk_units = int(kwargs.pop("chunk_units", 25))
        self.timeout = kwargs.pop("stream_timeout", None)
        kwargs.pop("batch_size", None)
        if kwargs.pop("return_prompt", False):
            raise ValueError(f"`return_prompt` is not used with {what}; the prompt is the returned iterator's "
                             "`.prompt`.")
        if "streamer" in kwargs:
            raise ValueError(f"{what} makes its own streamer; do not pass `streamer=` as well.")
        pre, fwd, post = pipe._sanitize_parameters(**kwargs)
        self.pre = {**pipe._preprocess_params, **pre}
        self.fwd = {**pipe._forward_params, **fwd}
        self.generate_kwargs = {**pipe._forward_params.get("generate_kwargs", {}), **fwd.get("generate_kwargs", {})}
        self.post = {**pipe._postprocess_params, **post}
        for name in ("num_beams", "num_return_sequences"):
            if int(self.generate_kwargs.get(name) or 1) != 1:
                raise ValueError(
                    f"{what} streams one sequence per input; `{name}={self.generate_kwargs[name]}` is not supported "
                    f"with it (use {name}=1, or call the pipeline without streaming)."
                )
        self.output_modality = OutputModality.parse(self.pre.get("output_modality", OutputModality.ARBITRARY))
        pipe._check_speaker(self.post.get("speaker_id"))
        self.seed = self.pre.pop("seed", None)

    def iterator_kwargs(self) -> Dict[str, Any]:
        return dict(output_modality=self.output_modality,
                    original_banned_tokens=bool(self.fwd.get("original_banned_tokens", False)),
                    generate_kwargs=self.generate_kwargs, speaker_id=self.post.get("speaker_id"),
                    chunk_units=self.chunk_units, timeout=self.timeout)


def stream(pipe, inputs=None, **kwargs) -> SpiritLMStreamIterator:
    """Stream one generation of a ``pipeline("spirit-lm")``; ``pipe(inputs, stream=True, ...)`` calls this.

    Args:
        pipe (`SpiritLMPipeline`): the pipeline.
        inputs: one input, as for the pipeline (not a batch).
        chunk_units (`int`, *optional*, defaults to 25): new 25 Hz frames per audio chunk after the first one.
        stream_timeout (`float`, *optional*): seconds to wait for each generated id before raising ``queue.Empty``.
        **kwargs: the pipeline's options (``output_modality``, ``prompt``, ``seed``, ``speaker_id``,
            ``original_banned_tokens``) and ``generate`` keywords.

    Returns:
        :class:`SpiritLMStreamIterator`: yields ``{"type": "text", "text", "segment"}`` and ``{"type": "speech",
        "audio", "sampling_rate", "segment"}`` events in generation order. Validation and prompt building (speech
        inputs are tokenized) happen now; generation starts at the first ``next()``.
    """
    if inputs is None and "prompt" not in kwargs:
        raise ValueError("Give an input (text, audio or interleaved list) or `prompt=`.")
    if inputs is not None and is_batch(inputs):
        raise ValueError(
            f"stream=True generates for one input at a time, but a batch of {len(inputs)} inputs was given. Stream "
            "each input separately (`for x in inputs: pipe(x, stream=True)`), stream the batch with "
            "`pipe.stream_batch(inputs, ...)` (one generate call; yields `(index, event)`), or drop stream=True for "
            "batched generation."
        )
    o = _StreamOptions(pipe, kwargs, "stream=True")
    pre, fwd, generate_kwargs, seed = o.pre, o.fwd, o.generate_kwargs, o.seed
    with seeded(seed, lock=False):  # seeded before prompt building, as a plain call
        model_input = pipe.preprocess(inputs, **pre)
        model_input["fast"] = bool(fwd.get("fast", False))  # the LM's and the vocoder's fast modes
        if seed is not None:
            # The generate thread restores this state under SEED_LOCK: other threads' draws in between do not matter.
            model_input["rng_state"] = capture_rng_state()
    pipe._check_context(len(model_input["prompt_ids"]), generate_kwargs)
    return SpiritLMStreamIterator(pipe, model_input, **o.iterator_kwargs())


# -- a batch: one generate call, events tagged with their input's index ------------------------------------------------


class SpiritLMBatchTokenStreamer(SpiritLMTokenStreamer):
    """:class:`SpiritLMTokenStreamer` for a batch of ``batch_size`` rows: each generation step's ids (one per row) are
    queued as one list; ``received`` holds those lists. Rows that have finished get ``generate``'s padding id, which
    the output path drops."""

    def __init__(self, batch_size: int, skip_prompt: bool = True, timeout: Optional[float] = None):
        super().__init__(skip_prompt=skip_prompt, timeout=timeout)
        self.batch_size = batch_size

    def put(self, value) -> None:
        value = torch.as_tensor(value)
        rows = value.shape[0] if value.dim() >= 1 else 1
        if rows != self.batch_size or value.dim() > 2 or (value.dim() == 2 and not self._next_is_prompt
                                                           and value.shape[1] != 1):
            raise ValueError(
                f"Batch streaming expects one id per input per step ({self.batch_size} inputs), but generate produced "
                f"ids of shape {tuple(value.shape)} (beams or num_return_sequences > 1 are not streamed)."
            )
        if self.skip_prompt and self._next_is_prompt:
            self._next_is_prompt = False
            return
        self._next_is_prompt = False
        step = [int(i) for i in value.reshape(-1).tolist()]
        self.received.append(step)
        self.queue.put(step)


class _BatchStreamState(_StreamState):
    """Runs one streamed generation of a batch: one generate thread, one :class:`SpiritLMOutputStreamState` per
    input; yields ``(index, event)``."""

    def __init__(self, pipe, model_inputs, output_modality, original_banned_tokens, generate_kwargs, speaker_id,
                 chunk_units, timeout):
        self.pipe = pipe
        self.model_input = list(model_inputs)
        self.prompt = [m["prompt"] for m in model_inputs]
        self.prompt_ids = [list(m["prompt_ids"]) for m in model_inputs]
        self.output_modality = output_modality
        self.original_banned_tokens = original_banned_tokens
        self.generate_kwargs = dict(generate_kwargs)
        self.outputs = [
            SpiritLMOutputStreamState(pipe.model.config, pipe.tokenizer, pipe.vocoder, output_modality, ids,
                                      speaker_id, chunk_units, pipe._sampling_rate,
                                      dtype=_vocoder_dtype(pipe, model_inputs[0]))
            for ids in self.prompt_ids
        ]
        self.streamer = SpiritLMBatchTokenStreamer(len(model_inputs), skip_prompt=True, timeout=timeout)
        self.thread = None

    def run(self) -> Iterator:
        self.thread = threading.Thread(
            target=_generate_in_thread,
            args=(self.pipe, self.model_input, self.output_modality, self.original_banned_tokens,
                  self.generate_kwargs, self.streamer),
            name="spirit-lm-stream-batch",
            daemon=True,
        )
        self.thread.start()
        try:
            for step in self.streamer:
                for index, (state, token_id) in enumerate(zip(self.outputs, step)):
                    for event in state.feed(token_id):
                        yield index, event
            for index, state in enumerate(self.outputs):
                for event in state.finish():
                    yield index, event
        finally:
            self.streamer.cancelled.set()
            self.thread.join()


class SpiritLMBatchStreamIterator(SpiritLMStreamIterator):
    """Iterator over the streamed events of a batch, as ``(index, event)`` pairs (``index``: the input's position
    in the batch; ``event``: as for one input). Made by :func:`stream_batch`. ``prompt`` / ``prompt_ids`` are lists
    (one per input); ``streamer.received`` holds the per-step lists of ids."""

    def __init__(self, pipe, model_inputs: List[Dict[str, Any]], output_modality: OutputModality,
                 original_banned_tokens: bool, generate_kwargs: Dict[str, Any], speaker_id=None,
                 chunk_units: int = 25, timeout: Optional[float] = None):
        self._state = _BatchStreamState(pipe, model_inputs, output_modality, original_banned_tokens,
                                        generate_kwargs, speaker_id, chunk_units, timeout)
        self._events = self._state.run()
        self.prompt = self._state.prompt
        self.prompt_ids = self._state.prompt_ids
        self.streamer = self._state.streamer


def stream_batch(pipe, inputs, **kwargs) -> SpiritLMBatchStreamIterator:
    """Stream a batch of inputs with ONE ``generate`` call (``pipe.stream_batch(inputs, ...)``): yields
    ``(index, event)`` pairs, ``event`` as in :func:`stream` and ``index`` the input's position in ``inputs``;
    events of one input come in order, events of different inputs interleave step by step. The speech items of all
    inputs are encoded in one speech-tokenizer call. Each input's events equal its own ``stream`` (greedy; the
    batch is left-padded as a plain batch call, whose rows equal one-by-one). A single (non-batch) input is taken
    as a batch of one. Options as :func:`stream`; ``batch_size`` is ignored (the whole list is one batch).

    To get one iterator per input instead, route the pairs: ``for i, ev in pipe.stream_batch(xs): queues[i].put(ev)``.
    """
    o = _StreamOptions(pipe, kwargs, "stream_batch")
    pre, fwd, generate_kwargs, seed = o.pre, o.fwd, o.generate_kwargs, o.seed
    items = list(inputs) if is_batch(inputs) else [inputs]
    with seeded(seed, lock=False):  # seeded before prompt building, as a plain call
        encode_speech = pipe._batch_speech_encoder(items, pre)
        model_inputs = [pipe.preprocess(x, **pre, encode_speech=encode_speech) for x in items]
        model_inputs[0]["fast"] = bool(fwd.get("fast", False))  # the LM's and the vocoder's fast modes
        if seed is not None:
            model_inputs[0]["rng_state"] = capture_rng_state()
    pipe._check_context(max(len(m["prompt_ids"]) for m in model_inputs), generate_kwargs)
    return SpiritLMBatchStreamIterator(pipe, model_inputs, **o.iterator_kwargs())


__all__ = [
    "SpiritLMBatchTokenStreamer",
    "SpiritLMBatchStreamIterator",
    "stream_batch",
    "SpiritLMTokenStreamer",
    "SpiritLMIncrementalTextDecoder",
    "SpiritLMOutputStreamState",
    "SpiritLMStreamIterator",
    "SEED_LOCK",
    "capture_rng_state",
    "restore_rng_state",
    "seeded",
    "stream",
]
