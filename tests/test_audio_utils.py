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
