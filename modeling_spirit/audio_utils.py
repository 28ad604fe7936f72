# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Audio input handling shared by the speech tokenizer, the processor and the pipeline.

:func:`load_audio` turns every input form the Spirit LM models accept into a 1-D float32 waveform at 16 kHz:

* a path (``str`` / ``os.PathLike``) to any file torchaudio/torchcodec can decode (soundfile is a fallback for
  wav/flac/ogg); files at another rate are resampled with ``torchaudio.functional.resample`` (default sinc/Hann
  parameters, as the original does);
* ``bytes`` holding an encoded audio file;
* a 1-D or 2-D (``(channels, time)``) numpy array or torch tensor: taken to be at 16 kHz unless ``sampling_rate`` is
  given (the original never resamples arrays); with ``sampling_rate`` != 16000 it is resampled;
* a ``datasets``-style dict: ``{"array", "sampling_rate"}`` or ``{"path"}`` / ``{"bytes"}``.

Stereo (any ``(C, T)`` with C > 1) is averaged over channels unless ``channel_id`` picks one (the original averages
with a warning). Integer PCM arrays are scaled to [-1, 1) like ``torchaudio.load(normalize=True)``: int16 / 32768,
int32 / 2**31, uint8 (x - 128) / 128. NaN/inf samples raise.
"""

from __future__ import annotations

import io
import os
import warnings
from typing import Any, Optional, Union

import numpy as np
import torch

from .constants import SAMPLING_RATE

try:  # optional: decoding and resampling
    import torchaudio
except ImportError:  # pragma: no cover - exercised only without the extra
    torchaudio = None

EXPECTED_SAMPLING_RATE = SAMPLING_RATE  # backwards-compatible name

_INT_SCALES = {
    torch.int16: 32768.0,
    torch.int32: 2147483648.0,
    torch.int64: 2147483648.0,  # int64 PCM does not exist; treated as int32-ranged samples.
}

AudioLike = Union[str, os.PathLike, bytes, np.ndarray, torch.Tensor, dict]


def _require_torchaudio(what: str):
    if torchaudio is None:
        raise ImportError(
            f"{what} needs `torchaudio` (and `torchcodec` for decoding files); install them with "
            "`pip install 'spirit-lm-hub[audio]'` or `pip install torchaudio torchcodec`."
        )
    return torchaudio


def _decode_file(source: Union[str, bytes], name: str) -> tuple[torch.Tensor, int]:
    """Decode a path or in-memory file into ``(waveform (C, T) float32, sampling_rate)``."""
    errors = []
    if torchaudio is not None:
        try:
            uri = io.BytesIO(source) if isinstance(source, bytes) else source
            wav, sr = torchaudio.load(uri)
            return wav.to(torch.float32), int(sr)
        except Exception as e:  # torchcodec/ffmpeg missing or undecodable: try the fallback, then explain
            errors.append(f"torchaudio: {type(e).__name__}: {e}")
    try:
        import soundfile as sf

        data, sr = sf.read(io.BytesIO(source) if isinstance(source, bytes) else source, dtype="float32", always_2d=True)
        return torch.from_numpy(np.ascontiguousarray(data.T)), int(sr)
    except ImportError:
        errors.append("soundfile: not installed")
    except Exception as e:
        errors.append(f"soundfile: {type(e).__name__}: {e}")
    raise ValueError(
        f"Could not decode {name} as audio. Spirit LM accepts any file format torchaudio/torchcodec (ffmpeg) can "
        "read, or wav/flac/ogg through soundfile; check that the file is an audio file and not empty or corrupt. "
        "Decoder errors: " + " | ".join(errors)
    )


def _to_float_tensor(array: Any) -> torch.Tensor:
    if isinstance(array, np.ndarray):
        if array.dtype == np.uint8:
            return (torch.from_numpy(array.astype(np.float32)) - 128.0) / 128.0
        if array.dtype.kind not in "iuf":
            raise TypeError(
                f"Audio arrays must hold numbers; got a numpy array of dtype {array.dtype}. Pass float samples in "
                "[-1, 1] (or int16/int32 PCM)."
            )
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    elif isinstance(array, torch.Tensor):
        tensor = array.detach()
    elif isinstance(array, (list, tuple)):
        tensor = torch.as_tensor(np.asarray(array, dtype=np.float32))
    else:
        raise TypeError(
            f"Unsupported audio input of type {type(array).__name__}. Pass a file path, bytes, a 1-D numpy array or "
            "torch tensor of 16 kHz samples, or a dict {'array': ..., 'sampling_rate': ...}."
        )
    if tensor.dtype == torch.uint8:
        return (tensor.to(torch.float32) - 128.0) / 128.0
    if tensor.dtype in _INT_SCALES:
        return tensor.to(torch.float32) / _INT_SCALES[tensor.dtype]
    if tensor.dtype == torch.bool or tensor.is_complex():
        raise TypeError(f"Audio samples must be real numbers; got dtype {tensor.dtype}.")
    return tensor.to(torch.float32)


def _to_mono(wav: torch.Tensor, channel_id: Optional[int], name: str) -> torch.Tensor:
    """(C, T) / (T,) / (1, T) / (T, 1)... -> (T,), original rules: squeeze, average channels or pick ``channel_id``."""
    wav = wav.squeeze()
    if wav.dim() == 0:
        wav = wav.reshape(1)
    if wav.dim() == 1:
        if channel_id is not None and channel_id != 0:
            raise ValueError(f"`channel_id={channel_id}` was given but {name} is mono (1 channel); use channel_id=0 or None.")
        return wav
    if wav.dim() != 2:
        raise ValueError(
            f"{name} has shape {tuple(wav.shape)} after squeezing; expected 1-D `(time,)` mono or 2-D "
            "`(channels, time)` audio. Pass one utterance at a time (or a list of utterances for a batch)."
        )
    if wav.shape[0] > wav.shape[1]:
        raise ValueError(
            f"{name} has shape {tuple(wav.shape)}: expected `(channels, time)` with few channels; it looks like "
            "`(time, channels)`, transpose it first (e.g. `array.T`)."
        )
    if channel_id is not None:
        if not 0 <= channel_id < wav.shape[0]:
            raise ValueError(f"`channel_id={channel_id}` is out of range for {name} with {wav.shape[0]} channels.")
        return wav[channel_id]
    warnings.warn(
        f"{name} has {wav.shape[0]} channels; averaging them to mono (pass `channel_id=` to pick one).", stacklevel=3
    )
    return wav.mean(dim=0)


def resample(wav: torch.Tensor, orig_rate: int, target_rate: int = EXPECTED_SAMPLING_RATE) -> torch.Tensor:
    """Resample with ``torchaudio.functional.resample`` default (sinc/Hann) parameters, like the original."""
    if int(orig_rate) == int(target_rate):
        return wav
    ta = _require_torchaudio("Resampling audio")
    return ta.functional.resample(wav, int(orig_rate), int(target_rate))


def load_audio(
    audio: AudioLike,
    sampling_rate: Optional[int] = None,
    channel_id: Optional[int] = None,
    target_rate: int = EXPECTED_SAMPLING_RATE,
) -> torch.Tensor:
    """Load any supported audio input as a mono float32 waveform at ``target_rate``.

    Args:
        audio (`str`, `os.PathLike`, `bytes`, `np.ndarray`, `torch.Tensor` or `dict`):
            A path or in-memory encoded file (any sampling rate: resampled), a 1-D/2-D array or tensor of samples,
            or a ``datasets`` audio dict (``{"array", "sampling_rate"}``, or ``{"path"}`` / ``{"bytes"}``).
        sampling_rate (`int`, *optional*):
            Rate of an array/tensor input. ``None`` means it is already at ``target_rate`` (the original's
            assumption). Ignored (must match if given) for files, which carry their own rate.
        channel_id (`int`, *optional*):
            For multi-channel audio, the channel to keep; ``None`` averages the channels (with a warning).
        target_rate (`int`, *optional*, defaults to 16000):
            Output sampling rate.

    Returns:
        `torch.FloatTensor` of shape ``(time,)``, on CPU, float32. May be empty (callers define what an empty or
        too-short waveform yields).

    Raises:
        `ValueError` for undecodable files, bad shapes, NaN/inf samples; `TypeError` for unsupported types;
        `FileNotFoundError` for missing paths.
    """
    name = "the audio input"
    wav: Optional[torch.Tensor] = None
    if isinstance(audio, dict):
        keys = set(audio)
        if "array" in keys:
            if sampling_rate is not None and "sampling_rate" in audio and int(audio["sampling_rate"]) != int(sampling_rate):
                raise ValueError(
                    f"The audio dict says sampling_rate={audio['sampling_rate']} but `sampling_rate={sampling_rate}` "
                    "was also passed; pass only one."
                )
            rate = audio.get("sampling_rate", sampling_rate)
            return load_audio(audio["array"], sampling_rate=rate, channel_id=channel_id, target_rate=target_rate)
        if audio.get("bytes") is not None:
            return load_audio(bytes(audio["bytes"]), channel_id=channel_id, target_rate=target_rate)
        if audio.get("path") is not None:
            return load_audio(audio["path"], channel_id=channel_id, target_rate=target_rate)
        raise ValueError(
            f"An audio dict must have an 'array' (with 'sampling_rate'), a 'path' or 'bytes' key; got keys "
            f"{sorted(keys)}."
        )
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        name = f"the audio file {path!r}"
        if not os.path.isfile(path):
            raise FileNotFoundError(f"Audio file not found: {path!r}.")
        wav, file_rate = _decode_file(path, name)
        if sampling_rate is not None and int(sampling_rate) != file_rate:
            raise ValueError(
                f"`sampling_rate={sampling_rate}` was passed with {name}, whose header says {file_rate} Hz; files are "
                "resampled automatically, drop `sampling_rate=`."
            )
        sampling_rate = file_rate
    elif isinstance(audio, (bytes, bytearray, memoryview)):
        name = "the in-memory audio file"
        wav, file_rate = _decode_file(bytes(audio), name)
        sampling_rate = file_rate
    else:
        wav = _to_float_tensor(audio)
        name = f"the audio {type(audio).__name__} of shape {tuple(wav.shape)}"
    wav = _to_mono(wav, channel_id, name)
    if not torch.isfinite(wav).all():
        n_bad = int((~torch.isfinite(wav)).sum())
        raise ValueError(
            f"{name} contains {n_bad} NaN/inf samples; audio must be finite. Clean it first, e.g. "
            "`np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)`."
        )
    if sampling_rate is not None:
        wav = resample(wav.cpu(), int(sampling_rate), target_rate)
    return wav.contiguous()


def check_sampling_rate(sampling_rate: Optional[int], expected: int = EXPECTED_SAMPLING_RATE) -> None:
    """Raise if raw samples come at a rate the model cannot take directly."""
    if sampling_rate is not None and int(sampling_rate) != expected:
        raise ValueError(
            f"`sampling_rate` is {sampling_rate} but the model expects {expected} Hz input_values; resample first "
            f"(e.g. `modeling_spirit.audio_utils.load_audio(array, sampling_rate={sampling_rate})` or "
            f"`torchaudio.functional.resample(wav, {sampling_rate}, {expected})`)."
        )


__all__ = ["EXPECTED_SAMPLING_RATE", "load_audio", "resample", "check_sampling_rate"]
