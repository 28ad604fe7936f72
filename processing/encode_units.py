# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Audio → speech units at scale: a ``datasets`` map over an ``Audio`` column, sharded, resumable and reported.

```python
from processing.encode_units import encode_dataset, encode_to_disk, load_encoded_dataset
ds, report = encode_dataset(ds, "spirit-lm-expressive-7b", batch_size=16, return_report=True)
# or, one job per GPU/node (torchrun, accelerate launch, a SLURM array), each writing one shard:
encode_to_disk(ds, tok, "units/", num_shards=8, shard_index=3)
ds = load_encoded_dataset("units/")   # all shards, checked to come from one speech tokenizer
```

Command line (registered as ``spirit-lm encode-dataset``; also ``python -m processing.encode_units``)::

    spirit-lm encode-dataset --dataset DATA --speech-tokenizer MODEL --output-dir units/ \
        [--split train] [--audio-column audio] [--batch-size 16] [--num-shards auto --shard-index auto]

Added columns (raw, **not** deduplicated codebook indices, exactly :meth:`SpiritLMSpeechTokenizer.encode_units`):

* ``hubert`` (25 Hz), and for an expressive tokenizer ``pitch`` (12.5 Hz) and ``style`` (1 Hz): ``list<int32>``;
* ``unit_string``: the deduplicated, time-sorted unit string (``"[St71][Pi39][Hu99]..."``, no ``[Speech]`` marker);
* ``audio_duration``: seconds of audio after resampling to 16 kHz (``float32``);
* ``speech_tokenizer``: the tokenizer's fingerprint (see :func:`speech_tokenizer_fingerprint`), on every row, so the
  identity travels with the data (``push_to_hub``, ``concatenate_datasets``...). A metadata file
  ``spirit_lm_units.json`` next to each saved shard holds the details (config hash, weights hash, source path).

Audio is decoded by ``datasets``' own ``Audio(sampling_rate=16000)`` feature (torchcodec; resampled, channels
averaged) row by row inside a ``try``: a row whose audio cannot be decoded, is empty, non-finite or shorter than the
tokenizer's 80 ms minimum is **skipped and reported** (count, row index, path, error) — logged as a warning, listed in
the report and in ``skipped.jsonl`` next to the shard — never a crash, never a silent loss.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import os
import shutil
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from modeling_spirit.constants import SAMPLING_RATE
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer

logger = logging.getLogger(__name__)

METADATA_FILE = "spirit_lm_units.json"
SKIPPED_FILE = "skipped.jsonl"
UNIT_COLUMNS = ("hubert", "pitch", "style")
UNIT_STRING_COLUMN = "unit_string"
DURATION_COLUMN = "audio_duration"
FINGERPRINT_COLUMN = "speech_tokenizer"
ERROR_COLUMN = "encode_error"
FORMAT_VERSION = 1

# Config keys that change between saves/loads without changing what the tokenizer computes.
_VOLATILE_CONFIG_KEYS = {"transformers_version", "auto_map", "architectures", "torch_dtype", "dtype", "name_or_path"}


# ----------------------------------------------------------------------------------------------------------------
# Identity of a speech tokenizer
# ----------------------------------------------------------------------------------------------------------------
def _canonical_config(config) -> dict:
    d = config.to_dict()
    return {k: v for k, v in d.items() if k not in _VOLATILE_CONFIG_KEYS and not k.startswith("_")}


def speech_tokenizer_fingerprint(speech_tokenizer) -> Dict[str, str]:
    """Identity of a :class:`SpiritLMSpeechTokenizer`: hashes of its config and of its weights.

    The weights hash covers every tensor of the state dict (names, shapes, float32 values, in name order), so two
    saves/loads of the same tokenizer agree and any change of weights or computing config gives a different
    ``fingerprint``. Hashing a full-size tokenizer (~0.2 B parameters) takes a second or two.

    Returns:
        `dict`: ``{"fingerprint": "<variant>-<16 hex>", "variant", "config_sha256", "weights_sha256",
        "name_or_path"}``.
    """
    import torch

    cfg_json = json.dumps(_canonical_config(speech_tokenizer.config), sort_keys=True, default=str)
    cfg_hash = hashlib.sha256(cfg_json.encode()).hexdigest()
    h = hashlib.sha256()
    with torch.no_grad():
        for name, tensor in sorted(speech_tokenizer.state_dict().items()):
            t = tensor.detach().to("cpu")
            h.update(name.encode())
            h.update(str(tuple(t.shape)).encode())
            if t.is_floating_point():
                t = t.float()
            h.update(np.ascontiguousarray(t.numpy()).tobytes())
    w_hash = h.hexdigest()
    variant = "expressive" if speech_tokenizer.is_expressive else "base"
    both = hashlib.sha256((cfg_hash + w_hash).encode()).hexdigest()
    return {
        "fingerprint": f"{variant}-{both[:16]}",
        "variant": variant,
        "config_sha256": cfg_hash,
        "weights_sha256": w_hash,
        "name_or_path": str(getattr(speech_tokenizer, "name_or_path", "") or getattr(speech_tokenizer.config, "_name_or_path", "")),
    }


def load_speech_tokenizer(speech_tokenizer, device: Optional[str] = None):
    """A :class:`SpiritLMSpeechTokenizer` from an instance, a speech-tokenizer folder or a Spirit LM folder/Hub id
    (whose ``speech_tokenizer/`` subfolder is used), in eval mode on ``device`` (if given)."""
    if isinstance(speech_tokenizer, (str, os.PathLike)):
        speech_tokenizer = SpiritLMSpeechTokenizer.from_pretrained(os.fspath(speech_tokenizer))
    if not isinstance(speech_tokenizer, SpiritLMSpeechTokenizer):
        raise TypeError(
            f"`speech_tokenizer` must be a SpiritLMSpeechTokenizer or a path to one (or to a Spirit LM folder with "
            f"speech_tokenizer/); got {type(speech_tokenizer).__name__}."
        )
    if device is not None:
        speech_tokenizer = speech_tokenizer.to(device)
    return speech_tokenizer.eval()


def default_device() -> str:
    """``cuda:<LOCAL_RANK>`` when a GPU is present (one process per GPU under torchrun/accelerate), else ``cpu``."""
    import torch

    if torch.cuda.is_available():
        return f"cuda:{int(os.environ.get('LOCAL_RANK', 0)) % torch.cuda.device_count()}"
    return "cpu"


# ----------------------------------------------------------------------------------------------------------------
# Encoding
# ----------------------------------------------------------------------------------------------------------------
def _prepare_audio_column(dataset, audio_column: str):
    """Cast ``audio_column`` to ``Audio(sampling_rate=16000, decode=False)`` (paths/bytes/arrays all accepted)."""
    from datasets import Audio

    if audio_column not in dataset.column_names:
        raise ValueError(
            f"The dataset has no column {audio_column!r}; its columns are {dataset.column_names}. Pass "
            "`audio_column=` (`--audio-column`) naming the column that holds the audio."
        )
    return dataset.cast_column(audio_column, Audio(sampling_rate=SAMPLING_RATE, decode=False))


def _decode_row(value, feature) -> np.ndarray:
    """One ``{"path", "bytes"}`` value → 1-D float32 16 kHz samples with ``datasets``' own decoder; raises on bad audio."""
    if value is None:
        raise ValueError("the audio value is missing (None)")
    if isinstance(value, dict) and value.get("path") is None and value.get("bytes") is None:
        raise ValueError("the audio value has neither a path nor bytes")
    decoded = feature.decode_example(value)
    array = np.asarray(decoded["array"], dtype=np.float32).reshape(-1)
    if array.size == 0:
        raise ValueError("the audio has no samples")
    if not np.isfinite(array).all():
        raise ValueError("the audio contains NaN/inf samples")
    return array


def _row_path(value) -> Optional[str]:
    return value.get("path") if isinstance(value, dict) else None


def _unit_features(dataset, audio_column: str, keep_audio: bool, expressive: bool):
    from datasets import Features, List as DList, Value

    feats = dict(dataset.features)
    if not keep_audio:
        feats.pop(audio_column, None)
    for name in (UNIT_COLUMNS if expressive else ("hubert",)):
        feats[name] = DList(Value("int32"))
    feats[UNIT_STRING_COLUMN] = Value("string")
    feats[DURATION_COLUMN] = Value("float32")
    feats[FINGERPRINT_COLUMN] = Value("string")
    feats[ERROR_COLUMN] = Value("string")
    return Features(feats)


def encode_dataset(
    dataset,
    speech_tokenizer,
    audio_column: str = "audio",
    batch_size: int = 8,
    *,
    keep_audio: bool = False,
    keep_failed: bool = False,
    fast: bool = False,
    device: Optional[str] = None,
    index_offset: int = 0,
    return_report: bool = False,
    desc: Optional[str] = None,
    fingerprint: Optional[Dict[str, str]] = None,
):
    """Add speech-unit columns to a ``datasets.Dataset`` with an audio column.

    Args:
        dataset (`datasets.Dataset`): any dataset whose ``audio_column`` is an ``Audio`` feature, or holds paths,
            ``{"path", "bytes"}`` or ``{"array", "sampling_rate"}`` values (cast to ``Audio``). Audio is resampled to
            16 kHz by ``datasets.Audio(sampling_rate=16000)`` and averaged to mono.
        speech_tokenizer: a :class:`SpiritLMSpeechTokenizer`, or a path / Hub id of one or of a Spirit LM folder.
        audio_column (`str`, defaults to ``"audio"``): the audio column.
        batch_size (`int`, defaults to 8): rows per ``encode_units`` call (``Dataset.map(batched=True)``); the
            tokenizer groups them by length, so results equal one-by-one encoding.
        keep_audio (`bool`, defaults to `False`): keep the audio column (units datasets are ~1000x smaller without).
        keep_failed (`bool`, defaults to `False`): keep skipped rows, with empty units and their ``encode_error``.
        fast (`bool`): bfloat16 autocast in the tokenizer (faster, units may differ from the exact path).
        device (`str`, *optional*): move the tokenizer there (default: leave it where it is).
        index_offset (`int`): added to row indices in the report (the shard's first row in the full dataset).
        return_report (`bool`): also return the report dict.

    Returns:
        The encoded `Dataset` (columns ``hubert`` [, ``pitch``, ``style``], ``unit_string``, ``audio_duration``,
        ``speech_tokenizer``), or ``(dataset, report)`` with ``report = {"num_rows", "num_encoded", "num_skipped",
        "skipped": [{"index", "path", "error"}], "audio_seconds", "wall_seconds", "speech_tokenizer": {...}}``.
    """
    from datasets import Audio, Dataset

    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"`encode_dataset` takes a map-style `datasets.Dataset`; got {type(dataset).__name__}. Load without "
            "`streaming=True` (shard large corpora with `num_shards`/`shard_index` instead)."
        )
    if batch_size < 1:
        raise ValueError(f"`batch_size` must be >= 1; got {batch_size}.")
    tok = load_speech_tokenizer(speech_tokenizer, device=device)
    fp = fingerprint or speech_tokenizer_fingerprint(tok)
    expressive = bool(tok.is_expressive)
    keys = list(UNIT_COLUMNS) if expressive else ["hubert"]
    for col in keys + [UNIT_STRING_COLUMN, DURATION_COLUMN, FINGERPRINT_COLUMN, ERROR_COLUMN]:
        if col in dataset.column_names and col != audio_column:
            raise ValueError(
                f"The dataset already has a {col!r} column (already encoded?). Remove it first "
                f"(`dataset.remove_columns({col!r})`) or encode the original audio dataset."
            )
    prepared = _prepare_audio_column(dataset, audio_column)
    decoder_feature = Audio(sampling_rate=SAMPLING_RATE)
    features = _unit_features(prepared, audio_column, keep_audio, expressive)
    min_samples = int(tok.config.min_wav_chunk)

    def encode_batch(batch: Dict[str, List[Any]]) -> Dict[str, List[Any]]:
        values = batch[audio_column]
        n = len(values)
        arrays: List[Optional[np.ndarray]] = [None] * n
        errors: List[Optional[str]] = [None] * n
        for i, v in enumerate(values):
            try:
                arrays[i] = _decode_row(v, decoder_feature)
                if arrays[i].shape[0] < min_samples:
                    raise ValueError(
                        f"the audio is {arrays[i].shape[0]} samples long, shorter than the tokenizer's minimum "
                        f"{min_samples} ({1000 * min_samples / SAMPLING_RATE:.0f} ms): it has no units"
                    )
            except Exception as e:  # noqa: BLE001 - any unreadable row is reported and skipped
                errors[i] = f"{type(e).__name__}: {e}"
                arrays[i] = None
        ok = [i for i in range(n) if arrays[i] is not None]
        units: Dict[int, Dict[str, List[int]]] = {}
        if ok:
            try:
                for i, u in zip(ok, tok.encode_units([arrays[i] for i in ok], fast=fast)):
                    units[i] = u
            except Exception:  # noqa: BLE001 - isolate the failing row(s)
                for i in ok:
                    try:
                        units[i] = tok.encode_units([arrays[i]], fast=fast)[0]
                    except Exception as e:  # noqa: BLE001
                        errors[i] = f"{type(e).__name__}: {e}"
        out = {k: list(batch[k]) for k in batch if k != audio_column or keep_audio}
        for k in keys:
            out[k] = [units[i][k] if i in units else [] for i in range(n)]
        out[UNIT_STRING_COLUMN] = [tok.units_to_string(units[i]) if i in units else "" for i in range(n)]
        out[DURATION_COLUMN] = [arrays[i].shape[0] / SAMPLING_RATE if arrays[i] is not None else 0.0 for i in range(n)]
        out[FINGERPRINT_COLUMN] = [fp["fingerprint"]] * n
        out[ERROR_COLUMN] = errors
        return out

    t0 = time.perf_counter()
    encoded = prepared.map(
        encode_batch,
        batched=True,
        batch_size=batch_size,
        features=features,
        remove_columns=prepared.column_names,
        desc=desc or "Encoding speech units",
        load_from_cache_file=False,
        new_fingerprint=hashlib.sha256(
            f"{prepared._fingerprint}|{fp['fingerprint']}|{keep_audio}|{fast}|{batch_size}".encode()
        ).hexdigest()[:32],
    )
    wall = time.perf_counter() - t0
    errors = encoded[ERROR_COLUMN]
    failed = [i for i, e in enumerate(errors) if e is not None]
    skipped = []
    if failed:
        paths = prepared.select(failed)[audio_column]
        skipped = [
            {"index": index_offset + i, "path": _row_path(p), "error": errors[i]} for i, p in zip(failed, paths)
        ]
        logger.warning(
            "Skipped %d of %d rows whose audio could not be encoded (first: row %d, %s: %s). See the report / %s.",
            len(failed), len(encoded), skipped[0]["index"], skipped[0]["path"], skipped[0]["error"], SKIPPED_FILE,
        )
        if not keep_failed:
            failed_set = set(failed)
            encoded = encoded.select([i for i in range(len(encoded)) if i not in failed_set])
    if not keep_failed:
        encoded = encoded.remove_columns(ERROR_COLUMN)
    if keep_audio:
        encoded = encoded.cast_column(audio_column, Audio(sampling_rate=SAMPLING_RATE))
    if not return_report:
        return encoded
    durations = encoded[DURATION_COLUMN]
    report = {
        "num_rows": len(errors),
        "num_encoded": len(errors) - len(failed),
        "num_skipped": len(failed),
        "skipped": skipped,
        "audio_seconds": float(sum(durations)),
        "wall_seconds": wall,
        "speech_tokenizer": fp,
    }
    return encoded, report


# ----------------------------------------------------------------------------------------------------------------
# Shards on disk
# ----------------------------------------------------------------------------------------------------------------
def shard_dirname(shard_index: int, num_shards: int) -> str:
    return f"shard-{shard_index:05d}-of-{num_shards:05d}"


def shard_bounds(num_rows: int, num_shards: int, shard_index: int) -> Tuple[int, int]:
    """``[start, end)`` rows of ``Dataset.shard(num_shards, shard_index, contiguous=True)``."""
    div, mod = divmod(num_rows, num_shards)
    start = div * shard_index + min(shard_index, mod)
    return start, start + div + (1 if shard_index < mod else 0)


def empty_shard_message(num_rows: int, num_shards: int, shard_index: int) -> str:
    """The error for a shard with no rows (more shards than rows)."""
    return (
        f"shard index {shard_index} of {num_shards} shards has no rows: the dataset has only {num_rows} row(s), so "
        f"at most {max(num_rows, 1)} shard(s) hold data. Use --num-shards {max(num_rows, 1)} or fewer (or fewer "
        "jobs in the array)."
    )


def read_shard_metadata(shard_dir: str) -> Optional[dict]:
    path = os.path.join(shard_dir, METADATA_FILE)
    if not os.path.isfile(path):
        return None
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def encode_to_disk(
    dataset,
    speech_tokenizer,
    output_dir: str,
    num_shards: int = 1,
    shard_index: int = 0,
    audio_column: str = "audio",
    batch_size: int = 8,
    source: Optional[str] = None,
    overwrite: bool = False,
    **kwargs,
) -> dict:
    """Encode one contiguous shard of ``dataset`` into ``output_dir/shard-IIIII-of-NNNNN/`` (``save_to_disk``).

    Resumable: a shard whose folder already holds a complete ``spirit_lm_units.json`` is never recomputed (its
    metadata is returned with ``"status": "skipped-complete"``), unless ``overwrite``. A complete shard from a
    *different* speech tokenizer is an error (mixing tokenizers in one output folder is refused). The shard is written
    to a temporary folder and renamed when complete, so an interrupted job leaves no half shard behind.

    Returns:
        `dict`: the shard metadata (also written as ``spirit_lm_units.json`` in the shard folder): the tokenizer
        identity, the source, the shard, row counts, skipped rows (also in ``skipped.jsonl``), timing.
    """
    if num_shards < 1 or not 0 <= shard_index < num_shards:
        raise ValueError(
            f"`shard_index` must be in [0, num_shards); got shard_index={shard_index}, num_shards={num_shards}."
        )
    tok = load_speech_tokenizer(speech_tokenizer, device=kwargs.pop("device", None))
    fp = speech_tokenizer_fingerprint(tok)
    shard_dir = os.path.join(output_dir, shard_dirname(shard_index, num_shards))
    meta = read_shard_metadata(shard_dir)
    if meta is not None and meta.get("status") == "complete" and not overwrite:
        theirs = meta["speech_tokenizer"]["fingerprint"]
        if theirs != fp["fingerprint"]:
            raise ValueError(
                f"{shard_dir} was encoded with speech tokenizer {theirs} ({meta['speech_tokenizer'].get('name_or_path')}) "
                f"but this job uses {fp['fingerprint']} ({fp['name_or_path']}). Use another --output-dir, or "
                "--overwrite to re-encode."
            )
        logger.info("Shard %s is complete; not recomputed.", shard_dir)
        return dict(meta, status="skipped-complete")
    start, end = shard_bounds(len(dataset), num_shards, shard_index)
    if start >= end:
        raise ValueError(empty_shard_message(len(dataset), num_shards, shard_index))
    part = dataset.shard(num_shards, shard_index, contiguous=True) if num_shards > 1 else dataset
    encoded, report = encode_dataset(
        part, tok, audio_column=audio_column, batch_size=batch_size, index_offset=start, return_report=True,
        fingerprint=fp, desc=f"Encoding units, shard {shard_index + 1}/{num_shards}", **kwargs,
    )
    tmp_dir = f"{shard_dir}.tmp-{os.getpid()}"
    shutil.rmtree(tmp_dir, ignore_errors=True)
    encoded.save_to_disk(tmp_dir)
    with open(os.path.join(tmp_dir, SKIPPED_FILE), "w", encoding="utf-8") as f:
        for row in report["skipped"]:
            f.write(json.dumps(row) + "\n")
    meta = {
        "format_version": FORMAT_VERSION,
        "status": "complete",
        "speech_tokenizer": fp,
        "source": source,
        "audio_column": audio_column,
        "num_shards": num_shards,
        "shard_index": shard_index,
        "rows": [start, end],
        "num_rows": report["num_rows"],
        "num_encoded": report["num_encoded"],
        "num_skipped": report["num_skipped"],
        "skipped": report["skipped"][:1000],
        "audio_seconds": report["audio_seconds"],
        "wall_seconds": report["wall_seconds"],
        "batch_size": batch_size,
    }
    with open(os.path.join(tmp_dir, METADATA_FILE), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=2)
    if os.path.isdir(shard_dir):
        shutil.rmtree(shard_dir)
    os.replace(tmp_dir, shard_dir)
    return dict(meta, status="complete")


def load_encoded_dataset(output_dir: str, allow_partial: bool = False, expected_speech_tokenizer=None):
    """Concatenate the complete shards of an :func:`encode_to_disk` output folder into one ``Dataset``.

    Raises if shards are missing (naming them) unless ``allow_partial``, if the shards come from different speech
    tokenizers, or (``expected_speech_tokenizer``: a fingerprint string, a tokenizer or a Spirit LM folder) if they do
    not come from the expected one.
    """
    from datasets import concatenate_datasets, load_from_disk

    if not os.path.isdir(output_dir):
        raise FileNotFoundError(f"{output_dir} is not a folder of encoded shards.")
    metas = {}
    for name in sorted(os.listdir(output_dir)):
        meta = read_shard_metadata(os.path.join(output_dir, name))
        if name.startswith("shard-") and ".tmp-" not in name and meta and meta.get("status") == "complete":
            metas[name] = meta
    if not metas:
        raise FileNotFoundError(f"No complete shard (with {METADATA_FILE}) in {output_dir}.")
    totals = {m["num_shards"] for m in metas.values()}
    if len(totals) != 1:
        raise ValueError(f"{output_dir} mixes shardings ({sorted(totals)} shards); re-encode into one folder.")
    n = totals.pop()
    missing = [i for i in range(n) if shard_dirname(i, n) not in metas]
    if missing and not allow_partial:
        raise ValueError(
            f"{output_dir} is missing {len(missing)} of {n} shards (indices {missing[:20]}"
            f"{'...' if len(missing) > 20 else ''}); run those shard indices, or pass allow_partial=True."
        )
    fps = {m["speech_tokenizer"]["fingerprint"] for m in metas.values()}
    if len(fps) != 1:
        raise ValueError(f"The shards in {output_dir} come from different speech tokenizers: {sorted(fps)}.")
    ds = concatenate_datasets([load_from_disk(os.path.join(output_dir, name)) for name in sorted(metas)])
    if expected_speech_tokenizer is not None:
        check_speech_tokenizer(ds, expected_speech_tokenizer)
    return ds


def _expected_fingerprint(expected) -> Tuple[str, str]:
    """``(fingerprint, description)`` of a fingerprint string / dict, a tokenizer, or a tokenizer/Spirit LM path."""
    if isinstance(expected, str) and not os.path.exists(expected) and "-" in expected and len(expected.split("-")[-1]) == 16:
        return expected, expected
    if isinstance(expected, dict):
        return expected["fingerprint"], f"{expected['fingerprint']} ({expected.get('name_or_path', '')})"
    tok = load_speech_tokenizer(expected)
    fp = speech_tokenizer_fingerprint(tok)
    where = os.fspath(expected) if isinstance(expected, (str, os.PathLike)) else fp["name_or_path"]
    return fp["fingerprint"], f"{fp['fingerprint']} (the speech tokenizer of {where})"


def check_speech_tokenizer(dataset, expected) -> str:
    """Refuse a units dataset encoded with another speech tokenizer than ``expected``.

    ``expected`` is a fingerprint (``"base-0123abcd..."``), a :class:`SpiritLMSpeechTokenizer`, or the path of a
    speech tokenizer or of a Spirit LM folder (its ``speech_tokenizer/`` is fingerprinted). The dataset's identity is
    its ``speech_tokenizer`` column. Returns the common fingerprint; raises ``ValueError`` naming both otherwise.
    """
    if FINGERPRINT_COLUMN not in dataset.column_names:
        raise ValueError(
            f"The dataset has no {FINGERPRINT_COLUMN!r} column, so the speech tokenizer that made its units is "
            "unknown. Encode it with `spirit-lm encode-dataset` (or processing.encode_units.encode_dataset)."
        )
    found = set(dataset.unique(FINGERPRINT_COLUMN))
    want, described = _expected_fingerprint(expected)
    if found != {want}:
        raise ValueError(
            f"The dataset's units were made by speech tokenizer(s) {sorted(found)}, but the model expects {described}. "
            "Units from another tokenizer mean nothing to this model: re-encode the audio with the model's speech "
            "tokenizer (`spirit-lm encode-dataset --speech-tokenizer MODEL`)."
        )
    return want


# ----------------------------------------------------------------------------------------------------------------
# Loading sources
# ----------------------------------------------------------------------------------------------------------------
_FILE_BUILDERS = {".parquet": "parquet", ".json": "json", ".jsonl": "json", ".csv": "csv", ".tsv": "csv"}


def load_source_dataset(source: str, config: Optional[str] = None, split: str = "train", audio_column: str = "audio"):
    """Load an audio dataset from a Hub id, a local ``audiofolder`` directory, a ``save_to_disk`` folder, or a
    parquet/json/jsonl/csv file whose ``audio_column`` holds paths (relative paths are taken relative to the file)."""
    from datasets import Audio, load_dataset, load_from_disk

    if os.path.isdir(source):
        if os.path.isfile(os.path.join(source, "state.json")) or os.path.isfile(os.path.join(source, "dataset_dict.json")):
            ds = load_from_disk(source)
            if hasattr(ds, "keys"):  # DatasetDict
                ds = ds[split]
            return ds
        return load_dataset("audiofolder", data_dir=source, split=split)
    ext = os.path.splitext(source)[1].lower()
    if os.path.isfile(source) and ext in _FILE_BUILDERS:
        kwargs = {"delimiter": "\t"} if ext == ".tsv" else {}
        ds = load_dataset(_FILE_BUILDERS[ext], data_files=source, split="train", **kwargs)
        if audio_column in ds.column_names and not isinstance(ds.features[audio_column], Audio):
            base = os.path.dirname(os.path.abspath(source))

            def absolute(row):
                p = row[audio_column]
                if isinstance(p, str) and not os.path.isabs(p) and "://" not in p:
                    row[audio_column] = os.path.join(base, p)
                return row

            ds = ds.map(absolute, desc="Resolving audio paths")
            ds = ds.cast_column(audio_column, Audio(sampling_rate=SAMPLING_RATE))
        return ds
    if os.path.exists(source):
        raise ValueError(
            f"Don't know how to read {source}: pass a directory (audiofolder or save_to_disk), or a "
            f"{'/'.join(sorted(_FILE_BUILDERS))} file with a column of audio paths."
        )
    return load_dataset(source, config, split=split)


def _auto_shards(num_shards: str, shard_index: str) -> Tuple[int, int]:
    """Resolve ``auto``: SLURM array (``SLURM_ARRAY_TASK_ID``/``_COUNT``/``_MIN``), else torchrun/accelerate
    (``RANK``/``WORLD_SIZE``), else one shard."""
    env = os.environ
    if "SLURM_ARRAY_TASK_ID" in env:
        auto_n = int(env.get("SLURM_ARRAY_TASK_COUNT", 1))
        auto_i = int(env["SLURM_ARRAY_TASK_ID"]) - int(env.get("SLURM_ARRAY_TASK_MIN", 0))
    elif "WORLD_SIZE" in env and "RANK" in env:
        auto_n, auto_i = int(env["WORLD_SIZE"]), int(env["RANK"])
    else:
        auto_n, auto_i = 1, 0
    n = auto_n if num_shards == "auto" else int(num_shards)
    i = auto_i if shard_index == "auto" else int(shard_index)
    return n, i


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="spirit-lm encode-dataset",
        description="Encode the audio column of a dataset into Spirit LM speech units (one shard per job).",
    )
    p.add_argument("--dataset", required=True, help="Hub id, audiofolder directory, save_to_disk folder, or a "
                   "parquet/json/jsonl/csv file with audio paths.")
    p.add_argument("--config", default=None, help="Dataset configuration name (Hub datasets).")
    p.add_argument("--split", default="train")
    p.add_argument("--audio-column", default="audio")
    p.add_argument("--speech-tokenizer", required=True,
                   help="Speech tokenizer folder, or a Spirit LM folder/Hub id with speech_tokenizer/.")
    p.add_argument("--output-dir", required=True, help="Folder receiving shard-IIIII-of-NNNNN/ subfolders.")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--num-shards", default="1", help="Number of shards, or 'auto' (SLURM array / WORLD_SIZE).")
    p.add_argument("--shard-index", default="0", help="This job's shard, or 'auto' (SLURM_ARRAY_TASK_ID / RANK).")
    p.add_argument("--all-shards", action="store_true", help="Encode every shard in turn in this process.")
    p.add_argument("--device", default=None, help="Default: cuda:LOCAL_RANK when a GPU is present, else cpu.")
    p.add_argument("--fast", action="store_true", help="bfloat16 autocast (faster; units may differ slightly).")
    p.add_argument("--keep-audio", action="store_true", help="Keep the audio column in the output.")
    p.add_argument("--overwrite", action="store_true", help="Recompute shards that are already complete.")
    p.add_argument("--max-rows", type=int, default=None, help="Only the first N rows (trial runs).")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    num_shards, shard_index = _auto_shards(args.num_shards, args.shard_index)
    if num_shards < 1 or not 0 <= shard_index < num_shards:
        print(f"error: shard index {shard_index} is outside [0, {num_shards}).", file=sys.stderr)
        return 2
    ds = load_source_dataset(args.dataset, args.config, args.split, args.audio_column)
    if args.max_rows is not None:
        ds = ds.select(range(min(args.max_rows, len(ds))))
    indices = range(num_shards) if args.all_shards else [shard_index]
    empty = [i for i in indices if shard_bounds(len(ds), num_shards, i)[0] >= shard_bounds(len(ds), num_shards, i)[1]]
    if empty:
        print(f"error: {empty_shard_message(len(ds), num_shards, empty[0])}", file=sys.stderr)
        return 2
    tok = load_speech_tokenizer(args.speech_tokenizer, device=args.device or default_device())
    for i in indices:
        meta = encode_to_disk(
            ds, tok, args.output_dir, num_shards=num_shards, shard_index=i, audio_column=args.audio_column,
            batch_size=args.batch_size, source=args.dataset, overwrite=args.overwrite, fast=args.fast,
            keep_audio=args.keep_audio,
        )
        print(
            f"shard {i + 1}/{num_shards}: {meta['status']}; {meta['num_encoded']} rows encoded, "
            f"{meta['num_skipped']} skipped, {meta['audio_seconds']:.1f} s of audio -> "
            f"{os.path.join(args.output_dir, shard_dirname(i, num_shards))}"
        )
        for row in meta["skipped"][:10]:
            print(f"  skipped row {row['index']} ({row['path']}): {row['error']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
