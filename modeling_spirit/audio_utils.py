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
int32 / 2**31, uint8 (x - 128) / 128.

What bad audio input gets (every error is an :class:`AudioInputError`, a ``ValueError``; wrong types raise
:class:`AudioInputTypeError`, also a ``TypeError``; a missing path :class:`AudioFileNotFoundError`, also a
``FileNotFoundError``; each message names what came in and what is allowed):

* types: anything but a path, bytes, numpy array, tensor, list/tuple of numbers or an audio dict (numbers, ``None``,
  sets, generators, strings inside lists, ragged lists...) → error; a ``str`` inside an audio dict's ``"array"`` →
  error (it is not taken as a path);
* dtypes: float16/32/64 (and bfloat16 tensors), int16, int32, int64 (int32-ranged), uint8 are accepted; bool,
  complex, strings, objects, structured, datetime, int8, uint16/32/64 → error; lists of numbers are taken as float
  samples (no PCM scaling, as before);
* values: NaN/inf → error; finite samples with a peak above 32768 (beyond any PCM scale: not audio) → error; samples
  up to that are taken as given (the original does not rescale float audio);
* shapes: 0-d arrays → error; ``(time,)``, ``(1, time)``, ``(time, 1)`` and ``(channels, time)`` with fewer channels
  than samples are accepted; ``(time, channels)`` → error (transpose it); 3-D and more → error; an array with no
  channel (``(0, n)``) → error; an empty ``(0,)`` or ``(channels, 0)`` array → an empty waveform (documented result;
  callers define what it yields, e.g. no units);
* rates: ``sampling_rate`` must be an integer (an integral float such as ``16000.0`` is accepted) between
  ``MIN_SAMPLING_RATE`` (1000) and ``MAX_SAMPLING_RATE`` (768000) Hz; bools, strings, fractions, 0, negatives and
  absurd rates → error; so are rates that share too small a factor with 16000 Hz for resampling in bounded memory
  (e.g. a prime rate such as 7919 Hz: torchaudio's filter would need gigabytes; ``MAX_RESAMPLE_KERNEL``);
* files: a missing path → ``AudioFileNotFoundError``; a directory → error; an undecodable or empty file → error; a
  WAV file cut short (its header declares more audio than the file holds) → error naming both sizes.
"""

from __future__ import annotations

import io
import math
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

MIN_SAMPLING_RATE = 1000  # Hz; below this no speech survives
MAX_SAMPLING_RATE = 768000  # Hz; the highest rate audio formats use
MAX_ABS_SAMPLE = 32768.0  # beyond any PCM scale: such values are not audio samples
MAX_RESAMPLE_KERNEL = 2**25  # taps of torchaudio's resampling filter (about 128 MB of float32)
_ALLOWED_DTYPES = "float16/32/64 (or bfloat16), int16, int32, int64 (int32-ranged) or uint8"


class AudioInputError(ValueError):
    """An audio input Spirit LM cannot use; the message names what came in, what is allowed and how to fix it."""


class AudioInputTypeError(AudioInputError, TypeError):
    """An audio input of a type (or dtype) Spirit LM does not take."""


class AudioFileNotFoundError(AudioInputError, FileNotFoundError):
    """An audio path that does not exist."""


def check_rate_value(rate: Any, what: str = "`sampling_rate`") -> int:
    """A sampling rate as an ``int``, or :class:`AudioInputError` naming the value and the allowed range."""
    if isinstance(rate, torch.Tensor) and rate.numel() == 1:
        rate = rate.item()
    if isinstance(rate, np.generic):
        rate = rate.item()
    if isinstance(rate, bool) or not isinstance(rate, (int, float)):
        raise AudioInputTypeError(
            f"{what} is {rate!r} (type {type(rate).__name__}); it must be an integer number of Hz, e.g. 16000."
        )
    if isinstance(rate, float) and not (np.isfinite(rate) and rate == int(rate)):
        raise AudioInputError(f"{what} is {rate!r}; it must be a whole number of Hz, e.g. 16000.")
    rate = int(rate)
    if not MIN_SAMPLING_RATE <= rate <= MAX_SAMPLING_RATE:
        raise AudioInputError(
            f"{what} is {rate} Hz; allowed: {MIN_SAMPLING_RATE}..{MAX_SAMPLING_RATE} Hz. Pass the rate the audio "
            "was recorded at (Spirit LM works at 16000 Hz and resamples other rates)."
        )
    return rate


def _wav_shortfall(read, size: int) -> Optional[tuple]:
    """For a RIFF/WAVE file, ``(declared, present)`` data bytes when the header declares more audio than the file
    holds (a file cut short); ``None`` otherwise (not a WAV, complete, or a streaming header with unknown size)."""
    head = read(0, 12)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos = 12
    while pos + 8 <= size:
        chunk = read(pos, 8)
        n = int.from_bytes(chunk[4:8], "little")
        if chunk[:4] == b"data":
            present = size - (pos + 8)
            if n in (0, 0xFFFFFFFF):  # streaming writers: size unknown
                return None
            return (n, present) if n > present else None
        pos += 8 + n + (n & 1)
    return None


def _check_complete(source: Union[str, bytes], name: str) -> None:
    if isinstance(source, bytes):
        found = _wav_shortfall(lambda p, n: source[p : p + n], len(source))
    else:
        with open(source, "rb") as f:

            def read(p, n):
                f.seek(p)
                return f.read(n)

            found = _wav_shortfall(read, os.path.getsize(source))
    if found is not None:
        declared, present = found
        raise AudioInputError(
            f"{name} is cut short: its WAV header declares {declared} bytes of audio but the file holds {present}. "
            "The file was truncated (an interrupted copy or download); get the complete file."
        )


def _require_torchaudio(what: str):
    if torchaudio is None:
        raise ImportError(
            f"{what} needs `torchaudio` (and `torchcodec` for decoding files); install them with "
            "`pip install 'spirit-lm-hub[audio]'` or `pip install torchaudio torchcodec`."
        )
    return torchaudio


def _decode_file(source: Union[str, bytes], name: str) -> tuple[torch.Tensor, int]:
    """Decode a path or in-memory file into ``(waveform (C, T) float32, sampling_rate)``."""
    _check_complete(source, name)
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
    raise AudioInputError(
        f"Could not decode {name} as audio. Spirit LM accepts any file format torchaudio/torchcodec (ffmpeg) can "
        "read, or wav/flac/ogg through soundfile; check that the file is an audio file and not empty or corrupt. "
        "Decoder errors: " + " | ".join(errors)
    )


def _to_float_tensor(array: Any) -> torch.Tensor:
    if isinstance(array, (list, tuple)):
        try:
            values = np.asarray(array)
        except (ValueError, TypeError) as e:
            raise AudioInputTypeError(
                f"Could not read an audio {type(array).__name__} as samples ({e}); a list of samples must hold "
                "numbers of one shape (a flat list, or one equal-length list per channel)."
            ) from None
        if values.dtype.kind not in "iuf" or values.size == 0 and values.ndim != 1:
            raise AudioInputTypeError(
                f"An audio {type(array).__name__} must hold numbers (float samples); got elements of dtype "
                f"{values.dtype} and shape {values.shape}. Pass float samples, or a path / bytes of an audio file."
            )
        return torch.from_numpy(values.astype(np.float32))
    if isinstance(array, np.ndarray):
        if array.ndim == 0:
            raise AudioInputError(
                f"Got a 0-d numpy array (one number, {array!r}); audio is a 1-D `(time,)` or 2-D `(channels, time)` "
                "array of samples."
            )
        if array.dtype == np.uint8:
            return (torch.from_numpy(array.astype(np.float32)) - 128.0) / 128.0
        if array.dtype.kind not in "iuf" or array.dtype in (np.int8, np.uint16, np.uint32, np.uint64):
            raise AudioInputTypeError(
                f"Audio arrays must hold numbers of a supported sample type; got a numpy array of dtype {array.dtype}. "
                f"Allowed: {_ALLOWED_DTYPES}. Pass float samples in [-1, 1] (or int16/int32 PCM)."
            )
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    elif isinstance(array, torch.Tensor):
        tensor = array.detach().cpu()
    else:
        raise AudioInputTypeError(
            f"Unsupported audio input of type {type(array).__name__}. Pass a file path, bytes, a 1-D numpy array or "
            "torch tensor of 16 kHz samples, or a dict {'array': ..., 'sampling_rate': ...}."
        )
    if tensor.dim() == 0:
        raise AudioInputError(
            f"Got a 0-d {type(array).__name__} (one number, {tensor.item()!r}); audio is a 1-D `(time,)` or 2-D "
            "`(channels, time)` array of samples."
        )
    if tensor.dtype == torch.uint8:
        return (tensor.to(torch.float32) - 128.0) / 128.0
    if tensor.dtype in _INT_SCALES:
        return tensor.to(torch.float32) / _INT_SCALES[tensor.dtype]
    if not tensor.is_floating_point():
        raise AudioInputTypeError(
            f"Audio samples must be real numbers of a supported type; got dtype {tensor.dtype}. Allowed: "
            f"{_ALLOWED_DTYPES}."
        )
    return tensor.to(torch.float32)


def _to_mono(wav: torch.Tensor, channel_id: Optional[int], name: str) -> torch.Tensor:
    """(C, T) / (T,) / (1, T) / (T, 1)... -> (T,), original rules: squeeze, average channels or pick ``channel_id``."""
    if wav.dim() == 2 and wav.shape[0] == 0:
        raise AudioInputError(
            f"{name} has no channel (shape {tuple(wav.shape)}); expected `(time,)` or `(channels, time)` with at least "
            "one channel. If it is `(time, channels)`, transpose it first (e.g. `array.T`)."
        )
    if wav.numel() == 0 and wav.dim() <= 2:
        return wav.reshape(0)  # documented: an empty waveform
    wav = wav.squeeze()
    if wav.dim() == 0:
        wav = wav.reshape(1)
    if wav.dim() == 1:
        if channel_id is not None and channel_id != 0:
            raise AudioInputError(f"`channel_id={channel_id}` was given but {name} is mono (1 channel); use channel_id=0 or None.")
        return wav
    if wav.dim() != 2:
        raise AudioInputError(
            f"{name} has shape {tuple(wav.shape)} after squeezing; expected 1-D `(time,)` mono or 2-D "
            "`(channels, time)` audio. Pass one utterance at a time (or a list of utterances for a batch)."
        )
    if wav.shape[0] > wav.shape[1]:
        raise AudioInputError(
            f"{name} has shape {tuple(wav.shape)}: expected `(channels, time)` with few channels; it looks like "
            "`(time, channels)`, transpose it first (e.g. `array.T`)."
        )
    if channel_id is not None:
        if not 0 <= channel_id < wav.shape[0]:
            raise AudioInputError(f"`channel_id={channel_id}` is out of range for {name} with {wav.shape[0]} channels.")
        return wav[channel_id]
    warnings.warn(
        f"{name} has {wav.shape[0]} channels; averaging them to mono (pass `channel_id=` to pick one).", stacklevel=3
    )
    return wav.mean(dim=0)


def resample(wav: torch.Tensor, orig_rate: int, target_rate: int = EXPECTED_SAMPLING_RATE) -> torch.Tensor:
    """Resample with ``torchaudio.functional.resample`` default (sinc/Hann) parameters, like the original."""
    if int(orig_rate) == int(target_rate):
        return wav
    g = math.gcd(int(orig_rate), int(target_rate))
    if (int(orig_rate) // g) * (int(target_rate) // g) > MAX_RESAMPLE_KERNEL:
        # torchaudio's kernel has (target/g) x (orig/g) taps: coprime rates would need gigabytes.
        raise AudioInputError(
            f"Resampling from {orig_rate} Hz to {target_rate} Hz is not supported (sampling_rate={orig_rate}): the two "
            f"rates share only a factor "
            f"of {g}, so the resampling filter would need {(int(orig_rate) // g) * (int(target_rate) // g):,} taps "
            f"(allowed: {MAX_RESAMPLE_KERNEL:,}). Common rates (8000, 11025, 16000, 22050, 24000, 32000, 44100, "
            "48000, 96000 Hz...) work; resample this audio to one of them first."
        )
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
    target_rate = check_rate_value(target_rate, "`target_rate`")
    if sampling_rate is not None:
        sampling_rate = check_rate_value(sampling_rate)
    if channel_id is not None and (isinstance(channel_id, bool) or not isinstance(channel_id, (int, np.integer))):
        raise AudioInputTypeError(f"`channel_id` is {channel_id!r}; it must be an int channel index or None.")
    if isinstance(audio, dict):
        keys = set(audio)
        if "array" in keys:
            if isinstance(audio["array"], (str, bytes, bytearray, os.PathLike, dict)):
                raise AudioInputTypeError(
                    f"An audio dict's 'array' must hold samples (numpy array, tensor or list of numbers); got "
                    f"{type(audio['array']).__name__}. Put a file under 'path' or 'bytes' instead."
                )
            if audio.get("sampling_rate") is not None:
                check_rate_value(audio["sampling_rate"], "the audio dict's 'sampling_rate'")
            if (sampling_rate is not None and audio.get("sampling_rate") is not None
                    and int(audio["sampling_rate"]) != int(sampling_rate)):
                raise AudioInputError(
                    f"The audio dict says sampling_rate={audio['sampling_rate']} but `sampling_rate={sampling_rate}` "
                    "was also passed; pass only one."
                )
            rate = audio.get("sampling_rate")
            rate = sampling_rate if rate is None else rate
            return load_audio(audio["array"], sampling_rate=rate, channel_id=channel_id, target_rate=target_rate)
        if audio.get("bytes") is not None:
            if not isinstance(audio["bytes"], (bytes, bytearray, memoryview)):
                raise AudioInputTypeError(
                    f"An audio dict's 'bytes' must hold an encoded audio file (bytes); got "
                    f"{type(audio['bytes']).__name__}. Put samples under 'array' (with 'sampling_rate') instead."
                )
            return load_audio(bytes(audio["bytes"]), channel_id=channel_id, target_rate=target_rate)
        if audio.get("path") is not None:
            if not isinstance(audio["path"], (str, os.PathLike)):
                raise AudioInputTypeError(
                    f"An audio dict's 'path' must be a file path (str or os.PathLike); got "
                    f"{type(audio['path']).__name__}."
                )
            return load_audio(audio["path"], channel_id=channel_id, target_rate=target_rate)
        raise AudioInputError(
            f"An audio dict must have an 'array' (with 'sampling_rate'), a 'path' or 'bytes' key; got keys "
            f"{sorted(keys)}."
        )
    if isinstance(audio, (str, os.PathLike)):
        path = os.fspath(audio)
        name = f"the audio file {path!r}"
        if os.path.isdir(path):
            raise AudioInputError(
                f"{name} is a directory; give one audio file (wav, flac, ogg, mp3...). For many files, pass a list "
                "of paths (a batch)."
            )
        if not os.path.isfile(path):
            raise AudioFileNotFoundError(f"Audio file not found: {path!r}.")
        wav, file_rate = _decode_file(path, name)
        if sampling_rate is not None and int(sampling_rate) != file_rate:
            raise AudioInputError(
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
        raise AudioInputError(
            f"{name} contains {n_bad} NaN/inf samples; audio must be finite. Clean it first, e.g. "
            "`np.nan_to_num(array, nan=0.0, posinf=0.0, neginf=0.0)`."
        )
    peak = float(wav.abs().max()) if wav.numel() else 0.0
    if peak > MAX_ABS_SAMPLE:
        raise AudioInputError(
            f"{name} has samples up to {peak:.3g} in magnitude; allowed: at most {MAX_ABS_SAMPLE:.0f} (float audio is "
            "in [-1, 1], int16 PCM in [-32768, 32767]). These are not audio samples; scale them to [-1, 1]."
        )
    if sampling_rate is not None and wav.numel():  # an empty waveform stays empty at any rate
        wav = resample(wav.cpu(), int(sampling_rate), target_rate)
    return wav.contiguous()


def check_sampling_rate(sampling_rate: Optional[int], expected: int = EXPECTED_SAMPLING_RATE) -> None:
    """Raise if raw samples come at a rate the model cannot take directly."""
    if sampling_rate is not None and int(sampling_rate) != expected:
        raise AudioInputError(
            f"`sampling_rate` is {sampling_rate} but the model expects {expected} Hz input_values; resample first "
            f"(e.g. `modeling_spirit.audio_utils.load_audio(array, sampling_rate={sampling_rate})` or "
            f"`torchaudio.functional.resample(wav, {sampling_rate}, {expected})`)."
        )


__all__ = [
    "EXPECTED_SAMPLING_RATE",
    "MIN_SAMPLING_RATE",
    "MAX_SAMPLING_RATE",
    "MAX_ABS_SAMPLE",
    "MAX_RESAMPLE_KERNEL",
    "AudioInputError",
    "AudioInputTypeError",
    "AudioFileNotFoundError",
    "check_rate_value",
    "load_audio",
    "resample",
    "check_sampling_rate",
]
