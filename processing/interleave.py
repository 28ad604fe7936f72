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
import os
import random
import sys
from collections import Counter
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from modeling_spirit.units import HUBERT_RATE, PITCH_RATE, SPEECH_MARKER, STYLE_RATE, TEXT_MARKER, STREAM_PREFIXES

logger = logging.getLogger(__name__)

KINDS = ("speech", "text", "interleaved", "asr", "tts")
VARIANTS = ("base", "expressive")
# True frame rates, used to cut streams by time (HUBERT_RATE = 24.99 is used only for ordering, as the original).
FRAME_RATES = {"hubert": 25.0, "pitch": PITCH_RATE, "style": STYLE_RATE}
ORDER_RATES = {"hubert": HUBERT_RATE, "pitch": PITCH_RATE, "style": STYLE_RATE}
DEDUP = {"hubert": True, "pitch": True, "style": False}
TEXT_SPAN_WORDS = (10, 30)
SPEECH_SPAN_WORDS = (5, 15)
# The paper's mixture (Table 2): one third each.
PAPER_MIXTURE = {"speech": 1 / 3, "interleaved": 1 / 3, "text": 1 / 3}

SKIP_COLUMN = "_skip_reason"


class SkipRow(Exception):
    """A row that cannot be turned into a sequence; ``reason`` is a short, countable key."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


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
    timed: List[Tuple[float, str]] = []
    for key in ("style", "pitch", "hubert"):
        if key not in slices:
            continue
        start, values = slices[key]
        prefix = STREAM_PREFIXES[key]
        prev = None
        for i, u in enumerate(values):
            u = int(u)
            if DEDUP[key] and i > 0 and u == prev:
                continue
            prev = u
            timed.append(((start + i) / ORDER_RATES[key], f"[{prefix}{u}]"))
    timed.sort(key=lambda item: item[0])
    return "".join(tok for _, tok in timed)


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
def _units_of(row: Mapping[str, Any], streams: Sequence[str]) -> Dict[str, List[int]]:
    units = {k: list(row.get(k) or []) for k in streams}
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


def speech_only_sequence(row: Mapping[str, Any], variant: str = "base") -> str:
    """``[Speech]`` + the whole utterance's unit string."""
    units = _units_of(row, _streams_for(variant))
    return SPEECH_MARKER + merge_unit_streams({k: (0, v) for k, v in units.items()})


def text_only_sequence(row: Mapping[str, Any], text_column: str = "text") -> str:
    """``[Text]`` + the text."""
    return TEXT_MARKER + _transcript_of(row, text_column, "\0")


def asr_sequence(row: Mapping[str, Any], variant: str = "base", text_column: str = "text", words_column: str = "words") -> str:
    """``[Speech]<units>[Text]<transcript>`` (paper App. B's ASR shape, without the few-shot framing)."""
    text = _transcript_of(row, text_column, words_column)
    return speech_only_sequence(row, variant) + TEXT_MARKER + text


def tts_sequence(row: Mapping[str, Any], variant: str = "base", text_column: str = "text", words_column: str = "words") -> str:
    """``[Text]<text>[Speech]<units>`` (paper App. B's TTS shape)."""
    text = _transcript_of(row, text_column, words_column)
    return TEXT_MARKER + text + speech_only_sequence(row, variant)


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
) -> str:
    """A word-aligned interleaved sequence of one encoded, aligned row (see the module docstring).

    Raises :class:`SkipRow` for rows without usable alignments or units.
    """
    rng = rng or random.Random(0)
    streams = _streams_for(variant)
    units = _units_of(row, streams)
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
            from .encode_units import check_speech_tokenizer

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
            return speech_only_sequence(row, variant)
        if kind == "text":
            return text_only_sequence(row, text_column)
        if kind == "asr":
            return asr_sequence(row, variant, text_column, words_column)
        if kind == "tts":
            return tts_sequence(row, variant, text_column, words_column)
        return interleaved_sequence(row, variant, _row_rng(seed, index), words_column, **sequence_kwargs)

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

    from .encode_units import load_encoded_dataset

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
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ds = _load_any(args.input)
    kwargs = {"space_after_marker": True} if args.space_after_marker and args.kind == "interleaved" else {}
    out, report = build_training_texts(
        ds, args.kind, args.variant, args.seed, text_column=args.text_column, words_column=args.words_column,
        expected_speech_tokenizer=args.model if args.kind != "text" else None, return_report=True, **kwargs,
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
