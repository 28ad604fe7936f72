# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Offline English forced alignment (PyPI ``pocketsphinx``: its US-English acoustic model and CMU dictionary ship in
the wheel), turning audio + transcripts into rows with word timings for interleaving.

```python
from processing.align import PocketSphinxAligner, align_dataset, load_audio_transcripts
ds = load_audio_transcripts("my_corpus/")             # audiofolder with metadata.csv, or .txt/.lab side files
ds, report = align_dataset(ds, return_report=True)    # adds words = [{"word", "start", "end"}] (seconds)
```

Command line (``python -m processing.align``; the CLI owner may register it as ``spirit-lm align``)::

    python -m processing.align --input my_corpus/ --output aligned/      # a save_to_disk folder
    spirit-lm encode-dataset --dataset aligned/ --speech-tokenizer MODEL --output-dir units/
    python -m processing.interleave --input units/ --kind interleaved --output interleaved.parquet

Words keep the transcript's own spelling and punctuation (``"Robin."``); alignment uses a normalised form (lower
case, letters, digits and apostrophes). Words missing from the CMU dictionary get a naive letter-to-phone guess
(``oov="guess"``, the default: the word's boundaries come mostly from its aligned neighbours) or make the row skip
(``oov="skip"``). Tokens with nothing to pronounce (``"-"``, ``"..."``) are attached to the previous word. Rows whose
audio cannot be read, whose transcript is empty, or that pocketsphinx cannot align are skipped and counted (or kept
with an empty ``words`` list, ``keep_failed=True``: still usable as speech-only data). Other languages: see
``processing/README.md``.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import sys
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from modeling_spirit.constants import SAMPLING_RATE

from .encode_units import load_source_dataset

logger = logging.getLogger(__name__)

FRAME_RATE = 100  # pocketsphinx frames per second
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")
_NON_WORDS = {"<s>", "</s>", "<sil>", "(NULL)", "[NOISE]", "<unk>"}
_LETTER_PHONES = {
    "a": "AH", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH", "i": "IH", "j": "JH",
    "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P", "q": "K", "r": "R", "s": "S", "t": "T", "u": "AH",
    "v": "V", "w": "W", "x": "K S", "y": "Y", "z": "Z",
    "0": "Z IH R OW", "1": "W AH N", "2": "T UW", "3": "TH R IY", "4": "F AO R", "5": "F AY V", "6": "S IH K S",
    "7": "S EH V AH N", "8": "EY T", "9": "N AY N",
}


class AlignmentError(ValueError):
    """A row cannot be aligned; ``reason`` is a short, countable key."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def _require_pocketsphinx():
    try:
        import pocketsphinx
    except ImportError as err:
        raise ImportError(
            "Forced alignment needs `pocketsphinx` (BSD; its English model ships in the wheel): "
            "`pip install pocketsphinx` (or the project's `align` extra)."
        ) from err
    return pocketsphinx


def normalize_transcript(transcript: str) -> List[Tuple[str, str]]:
    """``[(original_token, normalised_word)]``: whitespace tokens, lower case, only ``[a-z0-9']`` kept; tokens that
    normalise to nothing are glued to the previous token (or the next one at the start)."""
    out: List[List[str]] = []
    pending = ""
    for tok in (transcript or "").split():
        norm = re.sub(r"[^a-z0-9']", "", tok.lower()).strip("'")
        if not norm:
            if out:
                out[-1][0] += " " + tok
            else:
                pending = (pending + " " + tok).strip()
            continue
        out.append([(pending + " " + tok).strip() if pending else tok, norm])
        pending = ""
    return [(a, b) for a, b in out]


def guess_phones(word: str) -> str:
    """A naive letter-to-phone spelling (doubled letters collapsed) for words missing from the dictionary."""
    phones, prev = [], None
    for ch in word:
        if ch == prev or ch not in _LETTER_PHONES:
            prev = ch
            continue
        phones.append(_LETTER_PHONES[ch])
        prev = ch
    return " ".join(phones) or "AH"


class PocketSphinxAligner:
    """Word-level forced aligner around ``pocketsphinx.Decoder`` (US English model from the wheel).

    Args:
        oov (`str`): ``"guess"`` (letter-to-phone guess for unknown words) or ``"skip"`` (raise ``AlignmentError``).
        beam / wbeam / pbeam (`float`): search beams; alignment uses much wider beams than recognition (the
            defaults align synthetic and read speech that pocketsphinx's recognition beams reject).
        decoder_kwargs: other ``pocketsphinx.Decoder`` options (``hmm=``, ``dict=`` for another model).
    """

    def __init__(self, oov: str = "guess", beam: float = 1e-200, wbeam: float = 1e-150, pbeam: float = 1e-200,
                 **decoder_kwargs):
        if oov not in ("guess", "skip"):
            raise ValueError(f"`oov` is {oov!r}; allowed: 'guess' or 'skip'.")
        _require_pocketsphinx()
        self.oov = oov
        self.decoder_kwargs = dict(samprate=SAMPLING_RATE, bestpath=False, beam=beam, wbeam=wbeam, pbeam=pbeam,
                                   loglevel="FATAL", **decoder_kwargs)
        self._decoder = None

    def __getstate__(self):  # picklable for Dataset.map(num_proc=...): each process builds its own decoder
        state = dict(self.__dict__)
        state["_decoder"] = None
        return state

    @property
    def decoder(self):
        if self._decoder is None:
            from pocketsphinx import Decoder

            self._decoder = Decoder(**self.decoder_kwargs)
        return self._decoder

    def align(self, audio: np.ndarray, transcript: str) -> List[Dict[str, Any]]:
        """Word timings of ``transcript`` in ``audio`` (1-D float samples at 16 kHz): ``[{"word", "start", "end"}]``."""
        tokens = normalize_transcript(transcript)
        if not tokens:
            raise AlignmentError("empty_transcript", "the transcript has no words")
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if audio.size < SAMPLING_RATE // 10:
            raise AlignmentError("alignment_failed", f"the audio is too short ({audio.size} samples)")
        d = self.decoder
        unknown = sorted({w for _, w in tokens if d.lookup_word(w) is None})
        if unknown:
            if self.oov == "skip":
                raise AlignmentError("oov", f"words not in the dictionary: {unknown[:10]}")
            for w in unknown:
                d.add_word(w, guess_phones(w), True)
        d.set_align_text(" ".join(w for _, w in tokens))
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype(np.int16).tobytes()
        d.start_utt()
        d.process_raw(pcm, full_utt=True)
        d.end_utt()
        if d.hyp() is None:
            raise AlignmentError("alignment_failed", "pocketsphinx found no alignment")
        segs = [(re.sub(r"\(\d+\)$", "", s.word), s.start_frame, s.end_frame) for s in d.seg()]
        segs = [s for s in segs if s[0] not in _NON_WORDS and not s[0].startswith("+")]
        if [s[0] for s in segs] != [w for _, w in tokens]:
            raise AlignmentError("alignment_failed", "the aligned words do not match the transcript")
        duration = audio.size / SAMPLING_RATE
        return [
            {"word": orig, "start": round(s / FRAME_RATE, 3), "end": round(min(duration, (e + 1) / FRAME_RATE), 3)}
            for (orig, _), (_, s, e) in zip(tokens, segs)
        ]


def align_dataset(
    dataset,
    audio_column: str = "audio",
    text_column: str = "text",
    words_column: str = "words",
    aligner: Optional[PocketSphinxAligner] = None,
    keep_failed: bool = False,
    return_report: bool = False,
    num_proc: Optional[int] = None,
):
    """Add a ``words`` column (``[{"word", "start", "end"}]``, seconds) to a dataset with audio and transcripts.

    Audio is decoded with ``datasets.Audio(sampling_rate=16000)`` row by row; failures are skipped and counted by
    reason (``unreadable_audio``, ``empty_transcript``, ``oov``, ``alignment_failed``), logged, and listed in the
    report (``{"num_rows", "num_aligned", "num_skipped", "skipped_by_reason", "skipped": [{"index", "reason",
    "error"}]}``). The audio column is kept as it was.
    """
    from datasets import Audio, Features, List as DList, Value

    for col in (audio_column, text_column):
        if col not in dataset.column_names:
            raise ValueError(f"The dataset has no column {col!r}; its columns are {dataset.column_names}.")
    aligner = aligner or PocketSphinxAligner()
    original_audio = dataset.features[audio_column]
    prepared = dataset.cast_column(audio_column, Audio(sampling_rate=SAMPLING_RATE, decode=False))
    feature = Audio(sampling_rate=SAMPLING_RATE)
    word_feature = DList({"word": Value("string"), "start": Value("float32"), "end": Value("float32")})
    features = Features({**prepared.features, words_column: word_feature, "_align_error": Value("string")})

    def fn(batch):
        words, errors = [], []
        for value, text in zip(batch[audio_column], batch[text_column]):
            try:
                try:
                    audio = np.asarray(feature.decode_example(value)["array"], dtype=np.float32)
                except Exception as e:  # noqa: BLE001
                    raise AlignmentError("unreadable_audio", f"{type(e).__name__}: {e}") from None
                words.append(aligner.align(audio, text or ""))
                errors.append(None)
            except AlignmentError as e:
                words.append([])
                errors.append(str(e))
        return {**batch, words_column: words, "_align_error": errors}

    out = prepared.map(
        fn, batched=True, batch_size=16, features=features, num_proc=num_proc, desc="Aligning words",
        new_fingerprint=hashlib.sha256(f"{prepared._fingerprint}|align|{aligner.oov}|{words_column}".encode()).hexdigest()[:32],
    )
    errors = out["_align_error"]
    failed = [i for i, e in enumerate(errors) if e is not None]
    reasons = Counter(errors[i].split(":")[0] for i in failed)
    if failed:
        logger.warning("Alignment skipped %d of %d rows (%s).", len(failed), len(errors),
                       ", ".join(f"{k}: {v}" for k, v in sorted(reasons.items())))
        if not keep_failed:
            bad = set(failed)
            out = out.select([i for i in range(len(out)) if i not in bad])
    out = out.remove_columns("_align_error").cast_column(audio_column, original_audio if isinstance(original_audio, Audio) else Audio())
    if not return_report:
        return out
    report = {
        "num_rows": len(errors),
        "num_aligned": len(errors) - len(failed),
        "num_skipped": len(failed),
        "skipped_by_reason": dict(reasons),
        "skipped": [{"index": i, "reason": errors[i].split(":")[0], "error": errors[i]} for i in failed],
    }
    return out, report


def load_audio_transcripts(source: str, text_column: str = "text"):
    """Audio + transcripts from a folder or file:

    * an ``audiofolder`` with ``metadata.csv``/``metadata.jsonl`` (``file_name`` + a ``text``/``transcript``/
      ``sentence`` column, renamed to ``text_column``);
    * audio files with a transcript side file of the same stem (``utt.wav`` + ``utt.txt`` or ``utt.lab``);
    * LibriSpeech-style ``*.trans.txt`` files (``ID transcript`` lines, audio ``ID.flac`` beside them);
    * a ``save_to_disk`` folder or a parquet/json/jsonl/csv file (see :func:`processing.encode_units.load_source_dataset`).
    """
    from datasets import Audio, Dataset, load_dataset

    if not os.path.isdir(source) or os.path.isfile(os.path.join(source, "state.json")):
        ds = load_source_dataset(source)
    elif any(os.path.isfile(os.path.join(source, f"metadata.{e}")) for e in ("csv", "jsonl", "json", "parquet")):
        ds = load_dataset("audiofolder", data_dir=source, split="train")
    else:
        audio, texts = [], []
        trans = {}
        for root, _, files in os.walk(source):
            for f in files:
                if f.endswith(".trans.txt"):
                    with open(os.path.join(root, f), encoding="utf-8") as fh:
                        for line in fh:
                            if line.strip():
                                key, _, text = line.strip().partition(" ")
                                trans[os.path.join(root, key)] = text
        for root, _, files in os.walk(source):
            for f in sorted(files):
                stem, ext = os.path.splitext(f)
                if ext.lower() not in AUDIO_EXTENSIONS:
                    continue
                base = os.path.join(root, stem)
                text = trans.get(base)
                for side in (".txt", ".lab"):
                    if text is None and os.path.isfile(base + side):
                        with open(base + side, encoding="utf-8") as fh:
                            text = fh.read().strip()
                if text is None:
                    logger.warning("No transcript for %s (expected %s.txt, %s.lab or a *.trans.txt line); skipped.",
                                   os.path.join(root, f), stem, stem)
                    continue
                audio.append(os.path.join(root, f))
                texts.append(text)
        if not audio:
            raise ValueError(f"No audio file with a transcript found under {source}.")
        order = sorted(range(len(audio)), key=lambda i: audio[i])
        ds = Dataset.from_dict({"audio": [audio[i] for i in order], text_column: [texts[i] for i in order]})
        ds = ds.cast_column("audio", Audio())
    if text_column not in ds.column_names:
        for alt in ("text", "transcript", "transcription", "sentence", "normalized_text"):
            if alt in ds.column_names:
                ds = ds.rename_column(alt, text_column)
                break
        else:
            raise ValueError(f"No transcript column in {source}: columns {ds.column_names}; expected {text_column!r}.")
    return ds


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spirit-lm align", description="Force-align English transcripts to audio "
                                "(pocketsphinx, offline) and write rows with word timings.")
    p.add_argument("--input", required=True, help="Folder of audio + transcripts (see load_audio_transcripts), a "
                   "save_to_disk folder, or a parquet/json/jsonl/csv file with audio paths.")
    p.add_argument("--output", required=True, help="save_to_disk folder (or a .jsonl/.parquet file).")
    p.add_argument("--audio-column", default="audio")
    p.add_argument("--text-column", default="text")
    p.add_argument("--oov", choices=("guess", "skip"), default="guess")
    p.add_argument("--keep-unaligned", action="store_true", help="Keep failed rows with an empty words list.")
    p.add_argument("--num-proc", type=int, default=None)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ds = load_audio_transcripts(args.input, args.text_column)
    out, report = align_dataset(ds, args.audio_column, args.text_column, aligner=PocketSphinxAligner(oov=args.oov),
                                keep_failed=args.keep_unaligned, return_report=True, num_proc=args.num_proc)
    if args.output.endswith(".parquet"):
        out.to_parquet(args.output)
    elif args.output.endswith((".jsonl", ".json")):
        out.to_json(args.output, lines=True)
    else:
        out.save_to_disk(args.output)
    print(f"aligned {report['num_aligned']} of {report['num_rows']} rows -> {args.output}; skipped "
          f"{report['num_skipped']} {report['skipped_by_reason'] or ''}")
    for row in report["skipped"][:10]:
        print(f"  row {row['index']}: {row['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
