# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Training text from encoded rows: speech-only, text-only and word-aligned interleaved sequences (paper §3, App. A),
ASR/TTS task formats (paper App. B), seeded source mixtures, and packing.

Every builder returns a ``datasets.Dataset`` with a plain ``text`` column (what TRL's ``SFTTrainer`` and plain
causal-LM pretraining consume), e.g.::

    [Speech][Hu99][Hu49]...                                  speech-only  (kind="speech")
    [Text]The cat sat on the mat.                            text-only    (kind="text")
    [Text]the cat sat on the[Speech][Hu12][Hu7]...[Text]a    interleaved  (kind="interleaved")
    [Speech][Hu99]...[Text]the cat sat                       ASR          (kind="asr")
    [Text]the cat sat[Speech][Hu99]...                       TTS          (kind="tts")

Interleaving (``kind="interleaved"``) needs word alignments: a ``words`` column of ``[{"word", "start", "end"}]``
(seconds; :mod:`processing.align` makes them). A row is cut into spans of whole words that alternate modality: text
spans of 10-30 words and speech spans of 5-15 words (uniform lengths, paper App. A), the first span's modality drawn
at random (``start_modality=`` fixes it); the last span takes the words that are left. A speech span covering words
``i..j`` takes the audio from the middle of the pause before word ``i`` (0 for the first word) to the middle of the
pause after word ``j`` (the end of the units for the last word); each unit stream is cut there at its own rate (HuBERT
25 Hz, pitch 12.5 Hz, style 1 Hz): a frame belongs to the span holding its centre, and an expressive span always gets
at least one pitch and one style unit (the frame under the span's midpoint, when no centre falls inside). The cut
streams then follow the unit-string rules exactly (:func:`modeling_spirit.units.units_to_string`: HuBERT and pitch
deduplicated within the span, style not, stable time sort with HuBERT at 24.99 Hz, times measured from the start of
the utterance). Markers appear only at modality changes, text is appended verbatim (words joined by single spaces),
exactly as the original prompt builder does; ``space_after_marker=True`` starts every text span after the first with
a space instead.

Units are checked where the text is built: every value of every stream used must be an integer codebook index of
the speech tokenizer (``0 <= u < size``; sizes from ``stream_sizes=``, by default
:data:`modeling_spirit.units.DEFAULT_STREAM_SIZES`: HuBERT 501 = 500 units + the blank, pitch 64, style 100). A bad
value is an :class:`InvalidUnitsError` naming the row, the stream, the value and the allowed range: such a row is
not a row to skip but a sign that the data came from another tokenizer (or was corrupted), so nothing is written.

Rows that cannot be used are **skipped and counted**, never dropped silently: the report (``return_report=True``)
gives counts per reason (``no_alignment``, ``alignment_past_audio``, ``bad_alignment``, ``empty_transcript``,
``no_units``, ``empty_speech_span``) and the skipped row indices, and a warning is logged.

Randomness is per row (``random.Random`` seeded from ``seed`` and the row index), so results do not depend on batch
size or worker count and are reproducible.
"""

from __future__ import annotations

import argparse
import logging
import math
import numbers
import os
import random
import sys
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from modeling_spirit.constants import (
    HUBERT_FRAME_RATE,
    PITCH_FRAME_RATE,
    SPEECH_MARKER,
    STYLE_FRAME_RATE,
    TEXT_MARKER,
    VARIANTS,
)
from modeling_spirit.configuration_spirit_lm import SPIRIT_LM_MODEL_TYPES, SpiritLMLayoutMixin, spirit_lm_config_class
from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig
from modeling_spirit.units import DEFAULT_STREAM_SIZES, units_to_string

from .encode_units import check_speech_tokenizer, load_encoded_dataset

logger = logging.getLogger(__name__)

KINDS = ("speech", "text", "interleaved", "asr", "tts")
# True frame rates, used to cut streams by time (HuBERT's sort rate 24.99 is used only for ordering, as the original).
FRAME_RATES = {"hubert": float(HUBERT_FRAME_RATE), "pitch": PITCH_FRAME_RATE, "style": STYLE_FRAME_RATE}
TEXT_SPAN_WORDS = (10, 30)
SPEECH_SPAN_WORDS = (5, 15)
# The paper's mixture (Table 2): one third each.
PAPER_MIXTURE = {"speech": 1 / 3, "interleaved": 1 / 3, "text": 1 / 3}

SKIP_COLUMN = "_skip_reason"


class InvalidUnitsError(ValueError):
    """Units that are not codebook indices of the speech tokenizer (wrong type, negative, or past the codebook)."""


class SkipRow(Exception):
    """A row that cannot be turned into a sequence; ``reason`` is a short, countable key."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# ----------------------------------------------------------------------------------------------------------------
# Checking units
# ----------------------------------------------------------------------------------------------------------------
def _resolve_stream_sizes(stream_sizes: Optional[Mapping[str, int]]) -> Dict[str, int]:
    sizes = dict(DEFAULT_STREAM_SIZES)
    for key, size in (stream_sizes or {}).items():
        if key not in sizes:
            raise ValueError(f"`stream_sizes` names the stream {key!r}; allowed: {tuple(DEFAULT_STREAM_SIZES)}.")
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
            raise ValueError(f"`stream_sizes[{key!r}]` must be a codebook size >= 1; got {size!r}.")
        sizes[key] = int(size)
    return sizes


def check_units(values: Any, stream: str, stream_sizes: Optional[Mapping[str, int]] = None) -> List[int]:
    """``values`` as a list of codebook indices of ``stream``, or :class:`InvalidUnitsError` naming the bad value.

    Accepts a list, tuple or 1-D array of integers (``None`` is no units); refuses strings, floats, booleans, nested
    lists, negative values and values ``>= stream_sizes[stream]`` (default :data:`DEFAULT_STREAM_SIZES`).
    """
    size = _resolve_stream_sizes(stream_sizes)[stream]
    allowed = f"integers 0..{size - 1} (the {stream} codebook has {size} entries)"
    if values is None:
        return []
    if hasattr(values, "tolist") and not isinstance(values, (list, tuple)):
        values = values.tolist()
    if isinstance(values, (str, bytes)) or not isinstance(values, (list, tuple)):
        raise InvalidUnitsError(
            f"`{stream}` units must be a list of {allowed}; got a {type(values).__name__} ({str(values)[:60]!r}). "
            "Encode the audio with the speech tokenizer (spirit-lm encode-dataset) to get unit lists."
        )
    out = []
    for i, u in enumerate(values):
        if isinstance(u, bool) or not isinstance(u, numbers.Integral):
            raise InvalidUnitsError(
                f"`{stream}` unit at position {i} is {u!r} ({type(u).__name__}); allowed: {allowed}."
            )
        if not 0 <= u < size:
            raise InvalidUnitsError(
                f"`{stream}` unit at position {i} is {int(u)}, outside the codebook; allowed: {allowed}. Units from "
                "another speech tokenizer (or a different codebook size) mean nothing to this model: re-encode the "
                "audio with the model's speech tokenizer, or pass `stream_sizes=` if the codebook is really larger."
            )
        out.append(int(u))
    return out


def codebook_sizes(model) -> Dict[str, int]:
    """Codebook size of each unit stream of a Spirit LM or speech-tokenizer folder (or its config object).

    HuBERT counts the CTC blank (``quantizer_vocab_size + 1``), as the LM vocabulary does.
    """
    config = model
    if isinstance(model, (str, os.PathLike)):
        import json

        path = os.path.join(os.fspath(model), "config.json")
        if not os.path.isfile(path):
            raise ValueError(f"{os.fspath(model)} has no config.json: pass a Spirit LM or speech-tokenizer folder.")
        with open(path, encoding="utf-8") as f:
            model_type = json.load(f).get("model_type")
        config_class = spirit_lm_config_class(model_type) or SpiritLMSpeechTokenizerConfig
        if model_type != config_class.model_type:
            raise ValueError(
                f"{path} has model_type {model_type!r}; expected a Spirit LM model type {SPIRIT_LM_MODEL_TYPES} or "
                f"{SpiritLMSpeechTokenizerConfig.model_type!r}."
            )
        config = config_class.from_pretrained(os.fspath(model))
    config = getattr(config, "config", config)  # a model object
    if isinstance(config, SpiritLMLayoutMixin):
        return dict(config.stream_sizes)
    if isinstance(config, SpiritLMSpeechTokenizerConfig):
        sizes = {"hubert": config.quantizer_vocab_size + 1}
        if config.is_expressive:
            sizes.update(pitch=int(config.f0_vqvae_config["l_bins"]), style=int(config.style_config["num_labels"]))
        return sizes
    raise TypeError(f"`model` must be a Spirit LM / speech-tokenizer folder or config; got {type(model).__name__}.")


# ----------------------------------------------------------------------------------------------------------------
# Unit strings of time spans
# ----------------------------------------------------------------------------------------------------------------
def _streams_for(variant: str) -> Tuple[str, ...]:
    if variant not in VARIANTS:
        raise ValueError(f"`variant` is {variant!r}; allowed: {VARIANTS}.")
    return ("hubert", "pitch", "style") if variant == "expressive" else ("hubert",)


def merge_unit_streams(slices: Mapping[str, Tuple[int, Sequence[int]]]) -> str:
    """Unit string of stream slices ``{stream: (first_frame_index, raw_units)}``.

    The unit-string rules of :func:`modeling_spirit.units.units_to_string` (dedup HuBERT and pitch within the slice,
    keep every style unit, stable sort by time with ties St < Pi < Hu, HuBERT ordered at 24.99 Hz), with each token's
    time measured from the start of the utterance (``(first_frame_index + i) / rate``), so that streams cut at
    different rates stay in their true relative order. With every slice starting at 0 it equals ``units_to_string``.
    """
    units: Dict[str, List[int]] = {"hubert": []}
    offsets: Dict[str, int] = {}
    for key, (start, values) in slices.items():
        for i, u in enumerate(values):
            if isinstance(u, bool) or not isinstance(u, numbers.Integral) or u < 0:
                raise InvalidUnitsError(
                    f"`{key}` unit at position {start + i} is {u!r}; unit tokens hold codebook indices (integers >= 0)."
                )
        units[key] = [int(u) for u in values]
        offsets[key] = start
    return units_to_string(units, offsets=offsets)


def cut_streams(units: Mapping[str, Sequence[int]], start: float, end: float, streams: Sequence[str]):
    """Frames of each stream whose centre lies in ``[start, end)`` seconds: ``{stream: (first_index, units)}``.

    ``end=math.inf`` takes every frame to the end (the last frame of a stream may be centred past the audio's end).

    Pitch and style get at least one frame (the one under the span's midpoint) when the span is non-empty.
    """
    out = {}
    for key in streams:
        values = list(units[key])
        rate = FRAME_RATES[key]
        lo = max(0, math.ceil(start * rate - 0.5))
        hi = len(values) if math.isinf(end) else min(len(values), math.ceil(end * rate - 0.5))
        if hi <= lo and key != "hubert" and values and end > start:
            mid = start if math.isinf(end) else (start + end) / 2
            lo = min(len(values) - 1, max(0, int(mid * rate)))
            hi = lo + 1
        out[key] = (lo, values[lo:max(lo, hi)])
    return out


def speech_span_string(units: Mapping[str, Sequence[int]], start: float, end: float, variant: str = "base") -> str:
    """Unit string of the audio between ``start`` and ``end`` seconds (see the module docstring)."""
    return merge_unit_streams(cut_streams(units, start, end, _streams_for(variant)))


# ----------------------------------------------------------------------------------------------------------------
# Row builders (pure functions of one row)
# ----------------------------------------------------------------------------------------------------------------
def _units_of(row: Mapping[str, Any], streams: Sequence[str],
              stream_sizes: Optional[Mapping[str, int]] = None) -> Dict[str, List[int]]:
    units = {k: check_units(row.get(k), k, stream_sizes) for k in streams}
    if not units["hubert"]:
        raise SkipRow("no_units", "the row has no HuBERT units")
    return units


def _duration_of(row: Mapping[str, Any], units: Mapping[str, Sequence[int]]) -> float:
    d = row.get("audio_duration")
    if d is not None and d > 0:
        return float(d)
    return (len(units["hubert"]) + 1) / FRAME_RATES["hubert"]  # the conv stack drops < 1 frame at the end


def _transcript_of(row: Mapping[str, Any], text_column: str, words_column: str) -> str:
    text = row.get(text_column)
    if text is None and row.get(words_column):
        text = " ".join(str(w.get("word", "")).strip() for w in row[words_column])
    text = (text or "").strip()
    if not text:
        raise SkipRow("empty_transcript", f"column {text_column!r} is empty")
    return text


def _clean_words(row: Mapping[str, Any], words_column: str, duration: float, tolerance: float) -> List[dict]:
    raw = row.get(words_column)
    if not raw:
        raise SkipRow("no_alignment", f"column {words_column!r} is empty or missing")
    words = []
    prev_start = -math.inf
    for w in raw:
        try:
            word, start, end = str(w["word"]).strip(), float(w["start"]), float(w["end"])
        except (KeyError, TypeError, ValueError):
            raise SkipRow("bad_alignment", f"word entries need 'word', 'start', 'end'; got {w!r}") from None
        if not word:
            continue
        if not (0 <= start <= end) or start < prev_start - tolerance:
            raise SkipRow("bad_alignment", f"word {word!r} has start={start}, end={end} (previous start {prev_start})")
        if end > duration + tolerance:
            raise SkipRow(
                "alignment_past_audio", f"word {word!r} ends at {end:.2f} s but the audio lasts {duration:.2f} s"
            )
        words.append({"word": word, "start": start, "end": min(end, duration)})
        prev_start = start
    if not words:
        raise SkipRow("no_alignment", "the alignment has no words")
    return words


def speech_only_sequence(row: Mapping[str, Any], variant: str = "base",
                         stream_sizes: Optional[Mapping[str, int]] = None) -> str:
    """``[Speech]`` + the whole utterance's unit string (units checked against ``stream_sizes``, see the module
    docstring)."""
    units = _units_of(row, _streams_for(variant), stream_sizes)
    return SPEECH_MARKER + merge_unit_streams({k: (0, v) for k, v in units.items()})


def text_only_sequence(row: Mapping[str, Any], text_column: str = "text") -> str:
    """``[Text]`` + the text."""
    return TEXT_MARKER + _transcript_of(row, text_column, "\0")


def asr_sequence(row: Mapping[str, Any], variant: str = "base", text_column: str = "text", words_column: str = "words",
                 stream_sizes: Optional[Mapping[str, int]] = None) -> str:
    """``[Speech]<units>[Text]<transcript>`` (paper App. B's ASR shape, without the few-shot framing)."""
    text = _transcript_of(row, text_column, words_column)
    return speech_only_sequence(row, variant, stream_sizes) + TEXT_MARKER + text


def tts_sequence(row: Mapping[str, Any], variant: str = "base", text_column: str = "text", words_column: str = "words",
                 stream_sizes: Optional[Mapping[str, int]] = None) -> str:
    """``[Text]<text>[Speech]<units>`` (paper App. B's TTS shape)."""
    text = _transcript_of(row, text_column, words_column)
    return TEXT_MARKER + text + speech_only_sequence(row, variant, stream_sizes)


def plan_spans(
    num_words: int,
    rng: random.Random,
    text_span_words: Tuple[int, int] = TEXT_SPAN_WORDS,
    speech_span_words: Tuple[int, int] = SPEECH_SPAN_WORDS,
    start_modality: Optional[str] = None,
) -> List[Tuple[str, int, int]]:
    """Alternating ``(modality, first_word, last_word_exclusive)`` spans covering ``num_words`` words."""
    if start_modality is None:
        modality = rng.choice(("text", "speech"))
    elif start_modality in ("text", "speech"):
        modality = start_modality
    else:
        raise ValueError(f"`start_modality` is {start_modality!r}; allowed: 'text', 'speech' or None (random).")
    spans, i = [], 0
    while i < num_words:
        lo, hi = text_span_words if modality == "text" else speech_span_words
        n = rng.randint(lo, hi)
        spans.append((modality, i, min(num_words, i + n)))
        i += n
        modality = "speech" if modality == "text" else "text"
    return spans


def interleaved_sequence(
    row: Mapping[str, Any],
    variant: str = "base",
    rng: Optional[random.Random] = None,
    words_column: str = "words",
    text_span_words: Tuple[int, int] = TEXT_SPAN_WORDS,
    speech_span_words: Tuple[int, int] = SPEECH_SPAN_WORDS,
    start_modality: Optional[str] = None,
    space_after_marker: bool = False,
    tolerance: float = 0.1,
    stream_sizes: Optional[Mapping[str, int]] = None,
) -> str:
    """A word-aligned interleaved sequence of one encoded, aligned row (see the module docstring).

    Raises :class:`SkipRow` for rows without usable alignments or units, :class:`InvalidUnitsError` for units outside
    the codebooks (``stream_sizes``).
    """
    rng = rng or random.Random(0)
    streams = _streams_for(variant)
    units = _units_of(row, streams, stream_sizes)
    duration = _duration_of(row, units)
    words = _clean_words(row, words_column, duration, tolerance)
    n = len(words)
    # Cut points between words: the middle of each pause; 0 before the first word, the audio's end after the last.
    bounds = [0.0] + [(words[k - 1]["end"] + words[k]["start"]) / 2 for k in range(1, n)] + [math.inf]
    parts = []
    for modality, i, j in plan_spans(n, rng, text_span_words, speech_span_words, start_modality):
        if modality == "text":
            text = " ".join(w["word"] for w in words[i:j])
            if parts and space_after_marker:
                text = " " + text
            parts.append(TEXT_MARKER + text)
        else:
            speech = speech_span_string(units, bounds[i], bounds[j], variant)
            if "[Hu" not in speech:
                raise SkipRow("empty_speech_span", f"words {i}..{j - 1} cover no HuBERT frame")
            parts.append(SPEECH_MARKER + speech)
    return "".join(parts)


# ----------------------------------------------------------------------------------------------------------------
# Datasets
# ----------------------------------------------------------------------------------------------------------------
def _row_rng(seed: int, index: int) -> random.Random:
    return random.Random(f"spirit-lm-interleave/{seed}/{index}")


def build_training_texts(
    dataset,
    kind: str = "interleaved",
    variant: str = "base",
    seed: int = 0,
    *,
    text_column: str = "text",
    words_column: str = "words",
    output_column: str = "text",
    expected_speech_tokenizer=None,
    stream_sizes: Optional[Mapping[str, int]] = None,
    keep_columns: Sequence[str] = (),
    return_report: bool = False,
    num_proc: Optional[int] = None,
    **sequence_kwargs,
):
    """Turn encoded (or text) rows into training sequences in a ``text`` column.

    Args:
        dataset (`datasets.Dataset`): encoded rows (``hubert`` [, ``pitch``, ``style``], ``audio_duration``,
            ``speech_tokenizer``, and ``words`` for interleaving, a transcript for ASR/TTS), or text rows for
            ``kind="text"``.
        kind (`str`): ``"speech"``, ``"text"``, ``"interleaved"``, ``"asr"`` or ``"tts"``.
        variant (`str`): ``"base"`` (HuBERT only, even from expressive units) or ``"expressive"`` (needs ``pitch``
            and ``style`` columns).
        seed (`int`): seed of the per-row random span plans (interleaving).
        expected_speech_tokenizer: a fingerprint, a speech tokenizer, or a Spirit LM / speech-tokenizer path; units
            from any other tokenizer are refused (see :func:`processing.encode_units.check_speech_tokenizer`).
        stream_sizes: codebook size per stream (default :data:`modeling_spirit.units.DEFAULT_STREAM_SIZES`; see
            :func:`codebook_sizes` for a model's). A unit outside them raises :class:`InvalidUnitsError` naming the
            row; nothing is built.
        keep_columns: input columns copied to the output (e.g. an ``id``).
        sequence_kwargs: passed to :func:`interleaved_sequence` (``text_span_words``, ``speech_span_words``,
            ``start_modality``, ``space_after_marker``, ``tolerance``).

    Returns:
        `Dataset` with ``output_column`` (+ ``keep_columns``), or ``(dataset, report)`` with ``report = {"kind",
        "num_rows", "num_sequences", "num_skipped", "skipped_by_reason": {...}, "skipped_indices": {...}}``.
    """
    from datasets import Dataset, Features, Value

    if kind not in KINDS:
        raise ValueError(f"`kind` is {kind!r}; allowed: {KINDS}.")
    streams = _streams_for(variant)
    stream_sizes = _resolve_stream_sizes(stream_sizes)
    if not isinstance(dataset, Dataset):
        raise TypeError(f"`dataset` must be a `datasets.Dataset`; got {type(dataset).__name__}.")
    cols = set(dataset.column_names)
    if kind != "text":
        missing = [s for s in streams if s not in cols]
        if missing:
            hint = (" It was encoded with a base speech tokenizer; use variant='base' or re-encode with an expressive "
                    "one.") if variant == "expressive" and "hubert" in cols else " Encode the audio first (spirit-lm encode-dataset)."
            raise ValueError(f"kind={kind!r}, variant={variant!r} needs unit columns {missing}, which the dataset lacks.{hint}")
        if expected_speech_tokenizer is not None:
            check_speech_tokenizer(dataset, expected_speech_tokenizer)
    if kind == "interleaved" and words_column not in cols:
        raise ValueError(
            f"Interleaving needs word alignments in a {words_column!r} column ([{{'word', 'start', 'end'}}], seconds); "
            f"the dataset has {sorted(cols)}. Align transcripts first (python -m processing.align) or pass words_column=."
        )
    if kind in ("text", "asr", "tts") and text_column not in cols and not (kind != "text" and words_column in cols):
        raise ValueError(f"kind={kind!r} needs a transcript column {text_column!r}; the dataset has {sorted(cols)}.")
    for c in keep_columns:
        if c not in cols:
            raise ValueError(f"`keep_columns` names {c!r}, which is not a column ({sorted(cols)}).")

    def make(row: Mapping[str, Any], index: int) -> str:
        if kind == "speech":
            return speech_only_sequence(row, variant, stream_sizes)
        if kind == "text":
            return text_only_sequence(row, text_column)
        if kind == "asr":
            return asr_sequence(row, variant, text_column, words_column, stream_sizes)
        if kind == "tts":
            return tts_sequence(row, variant, text_column, words_column, stream_sizes)
        return interleaved_sequence(row, variant, _row_rng(seed, index), words_column, stream_sizes=stream_sizes,
                                    **sequence_kwargs)

    def fn(batch: Dict[str, List[Any]], indices: List[int]) -> Dict[str, List[Any]]:
        texts, reasons = [], []
        for k, index in enumerate(indices):
            row = {c: batch[c][k] for c in batch}
            try:
                texts.append(make(row, index))
                reasons.append(None)
            except SkipRow as e:
                texts.append("")
                reasons.append(e.reason)
            except InvalidUnitsError as e:
                raise InvalidUnitsError(f"Row {index} of the dataset: {e}") from None
        out = {c: batch[c] for c in keep_columns}
        out[output_column] = texts
        out[SKIP_COLUMN] = reasons
        return out

    features = Features({**{c: dataset.features[c] for c in keep_columns}, output_column: Value("string"),
                         SKIP_COLUMN: Value("string")})
    built = dataset.map(
        fn, batched=True, with_indices=True, remove_columns=dataset.column_names, features=features,
        num_proc=num_proc, desc=f"Building {kind} sequences",
    )
    reasons = built[SKIP_COLUMN]
    skipped = [i for i, r in enumerate(reasons) if r is not None]
    by_reason = Counter(r for r in reasons if r is not None)
    if skipped:
        logger.warning(
            "%s sequences: skipped %d of %d rows (%s).", kind, len(skipped), len(reasons),
            ", ".join(f"{k}: {v}" for k, v in sorted(by_reason.items())),
        )
        skipped_set = set(skipped)
        built = built.select([i for i in range(len(built)) if i not in skipped_set])
    built = built.remove_columns(SKIP_COLUMN)
    if not return_report:
        return built
    indices: Dict[str, List[int]] = {}
    for i in skipped:
        indices.setdefault(reasons[i], []).append(i)
    report = {
        "kind": kind,
        "variant": variant,
        "num_rows": len(reasons),
        "num_sequences": len(built),
        "num_skipped": len(skipped),
        "skipped_by_reason": dict(by_reason),
        "skipped_indices": indices,
    }
    return built, report


def mix_sources(
    sources: Mapping[str, Any],
    weights: Optional[Mapping[str, float]] = None,
    seed: int = 0,
    stopping_strategy: str = "all_exhausted",
    text_column: str = "text",
    source_column: Optional[str] = "source",
):
    """Sample from several ``text`` datasets with weights (``datasets.interleave_datasets``), seeded and reproducible.

    Args:
        sources: ``{name: Dataset}``, each with a ``text_column`` (e.g. the outputs of :func:`build_training_texts`).
        weights: ``{name: weight}`` (normalised; default equal, i.e. the paper's 1/3-1/3-1/3 for speech,
            interleaved and text, see ``PAPER_MIXTURE``).
        seed: sampling seed (the same seed and inputs give the same order).
        stopping_strategy: ``"all_exhausted"`` (oversample small sources until every one was seen; the paper's
            epochs differ per source) or ``"first_exhausted"``.
        source_column: name of an added column holding each row's source name (``None``: not added).
    """
    from datasets import interleave_datasets

    if not sources:
        raise ValueError("`sources` is empty; pass {name: dataset}.")
    weights = dict(weights) if weights is not None else {name: 1.0 for name in sources}
    unknown = set(weights) - set(sources)
    missing = set(sources) - set(weights)
    if unknown or missing:
        raise ValueError(f"`weights` must name exactly the sources {sorted(sources)}; unknown {sorted(unknown)}, "
                         f"missing {sorted(missing)}.")
    if any(w < 0 for w in weights.values()) or sum(weights.values()) <= 0:
        raise ValueError(f"Weights must be >= 0 with a positive sum; got {weights}.")
    names = [n for n in sources if weights[n] > 0]
    parts = []
    for name in names:
        ds = sources[name]
        if text_column not in ds.column_names:
            raise ValueError(f"Source {name!r} has no {text_column!r} column (columns: {ds.column_names}).")
        ds = ds.select_columns([text_column])
        if source_column:
            ds = ds.add_column(source_column, [name] * len(ds))
        parts.append(ds)
    total = sum(weights[n] for n in names)
    return interleave_datasets(
        parts, probabilities=[weights[n] / total for n in names], seed=seed, stopping_strategy=stopping_strategy
    )


def pack_sequences(dataset, tokenizer, max_length: int, text_column: str = "text", add_eos: bool = True,
                   drop_last: bool = False, group_size: int = 1000, num_proc: Optional[int] = None):
    """Tokenize ``text_column`` (BOS as the tokenizer adds it, EOS appended when ``add_eos``), concatenate, and cut into
    blocks of ``max_length`` ids: a Dataset with ``input_ids`` for plain causal-LM pretraining (TRL's ``SFTTrainer``
    can pack by itself with ``packing=True``; this is for trainers that can't). Rows are packed in groups of
    ``group_size`` (as transformers' ``run_clm``); each group's last, shorter block is kept unless ``drop_last``."""
    if max_length < 2:
        raise ValueError(f"`max_length` must be >= 2; got {max_length}.")
    eos = tokenizer.eos_token_id
    if add_eos and eos is None:
        raise ValueError("The tokenizer has no EOS token; pass add_eos=False.")

    def tok(batch):
        ids = tokenizer(batch[text_column], add_special_tokens=True)["input_ids"]
        return {"ids": [list(x) + ([eos] if add_eos else []) for x in ids]}

    tokenized = dataset.map(tok, batched=True, remove_columns=dataset.column_names, num_proc=num_proc,
                            desc="Tokenizing")

    def pack(batch):
        buf: List[int] = []
        for x in batch["ids"]:
            buf.extend(x)
        blocks = [buf[i:i + max_length] for i in range(0, len(buf), max_length)]
        if drop_last and blocks and len(blocks[-1]) < max_length:
            blocks.pop()
        return {"input_ids": blocks}

    return tokenized.map(pack, batched=True, batch_size=group_size, remove_columns=["ids"], desc="Packing")


# ----------------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------------
def _load_any(path: str):
    from datasets import load_dataset, load_from_disk

    if os.path.isdir(path):
        if os.path.isfile(os.path.join(path, "state.json")):
            return load_from_disk(path)
        return load_encoded_dataset(path)
    ext = os.path.splitext(path)[1].lower()
    builder = {".parquet": "parquet", ".json": "json", ".jsonl": "json", ".csv": "csv"}.get(ext)
    if builder is None:
        raise ValueError(f"Don't know how to read {path}: pass an encoded-shards folder, a save_to_disk folder, or a "
                         "parquet/json/jsonl/csv file.")
    return load_dataset(builder, data_files=path, split="train")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spirit-lm interleave",
                                description="Build Spirit LM training text (speech, text, interleaved, asr, tts).")
    p.add_argument("--input", required=True, help="Encoded shards folder (spirit-lm encode-dataset), a save_to_disk "
                   "folder, or a parquet/json/jsonl/csv file.")
    p.add_argument("--kind", choices=KINDS, default="interleaved")
    p.add_argument("--variant", choices=VARIANTS, default="base")
    p.add_argument("--model", default=None, help="Spirit LM (or speech tokenizer) folder: refuse units from another "
                   "speech tokenizer.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--text-column", default="text")
    p.add_argument("--words-column", default="words")
    p.add_argument("--space-after-marker", action="store_true")
    p.add_argument("--output", required=True, help="Output: a folder (save_to_disk) or a .parquet/.jsonl file.")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        return _run(args)
    except (ValueError, OSError) as err:  # bad input: the message, not a traceback; nothing is written
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1


def _run(args) -> int:
    ds = _load_any(args.input)
    kwargs = {"space_after_marker": True} if args.space_after_marker and args.kind == "interleaved" else {}
    sizes = codebook_sizes(args.model) if args.model and args.kind != "text" else None
    out, report = build_training_texts(
        ds, args.kind, args.variant, args.seed, text_column=args.text_column, words_column=args.words_column,
        expected_speech_tokenizer=args.model if args.kind != "text" else None, stream_sizes=sizes,
        return_report=True, **kwargs,
    )
    if args.output.endswith(".parquet"):
        out.to_parquet(args.output)
    elif args.output.endswith((".jsonl", ".json")):
        out.to_json(args.output, lines=True)
    else:
        out.save_to_disk(args.output)
    print(f"{report['num_sequences']} {args.kind} sequences from {report['num_rows']} rows -> {args.output}; "
          f"skipped {report['num_skipped']} {report['skipped_by_reason'] or ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
