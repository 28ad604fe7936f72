# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Manifests (JSON lines) and audio loading for the evaluation tasks.

Every task reads one JSON-lines manifest (one JSON object per line). Lines are checked before anything runs: a
line that is not JSON, not an object, or lacks a field the requested modes need is an error naming the file and the
line. The checked records are then held as a :class:`datasets.Dataset` (``load_dataset("json", ...)``).

Audio paths are relative to the manifest's folder unless ``audio_root`` is given. Audio that fails to decode does
not stop a run: the item is counted, reported in the result (``failed``) and left out of the denominator.
"""

import json
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import soundfile as sf
from tqdm.auto import tqdm

from modeling_spirit.audio_utils import load_audio
from modeling_spirit.constants import SAMPLING_RATE

from .errors import ManifestError
from .official import check_records, convert


def read_manifest(path, required: Sequence[str] = (), any_of: Sequence[Sequence[str]] = (),
                  task: Optional[str] = None) -> List[Dict[str, Any]]:
    """Read and check a JSON-lines manifest.

    Args:
        path: the ``.jsonl`` file.
        required: fields every record must have.
        any_of: groups of fields of which each record must have at least one.
        task: the evaluation task, used when ``path`` is an official folder (e.g. sSC vs tSC text handling).

    Returns:
        The records (dicts), in file order, each with ``_line`` (its 1-based line number) added.

    A folder (or a ``gold.csv``) in an official layout (ZeroSpeech 2021 lexical/syntactic, spoken StoryCloze) is
    converted on the fly (:mod:`recipes.eval.official`; errors then name the official file and line).
    """
    path = Path(path)
    if path.is_dir() or (path.is_file() and path.suffix == ".csv"):
        records = convert(task, path)
        check_records(records, required)
        for group in any_of:
            check_records([r for r in records if not any(r.get(k) not in (None, "") for k in group)], group)
        return records
    if not path.is_file():
        raise ManifestError(f"Manifest {str(path)!r} does not exist (or is not a file).")
    records = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ManifestError(f"{path}:{lineno}: not valid JSON ({err.msg} at column {err.colno}).") from None
            if not isinstance(record, dict):
                raise ManifestError(f"{path}:{lineno}: each line must be a JSON object; got {type(record).__name__}.")
            missing = [k for k in required if record.get(k) in (None, "")]
            if missing:
                raise ManifestError(f"{path}:{lineno}: missing field(s) {missing}; this task needs {list(required)} "
                                    f"(the record has {sorted(record)}).")
            for group in any_of:
                if not any(record.get(k) not in (None, "") for k in group):
                    raise ManifestError(f"{path}:{lineno}: needs one of the fields {list(group)} "
                                        f"(the record has {sorted(record)}).")
            record["_line"] = lineno
            records.append(record)
    if not records:
        raise ManifestError(f"Manifest {str(path)!r} has no records.")
    return records


def as_dataset(records: List[Dict[str, Any]], path):
    """The checked records as a :class:`datasets.Dataset` loaded with ``load_dataset("json")`` (when ``datasets`` is
    installed; a plain list otherwise)."""
    try:
        from datasets import load_dataset  # optional (the `eval` extra); without it the records are returned
    except ImportError:  # pragma: no cover - datasets is in the eval extra
        return records
    return load_dataset("json", data_files=str(path), split="train")


def resolve_audio(value, base: Path) -> str:
    """An audio path relative to ``base`` (absolute paths unchanged)."""
    p = Path(str(value))
    return str(p if p.is_absolute() else base / p)


def load_waveform(path: str, sampling_rate: int = SAMPLING_RATE, resample: bool = True) -> np.ndarray:
    """Decode one audio file to mono float32 at ``sampling_rate`` (raises on failure)."""
    if not resample:
        info = sf.info(path)
        if info.samplerate != sampling_rate:
            raise ValueError(f"{path} is {info.samplerate} Hz; this benchmark reads audio unresampled at "
                             f"{sampling_rate} Hz (as the original).")
    wav = load_audio(Path(path), target_rate=sampling_rate)
    wav = wav.numpy().astype(np.float32, copy=False)
    if wav.size == 0:
        raise ValueError(f"{path} decoded to an empty waveform.")
    return wav


class AudioCache:
    """Decode and encode (audio → unit string) each file once, in batches; failures are remembered per file."""

    def __init__(self, speech_tokenizer, batch_size: int = 8, progress: bool = False):
        self.speech_tokenizer = speech_tokenizer
        self.batch_size = batch_size
        self.progress = progress
        self.units: Dict[str, str] = {}
        self.errors: Dict[str, str] = {}

    def encode(self, paths: Iterable[str], transform: Optional[Callable[[np.ndarray], np.ndarray]] = None,
               key_suffix: str = "") -> None:
        """Encode every path not seen yet; ``transform`` (e.g. keep the first half) is applied to the waveform."""
        if self.speech_tokenizer is None:
            raise ValueError("Speech modes need the model's speech tokenizer (a `speech_tokenizer/` folder beside the "
                             "LM); this model has none.")
        todo = [p for p in dict.fromkeys(paths) if p + key_suffix not in self.units and p + key_suffix not in self.errors]
        bar = None
        if self.progress and todo:
            bar = tqdm(total=len(todo), desc="encoding audio", unit="file")
        for start in range(0, len(todo), self.batch_size):
            chunk, waves = [], []
            for p in todo[start:start + self.batch_size]:
                try:
                    wav = load_waveform(p)
                    if transform is not None:
                        wav = transform(wav)
                    chunk.append(p)
                    waves.append(wav)
                except Exception as err:  # noqa: BLE001 - any decoder failure is counted and reported
                    self.errors[p + key_suffix] = f"{type(err).__name__}: {err}"
            if waves:
                strings = self.speech_tokenizer.encode_string(waves) if len(waves) > 1 else [
                    self.speech_tokenizer.encode_string(waves[0])]
                for p, s in zip(chunk, strings):
                    if not s:
                        self.errors[p + key_suffix] = "the audio is too short to give any speech unit"
                    else:
                        self.units[p + key_suffix] = s
            if bar is not None:
                bar.update(len(todo[start:start + self.batch_size]))
        if bar is not None:
            bar.close()

    def get(self, path: str, key_suffix: str = "") -> Tuple[Optional[str], Optional[str]]:
        """``(units, None)`` or ``(None, error)``."""
        key = path + key_suffix
        return self.units.get(key), self.errors.get(key)


__all__ = ["ManifestError", "read_manifest", "as_dataset", "resolve_audio", "load_waveform", "AudioCache"]
