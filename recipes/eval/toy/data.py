# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy corpus as the evaluation reads it (a ``save_to_disk`` ``DatasetDict``: splits, columns, rows with their
audio decoded at 16 kHz) and the wav / JSON-lines files it writes for the reused evaluators."""

import io
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterable, List, Sequence

import numpy as np
import soundfile as sf
import torch

from modeling_spirit.audio_utils import resample
from modeling_spirit.constants import SAMPLING_RATE


def required_columns(tasks: Sequence[str]) -> List[str]:
    cols = {"audio", "text"}
    if {"continuation", "storycloze"} & set(tasks):
        cols.add("words")
    if {"resynthesis", "continuation", "storycloze"} & set(tasks):
        cols.add("speaker")
    if "storycloze" in tasks:
        cols.add("sentence_id")
    return sorted(cols)


def load_corpus(corpus):
    """The corpus ``DatasetDict`` (from a folder or as given)."""
    from datasets import Dataset, DatasetDict, load_from_disk  # optional (the `eval` extra)

    if isinstance(corpus, DatasetDict):
        return corpus
    if isinstance(corpus, Dataset):
        raise ValueError("`corpus` is a single Dataset; give the toy corpus DatasetDict (train/validation/test) or "
                         "its folder.")
    path = Path(str(corpus))
    if not path.is_dir():
        raise ValueError(f"The toy corpus folder {str(path)!r} does not exist; build it with `python -m "
                         f"processing.toy_corpus --output-dir {path}` (or pass the folder that holds it).")
    try:
        dd = load_from_disk(str(path))
    except FileNotFoundError as err:
        raise ValueError(f"{str(path)!r} is not a `save_to_disk` dataset folder ({err}); give the toy corpus folder "
                         "(built by `python -m processing.toy_corpus`).") from None
    if not isinstance(dd, DatasetDict):
        raise ValueError(f"{str(path)!r} holds a single Dataset, not a DatasetDict with splits; give the toy corpus "
                         "folder (train/validation/test).")
    return dd


def corpus_split(dd, split: str, columns: Sequence[str], what: str):
    from datasets import Audio  # optional (the `eval` extra)

    if split not in dd:
        raise ValueError(f"The corpus has no {split!r} split ({what}); its splits are {sorted(dd)}. Pass another "
                         "split name.")
    ds = dd[split]
    missing = [c for c in columns if c not in ds.column_names]
    if missing:
        raise ValueError(f"The corpus's {split!r} split lacks the column(s) {missing} that these tasks need; it has "
                         f"{ds.column_names}. Build the corpus with `processing.toy_corpus` (audio, text, words, "
                         "speaker, sentence_id) or drop the tasks that need them.")
    if len(ds) == 0:
        raise ValueError(f"The corpus's {split!r} split is empty ({what}).")
    if "audio" in columns:
        ds = ds.cast_column("audio", Audio(decode=False))
    return ds


def decode_audio(cell) -> np.ndarray:
    """A ``decode=False`` audio cell (``{"bytes", "path"}``) → mono float32 at 16 kHz."""
    data = cell.get("bytes") if isinstance(cell, dict) else None
    source = io.BytesIO(data) if data else (cell.get("path") if isinstance(cell, dict) else cell)
    wav, rate = sf.read(source, dtype="float32", always_2d=True)
    wav = wav.mean(axis=1)
    if rate != SAMPLING_RATE:
        wav = resample(torch.from_numpy(wav), rate, SAMPLING_RATE).numpy()
    return np.ascontiguousarray(wav, dtype=np.float32)


def read_rows(ds, indices: Sequence[int]) -> List[Dict[str, Any]]:
    rows = []
    for i in indices:
        row = dict(ds[int(i)])
        row["index"] = int(i)
        if "audio" in row:
            row["audio"] = decode_audio(row["audio"])
            row["duration"] = len(row["audio"]) / SAMPLING_RATE
        rows.append(row)
    return rows


def row_id(row: Dict[str, Any]) -> str:
    voice = re.sub(r"[^A-Za-z0-9]+", "_", str(row.get("speaker", "")).strip()).strip("_")
    sid = row.get("sentence_id", row["index"])
    return f"{row['index']:05d}-s{sid}" + (f"-{voice}" if voice else "")


def write_wav(path: Path, wav: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(wav, dtype=np.float32), SAMPLING_RATE, subtype="PCM_16")


def write_jsonl(path: Path, records: Iterable[Dict[str, Any]]) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return str(path)


__all__ = ["required_columns", "load_corpus", "corpus_split", "decode_audio", "read_rows", "row_id", "write_wav",
           "write_jsonl"]
