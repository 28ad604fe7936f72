# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Generated ids → segments → audio: the one output path of Spirit LM.

The plain pipeline, batches, few-shot answers and streaming all go through the pieces below, which work on LM ids
and unit arrays (never on re-parsed strings):

1. :class:`SpiritLMIdLayout`: classifies every id (special / marker / text / speech / padding) by the config's id
   layout (:class:`~.configuration_spirit_lm.SpiritLMConfig`), counts HuBERT ids, finds the prompt's last speech run.
2. :func:`split_generated_ids`: generated ids → ordered :class:`SpiritLMSegment` s (text ids / unit ids).
3. :class:`SpiritLMSpeechRules`: the original's drop rules for short speech segments (spec §1.5:
   :func:`continued_speech_start`, :func:`keep_later_speech_segment`) and the documented departures, each with its
   flag; decides what is vocoded (:meth:`SpiritLMSpeechRules.plan`).
4. :class:`~.units.SpiritLMUnitAligner` (in :mod:`.units`): unit ids (or parsed unit tokens) → HuBERT-aligned pitch/style streams, with the
   original's first-seen fill and random style fallback (``MOST_COMMON_STYLES``); incremental, with explicit state,
   so that streaming uses it unit by unit. :func:`~.units.string_to_units` uses it too.
5. :func:`vocode_speech_segment`: one speech segment → waveform (or ``None`` when dropped), through the vocoder's
   units-dict path.

Streaming (:mod:`.streaming_spirit_lm`) is a thin driver over 1, 3, 4 and the vocoder's streaming decoder.
"""

from __future__ import annotations

import enum
import math
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .constants import STREAM_PREFIXES, TEXT_MARKER
from .units import SpiritLMUnitAligner


class SpiritLMPipelineError(ValueError):
    """A pipeline call Spirit LM cannot run (an option or input it does not take); the message names what came in,
    what is allowed and how to fix it. Raised by the pipeline and the streaming path."""


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
        raise SpiritLMPipelineError(
            f"`output_modality` is {value!r}; allowed: 'text', 'speech' or 'arbitrary' (case-insensitive)."
        )


# ---------------------------------------------------------------------------------------------------------------
# 1. Classifying ids
# ---------------------------------------------------------------------------------------------------------------


def special_token_ids(config) -> set:
    """The ids a generated sequence may hold that are no content: ``<unk>``, BOS, EOS (all of them) and PAD.

    ``<unk>`` is the config's ``unk_token_id`` when it has one (``spirit-lm init`` records it for BPE tokenizers,
    where id 0 is text and ``None`` means no ``<unk>``), else 0 (SentencePiece's ``<unk>``, as in Llama-2)."""
    special = set()
    for name in ("unk_token_id", "bos_token_id", "eos_token_id", "pad_token_id"):
        v = getattr(config, name, 0 if name == "unk_token_id" else None)
        special.update(v if isinstance(v, (list, tuple)) else ([v] if v is not None else []))
    return special


class SpiritLMIdLayout:
    """Classifies LM ids by the config's id layout; the only id classifier of the output path.

    Args:
        config (`SpiritLMConfig`): the model's token layout.
        special_ids (*optional*): ids to drop as special (default: :func:`special_token_ids`).
    """

    def __init__(self, config, special_ids: Optional[Sequence[int]] = None):
        self.config = config
        self.special = special_token_ids(config) if special_ids is None else {int(i) for i in special_ids}
        self.hubert_range = config.stream_ranges["hubert"]

    def kind(self, token_id: int, modality=OutputModality.ARBITRARY) -> Optional[str]:
        """``"text"`` / ``"speech"`` for content ids of ``modality``, ``None`` for ids that are dropped (special ids,
        markers, padding rows, and in text (speech) mode every non-text (non-unit) id)."""
        token_id = int(token_id)
        c = self.config
        if token_id in self.special or c.is_marker_id(token_id):
            return None
        if c.is_text_id(token_id):
            kind = "text"
        elif c.is_speech_id(token_id):
            kind = "speech"
        else:
            return None  # padding rows
        if modality == OutputModality.TEXT and kind != "text":
            return None
        if modality == OutputModality.SPEECH and kind != "speech":
            return None
        return kind

    def is_hubert(self, token_id: int) -> bool:
        lo, n = self.hubert_range
        return lo <= int(token_id) < lo + n

    def count_hubert(self, ids: Sequence[int]) -> int:
        """Number of HuBERT unit ids (what the original counts as ``[Hu`` tokens)."""
        return sum(1 for i in ids if self.is_hubert(i))

    def has_stream(self, ids: Sequence[int], stream: str) -> bool:
        lo, n = self.config.stream_ranges[stream]
        return any(lo <= int(i) < lo + n for i in ids)

    def prompt_speech_run(self, prompt_ids: Sequence[int]) -> List[int]:
        """The prompt's last run of unit ids when it ends with speech (special ids ignored), else ``[]``."""
        prompt = [int(i) for i in prompt_ids if int(i) not in self.special]
        start = len(prompt)
        while start > 0 and self.config.is_speech_id(prompt[start - 1]):
            start -= 1
        return prompt[start:]

    def unit_string(self, ids: Sequence[int]) -> str:
        """Unit ids → unit string (``[St71][Pi39][Hu99]...``); non-unit ids are skipped. For users' output only."""
        out = []
        for i in ids:
            unit = self.config.id_to_unit(int(i))
            if unit is not None:
                out.append(f"[{STREAM_PREFIXES[unit[0]]}{unit[1]}]")
        return "".join(out)


def ids_to_unit_string(config, ids: Sequence[int]) -> str:
    """Unit ids → unit string (``[St71][Pi39][Hu99]...``) through the config's layout; non-unit ids are skipped."""
    return SpiritLMIdLayout(config, special_ids=()).unit_string(ids)


# ---------------------------------------------------------------------------------------------------------------
# 2. Splitting generated ids into segments
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


def split_generated_ids(
    new_ids: Sequence[int],
    config,
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
    layout = SpiritLMIdLayout(config, special_ids)
    new_ids = [int(i) for i in new_ids]
    if modality != OutputModality.ARBITRARY:
        wanted = "text" if modality == OutputModality.TEXT else "speech"
        return [SpiritLMSegment(wanted, [i for i in new_ids if layout.kind(i, modality) == wanted])]
    segments: List[SpiritLMSegment] = []
    for i in new_ids:
        k = layout.kind(i)
        if k is None:
            continue
        if segments and segments[-1].type == k:
            segments[-1].ids.append(i)
        else:
            segments.append(SpiritLMSegment(k, [i]))
    if prompt_ids is not None and segments and segments[0].type == "speech":
        segments[0].context_ids = layout.prompt_speech_run(prompt_ids)
    return segments


def decode_text_ids(tokenizer, config, ids: Sequence[int]) -> str:
    """Decode text ids verbatim, keeping a leading space (SentencePiece would drop it as the dummy prefix)."""
    ids = [int(i) for i in ids]
    if not ids:
        return ""
    text = tokenizer.decode([config.text_marker_id] + ids, skip_special_tokens=True)
    if not text.startswith(TEXT_MARKER):
        raise RuntimeError(
            f"The tokenizer decodes id {config.text_marker_id} as {text[:8]!r}, not {TEXT_MARKER!r}: tokenizer and "
            "config layouts disagree. Rebuild the tokenizer for this config."
        )
    return text[len(TEXT_MARKER) :]


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


def decode_segments(tokenizer, config, new_ids: Sequence[int], output_modality="arbitrary",
                    prompt_ids: Optional[Sequence[int]] = None) -> List[Tuple[SpiritLMSegment, Optional[str]]]:
    """:func:`split_generated_ids`, then each text segment decoded (the original's strip of the whole continuation):
    ``(segment, text)`` pairs, ``text`` is ``None`` for speech segments."""
    segments = split_generated_ids(new_ids, config, output_modality, prompt_ids=prompt_ids)
    texts = strip_text_segments(
        [decode_text_ids(tokenizer, config, s.ids) if s.type == "text" else None for s in segments]
    )
    return list(zip(segments, texts))


# ---------------------------------------------------------------------------------------------------------------
# 3. The original's drop rules, and what is vocoded
# ---------------------------------------------------------------------------------------------------------------


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


# Fewest new HuBERT units a speech segment after the first (or one continuing the prompt's speech) must have to be
# kept: 24, from both rules above (``count + 1 >= 25``).
MIN_KEPT_HUBERT = next(n for n in range(10_000) if keep_later_speech_segment(n))


@dataclass
class SpiritLMSpeechPlan:
    """What to vocode for one speech segment: ``ids`` (unit ids: the prompt context then the segment's own) and,
    when ``n_context_hubert`` > 0, cut the waveform with :func:`continued_speech_start` to keep the new part.
    ``ids`` empty: the segment has no HuBERT unit and gives an empty waveform."""

    ids: List[int]
    n_context_hubert: int = 0
    n_total_hubert: int = 0


@dataclass
class SpiritLMSpeechRules:
    """The original's rules deciding which generated speech is vocoded and how (spec §1.5), in one place.

    In ``"arbitrary"`` mode (the only mode with several segments):

    * a speech segment after the first is kept only with at least 24 HuBERT units (:func:`keep_later_speech_segment`);
    * a first speech segment that continues the prompt's speech is vocoded together with the prompt's last speech run
      and cut proportionally (:func:`continued_speech_start`); it is kept only with at least 24 new HuBERT units;
    * a segment without any HuBERT unit is dropped.

    In ``"speech"`` mode the one segment is always vocoded (an empty waveform when it has no HuBERT unit).

    Args:
        continue_prompt_speech (`bool`, defaults to `True`): the original's handling of speech that continues the
            prompt (vocode with the prompt's speech as context, then cut). **Departure** when `False`: the segment is
            vocoded from its own units only (same keep rule: at least 24 new HuBERT units). Streaming uses `False`,
            since the proportional cut needs the segment's final length before any audio can be emitted.
    """

    continue_prompt_speech: bool = True

    def min_new_hubert(self, index: int, continues_prompt: bool, modality) -> int:
        """HuBERT units a segment needs before it is known to be kept (what streaming waits for before audio)."""
        if OutputModality.parse(modality) == OutputModality.ARBITRARY and (index > 0 or continues_prompt):
            return MIN_KEPT_HUBERT
        return 1

    def plan(self, layout: SpiritLMIdLayout, segment: SpiritLMSegment, index: int, modality
             ) -> Optional[SpiritLMSpeechPlan]:
        """The :class:`SpiritLMSpeechPlan` for speech segment number ``index``, or ``None`` when it is dropped."""
        modality = OutputModality.parse(modality)
        context = list(segment.context_ids) if modality == OutputModality.ARBITRARY else []
        n_new = layout.count_hubert(segment.ids)
        if not self.continue_prompt_speech and context:
            if n_new < MIN_KEPT_HUBERT:
                return None
            context = []
        n_context = layout.count_hubert(context)
        n_total = n_context + n_new
        if n_total == 0:
            # No HuBERT unit was generated: a documented empty waveform (speech mode) or nothing (arbitrary).
            return SpiritLMSpeechPlan([]) if modality == OutputModality.SPEECH else None
        if modality == OutputModality.ARBITRARY:
            if context and continued_speech_start(1, n_context, n_total) is None:
                return None  # too little new speech after the prompt's
            if not context and index > 0 and not keep_later_speech_segment(n_total):
                return None  # a short later speech segment
        return SpiritLMSpeechPlan(context + list(segment.ids), n_context if context else 0, n_total)


# ---------------------------------------------------------------------------------------------------------------
# 4. Aligning unit streams (the aligner itself lives in .units, beside the unit-string parser that also uses it)
# ---------------------------------------------------------------------------------------------------------------


def vocoder_streams(vocoder) -> Tuple[str, ...]:
    """The non-HuBERT unit streams a vocoder embeds: ``("pitch", "style")`` (expressive) or ``()`` (base)."""
    cfg = vocoder.config
    return tuple(k for k, n in (("pitch", cfg.num_f0_tokens), ("style", cfg.num_style_tokens)) if n)


def align_unit_ids(config, ids: Sequence[int], streams: Optional[Sequence[str]] = None,
                   rng: Optional[random.Random] = None) -> Dict[str, List[int]]:
    """Unit ids → HuBERT-aligned streams (:class:`SpiritLMUnitAligner`); non-unit ids are skipped."""
    aligner = SpiritLMUnitAligner(streams, rng)
    for i in ids:
        unit = config.id_to_unit(int(i))
        if unit is not None:
            aligner.add(*unit)
    return aligner.finish()


# ---------------------------------------------------------------------------------------------------------------
# 5. Vocoding
# ---------------------------------------------------------------------------------------------------------------


@dataclass
class SpiritLMVocodeJob:
    """One speech segment ready for the vocoder (made by :func:`plan_vocode_job`): its aligned unit streams, the
    speaker, and the cut of :func:`continued_speech_start` to apply to the waveform (``n_context_hubert`` > 0)."""

    units: Dict[str, List[int]]
    speaker_id: object
    n_context_hubert: int = 0
    n_total_hubert: int = 0

    def finish(self, audio: np.ndarray) -> np.ndarray:
        """The vocoded waveform of :attr:`units` → the segment's audio (the new part after the prompt's context)."""
        if self.n_context_hubert:
            return audio[continued_speech_start(len(audio), self.n_context_hubert, self.n_total_hubert):]
        return audio


def plan_vocode_job(vocoder, layout: SpiritLMIdLayout, segment: SpiritLMSegment, index: int, modality,
                    speaker_id=None, rules: Optional[SpiritLMSpeechRules] = None, logger=None):
    """What :func:`vocode_speech_segment` would vocode, without vocoding: ``None`` (dropped), an empty waveform
    (nothing to vocode), or a :class:`SpiritLMVocodeJob`. Jobs of several segments go through
    :func:`vocode_jobs` in one vocoder call."""
    plan = (rules or SpiritLMSpeechRules()).plan(layout, segment, index, modality)
    if plan is None:
        return None
    if not plan.ids:
        return np.zeros(0, dtype=np.float32)
    streams = vocoder_streams(vocoder)
    if "pitch" in streams and not layout.has_stream(plan.ids, "pitch"):
        if logger is not None:
            logger.warning(
                "A generated speech segment has no pitch units, which the expressive vocoder needs; returning an "
                "empty waveform for it (its units are in the output's 'units')."
            )
        return np.zeros(0, dtype=np.float32)
    if speaker_id is None:
        speaker_id = getattr(layout.config, "default_speaker", 2)
    return SpiritLMVocodeJob(align_unit_ids(layout.config, plan.ids, streams), speaker_id,
                             plan.n_context_hubert, plan.n_total_hubert)


def vocode_jobs(vocoder, jobs: Sequence[SpiritLMVocodeJob], dtype=None) -> List[np.ndarray]:
    """Vocode several :class:`SpiritLMVocodeJob` s in one ``vocoder.decode_batch`` call (its batching policy: one
    item per pass on CPU, so each equals its own ``decode``), cut as each job says. ``dtype`` as in ``decode``."""
    if not jobs:
        return []
    kwargs = {"dtype": dtype} if dtype is not None else {}
    audios = vocoder.decode_batch([j.units for j in jobs], speaker_id=[j.speaker_id for j in jobs], **kwargs)
    return [j.finish(a) for j, a in zip(jobs, audios)]


def vocode_speech_segment(
    vocoder,
    layout: SpiritLMIdLayout,
    segment: SpiritLMSegment,
    index: int,
    modality,
    speaker_id=None,
    rules: Optional[SpiritLMSpeechRules] = None,
    logger=None,
    dtype=None,
) -> Optional[np.ndarray]:
    """Vocode speech segment number ``index``; ``None`` when the rules drop it (see :class:`SpiritLMSpeechRules`).

    With an expressive vocoder, a segment without pitch units gives an empty waveform and a warning (**departure**:
    the original crashes there); its units stay in the output's ``"units"``. ``dtype`` as in the vocoder's
    ``decode`` (``torch.bfloat16``: the fast path).
    """
    job = plan_vocode_job(vocoder, layout, segment, index, modality, speaker_id, rules, logger)
    if not isinstance(job, SpiritLMVocodeJob):
        return job
    kwargs = {"dtype": dtype} if dtype is not None else {}
    return job.finish(vocoder.decode(job.units, speaker_id=job.speaker_id, **kwargs))


__all__ = [
    "SpiritLMPipelineError",
    "OutputModality",
    "MIN_KEPT_HUBERT",
    "SpiritLMIdLayout",
    "SpiritLMSegment",
    "SpiritLMSpeechPlan",
    "SpiritLMSpeechRules",
    "special_token_ids",
    "split_generated_ids",
    "decode_segments",
    "decode_text_ids",
    "strip_text_segments",
    "continued_speech_start",
    "keep_later_speech_segment",
    "ids_to_unit_string",
    "align_unit_ids",
    "vocoder_streams",
    "vocode_speech_segment",
    "SpiritLMVocodeJob",
    "plan_vocode_job",
    "vocode_jobs",
]
