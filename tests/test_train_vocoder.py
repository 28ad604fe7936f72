# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""processing.train_vocoder: losses fall, resuming equals an uninterrupted run, the result loads and decodes.

The data is synthetic and deterministic: 8 unit ids, each rendered as a tone (640 samples per unit, continuous
phase), speaker "b" an octave up; unit ``u`` always repeats ``1 + u % 3`` times, so durations are learnable.
"""

import json
import os

import numpy as np
import pytest
import torch

from processing.train_vocoder import (
    HOP_LENGTH,
    TENSOR_STATE_FILE,
    VocoderTrainingError,
    build_vocoder_config,
    dedup_units,
    main,
    train_vocoder,
)

SR = 16000
TINY = dict(upsample_initial_channel=32, embedding_dim=16, resblock_kernel_sizes=[3],
            resblock_dilation_sizes=[[1, 3, 5]])
FAST = dict(batch_size=4, segment_frames=6, lr=3e-3, num_threads=2, progress=False, save_every=0)


def _render(units, speaker):
    freqs = (150.0 + 60.0 * np.asarray(units)) * (2.0 if speaker == "b" else 1.0)
    inst = np.repeat(freqs, HOP_LENGTH) / SR
    return (0.3 * np.sin(2 * np.pi * np.cumsum(inst))).astype(np.float32)


def _dataset(n_rows=6, expressive=False, seed=0):
    from datasets import Audio, Dataset

    rng = np.random.RandomState(seed)
    rows = {"audio": [], "hubert": [], "speaker": []}
    if expressive:
        rows.update(pitch=[], style=[])
    for i in range(n_rows):
        units = []
        while len(units) < 40:
            u = int(rng.randint(8))
            if units and units[-1] == u:
                continue
            units.extend([u] * (1 + u % 3))
        speaker = "ab"[i % 2]
        rows["hubert"].append(units)
        rows["speaker"].append(speaker)
        rows["audio"].append({"array": _render(units, speaker), "sampling_rate": SR})
        if expressive:
            rows["pitch"].append(rng.randint(64, size=(len(units) + 1) // 2).tolist())
            rows["style"].append(rng.randint(100, size=max(1, len(units) // 25)).tolist())
    return Dataset.from_dict(rows).cast_column("audio", Audio(sampling_rate=SR))


@pytest.fixture(scope="module")
def dataset():
    return _dataset()


def test_dedup_units():
    u, d = dedup_units([5, 5, 5, 9, 9, 5])
    assert u.tolist() == [5, 9, 5] and d.tolist() == [3, 2, 1]
    u, d = dedup_units([])
    assert u.size == 0 and d.size == 0


def test_config_streams_and_speakers():
    cfg = build_vocoder_config("expressive", ["a", "b"], TINY)
    assert cfg.model_in_dim == 16 * 4 and cfg.speakers == ["a", "b"] and cfg.default_speaker == 0
    assert cfg.num_f0_tokens == 64 and cfg.f0_upsample_ratio == 2 and cfg.style_upsample_ratio == 25
    assert cfg.hop_length == HOP_LENGTH and cfg.dur_predictor_params["encoder_embed_dim"] == 16
    with pytest.raises(VocoderTrainingError, match="640"):
        build_vocoder_config("base", [], {"upsample_rates": [8, 5, 4, 2], "upsample_kernel_sizes": [16, 11, 8, 4]})


def test_losses_fall_and_model_decodes(dataset, tmp_path):
    from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan

    out = str(tmp_path / "voc")
    rep = train_vocoder(dataset, out, config_kwargs=TINY, steps=30, **FAST)
    assert rep["step"] == 30 and len(rep["history"]) == 30 and rep["data"]["kept"] == 6
    assert rep["last_mel_loss"] < 0.8 * rep["first_mel_loss"], rep
    assert rep["last_dur_loss"] < 0.5 * rep["first_dur_loss"], rep
    assert rep["steps_per_second"] > 0 and rep["audio_seconds_per_second"] > 0
    with open(os.path.join(out, "train_vocoder.json")) as f:
        assert json.load(f)["step"] == 30
    assert not any(n.endswith((".pt", ".bin", ".pth")) for _, _, fs in os.walk(out) for n in fs)

    voc = SpiritLMHifiGan.from_pretrained(out).eval()
    assert voc.config.speakers == ["a", "b"] and voc.config.num_f0_tokens == 0
    wav = voc.decode([1, 2, 3, 4], speaker_id="b")  # deduplicated units, durations predicted
    d = voc.predict_durations(torch.tensor([[1, 2, 3, 4]]))[0]
    assert wav.shape == (int(d.sum()) * HOP_LENGTH,) and np.isfinite(wav).all()
    raw = voc.decode({"hubert": [1, 1, 2, 2, 2]}, speaker_id=0, dur_pred=False)
    assert raw.shape == (5 * HOP_LENGTH,)


def test_bf16_autocast_trains_float32_weights(dataset, tmp_path):
    from safetensors.torch import load_file

    out = str(tmp_path / "bf16")
    rep = train_vocoder(dataset, out, config_kwargs=TINY, steps=30, bf16=True, **FAST)
    assert rep["settings"]["bf16"] is True
    # measured: mel 2.42 -> 1.98 (float32: 2.39 -> 1.52): bfloat16's rounding of the waveform costs most at this
    # 32-channel size (the toy's 256-channel vocoder: final mel-L1 0.657 against 0.636 in float32)
    assert rep["last_mel_loss"] < 0.9 * rep["first_mel_loss"], rep
    assert rep["last_dur_loss"] < 0.5 * rep["first_dur_loss"], rep
    assert {v.dtype for v in load_file(os.path.join(out, "model.safetensors")).values()} == {torch.float32}
    # autocast really ran: same seed, init and batches as a float32 run, other losses from the first step on
    fp32 = train_vocoder(dataset, str(tmp_path / "fp32"), config_kwargs=TINY, steps=2, **FAST)
    assert fp32["settings"]["bf16"] is False
    assert rep["history"][0][1] != fp32["history"][0][1]
    assert rep["history"][0][1] == pytest.approx(fp32["history"][0][1], rel=0.05)


def test_resume_equals_uninterrupted_run(dataset, tmp_path):
    from safetensors.torch import load_file

    full, split = str(tmp_path / "full"), str(tmp_path / "split")
    train_vocoder(dataset, full, config_kwargs=TINY, steps=6, **FAST)
    first = train_vocoder(dataset, split, config_kwargs=TINY, steps=3, **FAST)
    assert first["step"] == 3 and os.path.isfile(os.path.join(split, "checkpoint", TENSOR_STATE_FILE))
    second = train_vocoder(dataset, split, config_kwargs=TINY, steps=6, **FAST)
    assert second["start_step"] == 3 and second["step"] == 6 and len(second["history"]) == 6
    a, b = load_file(os.path.join(full, "model.safetensors")), load_file(os.path.join(split, "model.safetensors"))
    assert a.keys() == b.keys()
    for k in a:
        torch.testing.assert_close(a[k], b[k], rtol=1e-5, atol=1e-6, msg=k)
    with open(os.path.join(full, "train_vocoder.json")) as f:
        assert json.load(f)["history"] == second["history"]
    # nothing left to do: loads, saves, no steps
    again = train_vocoder(dataset, split, config_kwargs=TINY, steps=6, **FAST)
    assert again["start_step"] == 6 and again["steps_per_second"] is None
    with pytest.raises(VocoderTrainingError, match="another vocoder config"):
        train_vocoder(dataset, split, config_kwargs=dict(TINY, embedding_dim=8), steps=7, **FAST)


def test_expressive_and_cli(tmp_path):
    from datasets import DatasetDict

    from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan

    ds = _dataset(n_rows=2, expressive=True)
    path = str(tmp_path / "data")
    DatasetDict({"train": ds}).save_to_disk(path)
    out = str(tmp_path / "expr")
    rc = main(["--dataset", path, "--output-dir", out, "--steps", "2", "--batch-size", "2", "--segment-frames", "4",
               "--config-json", json.dumps(TINY), "--no-progress", "--num-threads", "2"])
    assert rc == 0
    voc = SpiritLMHifiGan.from_pretrained(out)
    assert voc.config.num_f0_tokens == 64 and voc.config.num_style_tokens == 100
    wav = voc.decode({"hubert": [1, 2, 3], "pitch": [4, 5, 6], "style": [7, 7, 7]}, speaker_id="a")
    assert wav.size > 0 and np.isfinite(wav).all()
    assert main(["--dataset", path, "--output-dir", out, "--segment-frames", "500", "--no-progress"]) == 2
