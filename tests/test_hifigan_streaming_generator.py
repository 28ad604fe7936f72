# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Tests of the stateful streaming generator (issue 21): ``SpiritLMHifiGan.generator_stream`` computes each output
sample once from chunks of any size, equals ``generate_waveform`` up to float rounding with exactly its length, keeps
bounded state, and is what ``decode`` uses beyond ``decode_window_frames``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from modeling_spirit.convert_hifigan import convert_hifigan
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
from modeling_spirit.streaming_generator_spirit_hifigan import SpiritLMHifiGanGeneratorStream
from modeling_spirit.units import units_to_string
from standin_hifigan import build_hifigan_standin

pytestmark = [pytest.mark.filterwarnings("ignore:.*weight_norm.*is deprecated:FutureWarning"),
              pytest.mark.usefixtures("one_torch_thread")]
TOL = 1e-5  # max abs difference to the one pass (float rounding of differently shaped convolutions)


def _load(root, variant, tiny=True, seed=0):
    build_hifigan_standin(root / "ckpt", variant, tiny=tiny, seed=seed)
    convert_hifigan(root / "ckpt", variant, root / "out")
    return SpiritLMHifiGan.from_pretrained(root / "out").eval()


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    return {v: _load(tmp_path_factory.mktemp(f"gs_{v}"), v, seed=i) for i, v in enumerate(("base", "expressive"))}


def _streamed(model, feats, chunks):
    """Push ``feats`` in pieces of the sizes in ``chunks`` (cycled), then end; returns the concatenation."""
    stream = model.generator_stream()
    outs, a, i = [], 0, 0
    T = feats.shape[-1]
    while a < T:
        c = chunks[i % len(chunks)]
        outs.append(stream.push(feats[:, :, a : a + c]))
        a, i = a + c, i + 1
    outs.append(stream.end())
    return torch.cat(outs, dim=-1), stream


def _feats(model, T, seed, batch=1):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, model.config.model_in_dim, T, generator=g)


@pytest.mark.parametrize("variant", ["base", "expressive"])
def test_stream_equals_one_pass(variant, models):
    """Chunks of 1-3 frames, lengths that are not a multiple of the chunk, uneven chunk sequences: the concatenated
    output has exactly the one-pass length and equals it up to float rounding."""
    model = models[variant]
    cases = [(1, [1]), (2, [1]), (3, [2]), (7, [3]), (7, [100]), (26, [5]), (41, [1]), (41, [2]), (41, [3]),
             (41, [16]), (41, [1, 4, 2, 9])]
    for T, chunks in cases:
        feats = _feats(model, T, T)
        with torch.no_grad():
            ref = model.generate_waveform(feats)
        got, stream = _streamed(model, feats, chunks)
        assert got.shape == ref.shape == (1, T * model.hop_length), (T, chunks)
        assert stream.samples_out == T * model.hop_length and stream.frames_in == T
        err = float((got - ref).abs().max())
        assert err <= TOL, f"T={T} chunks={chunks}: max abs diff {err:.3g}"


def test_stream_batch_and_empty_pushes(models):
    """Several items at once (no padding: every item has all the frames) and empty pushes are fine."""
    model = models["base"]
    feats = _feats(model, 19, 5, batch=3)
    with torch.no_grad():
        ref = model.generate_waveform(feats)
    stream = model.generator_stream()
    outs = [stream.push(feats[:, :, :0])]
    for a in range(0, 19, 4):
        outs += [stream.push(feats[:, :, a : a + 4]), stream.push(feats[:, :, :0])]
    outs.append(stream.end())
    assert all(o.shape[0] == 3 for o in outs)
    got = torch.cat(outs, -1)
    assert got.shape == ref.shape and float((got - ref).abs().max()) <= TOL


def test_stream_is_incremental_with_bounded_state(models):
    """Output comes out while frames arrive (lag at most `receptive_field_frames`), and the state held between
    pushes does not grow with the number of frames pushed (the layers' context only, no recomputation)."""
    model = models["expressive"]
    R, hop = model.receptive_field_frames, model.hop_length
    feats = _feats(model, 120, 1)
    stream = model.generator_stream()
    sizes = []
    for a in range(0, 120, 3):
        stream.push(feats[:, :, a : a + 3])
        assert stream.samples_out >= (stream.frames_in - R) * hop
        assert stream.samples_out <= stream.frames_in * hop
        sizes.append(stream.state_numel())
    assert max(sizes[20:]) == min(sizes[20:]) > 0  # steady state: constant, whatever the length
    # far below one window of activations: the stage-1 tensor of one chunk alone has C0/2 * 5 * 3 elements per frame
    assert max(sizes) < 40 * model.config.upsample_initial_channel * hop // 16
    stream.end()
    with pytest.raises(RuntimeError, match="ended"):
        stream.push(feats[:, :, :1])
    with pytest.raises(RuntimeError, match="already ended"):
        stream.end()


def test_stream_bad_features(models):
    model = models["base"]
    stream = model.generator_stream()
    with pytest.raises(ValueError, match=r"must have shape \(batch_size, "):
        stream.push(torch.zeros(1, model.config.model_in_dim + 1, 4))
    stream.push(torch.zeros(2, model.config.model_in_dim, 4))
    with pytest.raises(ValueError, match="batch size 2"):
        stream.push(torch.zeros(1, model.config.model_in_dim, 4))


def _raw_units(n, seed, expressive):
    rng = np.random.default_rng(seed)
    units = {"hubert": rng.integers(0, 501, size=n).tolist()}
    if expressive:
        units["pitch"] = rng.integers(0, 64, size=(n + 1) // 2).tolist()
        units["style"] = rng.integers(0, 100, size=max(1, round(n / 25))).tolist()
    return units


@pytest.mark.parametrize("variant", ["base", "expressive"])
def test_decode_streams_long_inputs(variant, models, monkeypatch):
    """Beyond `decode_window_frames`, `decode` feeds the streaming generator `decode_chunk_frames` at a time (no
    one-pass `generate_waveform`, no windows with recomputed context) and equals the one pass up to rounding;
    an input of exactly `decode_window_frames` frames still runs the one pass, bitwise unchanged; bfloat16 runs."""
    model = models[variant]
    raw = _raw_units(37, 3, variant == "expressive")
    string = units_to_string(raw)
    one_pass = model.decode(raw, dur_pred=False, speaker_id=1)
    pushed, passes = [], []
    push, gen = SpiritLMHifiGanGeneratorStream.push, SpiritLMHifiGan.generate_waveform

    def spy_push(self, features):
        pushed.append(features.shape[-1])
        return push(self, features)

    def spy_gen(self, features, frame_lengths=None):
        passes.append(features.shape[-1])
        return gen(self, features, frame_lengths)

    monkeypatch.setattr(SpiritLMHifiGanGeneratorStream, "push", spy_push)
    monkeypatch.setattr(SpiritLMHifiGan, "generate_waveform", spy_gen)
    monkeypatch.setattr(model, "decode_window_frames", 37)
    same = model.decode(raw, dur_pred=False, speaker_id=1)  # 37 frames: not longer than the threshold
    assert passes == [37] and pushed == [] and np.array_equal(same, one_pass)

    monkeypatch.setattr(model, "decode_window_frames", 20)
    monkeypatch.setattr(model, "decode_chunk_frames", 8)
    passes.clear()
    streamed = model.decode(raw, dur_pred=False, speaker_id=1)
    assert passes == [] and pushed == [8, 8, 8, 8, 5]
    assert streamed.dtype == np.float32 and streamed.shape == one_pass.shape
    assert float(np.abs(streamed - one_pass).max()) <= TOL

    # decode_batch: the long item streamed, the short one in one pass
    pushed.clear()
    short = _raw_units(12, 4, variant == "expressive")
    batch = model.decode_batch([raw, short], dur_pred=False, speaker_id=1)
    assert pushed == [8, 8, 8, 8, 5] and passes == [12]
    assert float(np.abs(batch[0] - one_pass).max()) <= TOL
    # with duration prediction (a unit string) and in bfloat16
    monkeypatch.setattr(model, "decode_window_frames", 1000)
    ref = model.decode(string, speaker_id=2)
    monkeypatch.setattr(model, "decode_window_frames", 20)
    assert float(np.abs(model.decode(string, speaker_id=2) - ref).max()) <= TOL
    pushed.clear()
    low = model.decode(string, speaker_id=2, dtype=torch.bfloat16)
    assert len(pushed) > 2 and low.dtype == np.float32 and low.shape == ref.shape and np.isfinite(low).all()
    assert np.abs(low - ref).max() < 0.25 * np.abs(ref).max()


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["base", "expressive"])
def test_full_size_stream_equals_one_pass(variant, tmp_path):
    """The full-size (512-channel) stand-in: chunks of 1-3 frames and of the default size, lengths not a multiple
    of the chunk."""
    model = _load(tmp_path, variant, tiny=False, seed=3)
    for T in (11, 131):
        feats = _feats(model, T, T)
        with torch.no_grad():
            ref = model.generate_waveform(feats)
        for chunks in ([1, 2, 3], [40], [model.decode_chunk_frames]):
            got, _ = _streamed(model, feats, chunks)
            assert got.shape == ref.shape
            err = float((got - ref).abs().max())
            assert err <= TOL, f"T={T} chunks={chunks}: max abs diff {err:.3g}"
