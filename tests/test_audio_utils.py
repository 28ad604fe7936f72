# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
import io

import numpy as np
import pytest
import soundfile as sf
import torch

from modeling_spirit.audio_utils import check_sampling_rate, load_audio


def _wav_bytes(x, sr, fmt="WAV"):
    buf = io.BytesIO()
    sf.write(buf, x, sr, format=fmt)
    return buf.getvalue()


def test_array_tensor_and_dict():
    x = np.linspace(-0.5, 0.5, 1600, dtype=np.float32)
    assert torch.equal(load_audio(x), torch.from_numpy(x))
    assert torch.equal(load_audio(torch.from_numpy(x)), torch.from_numpy(x))
    assert torch.equal(load_audio({"array": x, "sampling_rate": 16000}), torch.from_numpy(x))
    y = load_audio({"array": np.zeros(8000, np.float32), "sampling_rate": 8000})
    assert y.shape == (16000,)


def test_int_pcm_scaled():
    x = np.array([0, 16384, -32768], dtype=np.int16)
    assert torch.allclose(load_audio(x), torch.tensor([0.0, 0.5, -1.0]))
    assert torch.allclose(load_audio(np.array([2**30], dtype=np.int32)), torch.tensor([0.5]))


def test_stereo_average_and_channel(recwarn):
    x = np.stack([np.ones(100, np.float32), np.zeros(100, np.float32)])
    with pytest.warns(UserWarning, match="averaging"):
        assert torch.allclose(load_audio(x), torch.full((100,), 0.5))
    assert torch.equal(load_audio(x, channel_id=1), torch.zeros(100))
    with pytest.raises(ValueError, match="out of range"):
        load_audio(x, channel_id=2)
    with pytest.raises(ValueError, match="transpose"):
        load_audio(x.T)


def test_bad_inputs():
    with pytest.raises(ValueError, match="NaN/inf"):
        load_audio(np.array([0.0, np.nan], np.float32))
    with pytest.raises(ValueError, match="expected 1-D"):
        load_audio(np.zeros((2, 3, 100), np.float32))
    with pytest.raises(TypeError, match="Unsupported audio input"):
        load_audio(3.5)
    with pytest.raises(FileNotFoundError):
        load_audio("/nonexistent/file.wav")
    with pytest.raises(ValueError, match="'array'"):
        load_audio({"foo": 1})
    with pytest.raises(ValueError, match="resample first"):
        check_sampling_rate(8000)


def test_files_and_bytes(tmp_path):
    x = (0.1 * np.sin(np.arange(4410) / 10)).astype(np.float32)
    p = tmp_path / "a.wav"
    sf.write(p, x, 44100)
    y = load_audio(p)
    assert y.shape[0] == 1600 and y.dtype == torch.float32
    assert torch.allclose(load_audio(str(p)), y)
    assert torch.allclose(load_audio(_wav_bytes(x, 44100)), y)
    assert torch.allclose(load_audio({"path": str(p)}), y)
    assert torch.allclose(load_audio(_wav_bytes(x, 16000, "FLAC")), torch.from_numpy(x), atol=1e-4)
    bad = tmp_path / "not_audio.wav"
    bad.write_text("this is not audio")
    with pytest.raises(ValueError, match="Could not decode"):
        load_audio(bad)


# -- issue 20: every family of bad audio gets the package's own error naming what came in ---------------------------
from modeling_spirit.audio_utils import (  # noqa: E402
    AudioFileNotFoundError,
    AudioInputError,
    AudioInputTypeError,
)


@pytest.mark.parametrize("rate", [0, -16000, 16000.5, "16000", True, 10**9, 10, float("nan")])
def test_bad_sampling_rates(rate):
    """Issue 20 #9: 0/negative rates gave torchaudio's message, True was 1 Hz (1.6M samples), 1e9 gave 1 sample."""
    x = np.zeros(1600, np.float32)
    with pytest.raises(AudioInputError, match=r"sampling_rate` is"):
        load_audio(x, sampling_rate=rate)
    with pytest.raises(AudioInputError, match=r"'sampling_rate' is"):
        load_audio({"array": x, "sampling_rate": rate})


def test_integral_float_rate_accepted():
    assert load_audio(np.zeros(800, np.float32), sampling_rate=8000.0).shape == (1600,)


def test_directory_and_truncated_files(tmp_path):
    """Issue 20 #9: a directory was 'not found'; a WAV cut short decoded silently as shorter audio."""
    with pytest.raises(AudioInputError, match="is a directory"):
        load_audio(tmp_path)
    with pytest.raises(AudioFileNotFoundError):
        load_audio(tmp_path / "missing.wav")
    raw = _wav_bytes(np.zeros(16000, np.float32), 16000)
    cut = tmp_path / "cut.wav"
    cut.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(AudioInputError, match=r"cut short: its WAV header declares \d+ bytes of audio but the file"):
        load_audio(cut)
    with pytest.raises(AudioInputError, match="cut short"):
        load_audio(raw[: len(raw) // 2])
    with pytest.raises(AudioInputError, match="Could not decode"):
        load_audio(raw[:30])
    assert load_audio(raw).shape == (16000,)  # the complete file still loads


@pytest.mark.parametrize(
    "audio, match",
    [
        (np.zeros((0, 2), np.float32), "no channel"),  # was: "contains 2 NaN/inf samples"
        (np.array(0.5), "0-d"),  # was: one sample
        (np.full(10, 1e30, np.float32), "at most 32768"),  # finite but absurd: was accepted
        (np.zeros(10, np.uint16), "dtype uint16"),  # was: unscaled 0..65535
        (np.zeros(10, np.int8), "dtype int8"),
        (np.zeros(10, np.complex64), "complex64"),
        ([[0.0], [0.1, 0.2]], "one shape"),  # ragged list: was numpy's message
        (["a.wav"], "must hold numbers"),  # strings in a list: was "could not convert string to float"
        ([True, False], "must hold numbers"),  # bools in a list: were samples 1.0/0.0
        ({"array": "a.wav", "sampling_rate": 16000}, "'array' must hold samples"),  # was read as a path
        (torch.zeros(10, dtype=torch.bool), "dtype torch.bool"),
        ({1, 2}, "Unsupported audio input of type set"),
        (None, "NoneType"),
    ],
)
def test_bad_audio_families(audio, match):
    with pytest.raises(AudioInputError, match=match):
        load_audio(audio)


def test_error_types_keep_builtin_bases():
    assert issubclass(AudioInputError, ValueError) and issubclass(AudioInputTypeError, TypeError)
    assert issubclass(AudioFileNotFoundError, FileNotFoundError)
    with pytest.raises(TypeError):
        load_audio(3.5)
    with pytest.raises(AudioInputTypeError, match="channel_id"):
        load_audio(np.zeros(10, np.float32), channel_id="0")


def test_documented_results():
    """Empty arrays give an empty waveform; (channels, 0) too; (1, T)/(T, 1) are mono; lists of numbers are floats."""
    assert load_audio(np.zeros(0, np.float32)).shape == (0,)
    assert load_audio(np.zeros((2, 0), np.float32)).shape == (0,)
    assert load_audio(np.ones((1, 5), np.float32)).shape == (5,) and load_audio(np.ones((5, 1), np.float32)).shape == (5,)
    assert torch.equal(load_audio([0, 1, 2]), torch.tensor([0.0, 1.0, 2.0]))
    assert load_audio(np.full(4, 2.0, np.float32)).max() == 2.0  # out of [-1, 1] but finite PCM-scale: as given


def test_coprime_rates_refused_in_bounded_memory():
    """Found by the fuzz suite: a rate sharing a tiny factor with 16 kHz (7919 Hz, 767993 Hz) made torchaudio build a
    filter of (16000/g) x (rate/g) taps (0.5 GB, 49 GB: killed for memory). Now a clear error; common rates work."""
    x = np.zeros(100, np.float32)
    for rate in (7919, 47999, 767993):
        with pytest.raises(AudioInputError, match=rf"Resampling from {rate} Hz to 16000 Hz is not supported"):
            load_audio(x, sampling_rate=rate)
    for rate in (8000, 11025, 22050, 44100, 48000, 96000, 192000):
        assert load_audio(x, sampling_rate=rate).numel() > 0
