# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Speech tokenizer: parity with an independent spec re-computation on seeded stand-in checkpoints, batching,
conversion, save/load, remote code, bad inputs."""

import json
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from modeling_spirit.convert_speech_tokenizer import CheckpointFormatError, convert_speech_tokenizer
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer, fill_blanks
from modeling_spirit.units import units_to_string
from spec_reference_speech_tokenizer import ReferenceSpeechTokenizer
from standin_speech_tokenizer import build_speech_tokenizer_standins

# Lengths: < 1280 (dropped), exactly 1280, odd and even HuBERT frame counts, a partial second of style frames.
EDGE_LENGTHS = [1279, 1280, 1280 + 640, 1280 + 1280, 16000, 23999, 40000]


def speechlike(n, seed):
    """A voiced, amplitude-modulated harmonic signal with pauses and a little noise (FCPE finds F0 in it)."""
    g = torch.Generator().manual_seed(seed)
    t = torch.arange(n) / 16000
    f0 = 120 + 60 * torch.sin(2 * math.pi * 0.7 * t + seed)
    phase = 2 * math.pi * torch.cumsum(f0, 0) / 16000
    env = (torch.sin(2 * math.pi * 3.1 * t + seed) > -0.3).float() * (0.5 + 0.5 * torch.sin(2 * math.pi * 5.3 * t))
    x = env * (torch.sin(phase) + 0.5 * torch.sin(2 * phase) + 0.3 * torch.sin(3 * phase)) * 0.3
    return (x + 0.02 * torch.randn(n, generator=g)).float()


def _calibrate_blank_bias(st_dir, waves, fraction=0.35):
    """Rewrite the stand-in quantizer's blank bias so that ~`fraction` of frames are blank (runs included)."""
    ref = ReferenceSpeechTokenizer(st_dir, "base")
    path = st_dir / "hubert_25hz" / "L11_quantizer_500.pt"
    ckpt = torch.load(path, weights_only=True)
    q = ckpt["model_weight"]
    margins = []
    with torch.inference_mode():
        for w in waves:
            f = ref.hubert_features(w)[0]
            z = F.leaky_relu(F.linear(f, q["0.weight"], q["0.bias"]), 0.01)
            z = F.leaky_relu(F.linear(z, q["2.weight"], q["2.bias"]), 0.01)
            z = F.linear(z, q["4.weight"], q["4.bias"])
            margins.append(z[:, :500].max(-1).values - z[:, 500])
    m = torch.cat(margins)
    q["4.bias"][500] += float(torch.quantile(m, fraction)) + 1e-4
    torch.save(ckpt, path)


@pytest.fixture(scope="module")
def expressive_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("st")
    st_dir = build_speech_tokenizer_standins(root / "ckpt", "expressive", tiny=True, seed=0)
    _calibrate_blank_bias(st_dir, [speechlike(40000, 1), speechlike(23999, 2)])
    out = convert_speech_tokenizer(root / "ckpt", "expressive", root / "out")
    model = SpiritLMSpeechTokenizer.from_pretrained(root / "out").eval()
    ref = ReferenceSpeechTokenizer(st_dir, "expressive")
    return root, out, model, ref


@pytest.fixture(scope="module")
def base_setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("stb")
    build_speech_tokenizer_standins(root / "ckpt", "base", tiny=True, seed=3)
    convert_speech_tokenizer(root / "ckpt", "base", root / "out")
    return root, SpiritLMSpeechTokenizer.from_pretrained(root / "out").eval()


# ------------------------------------------------------------------------------------------------ blank filling
def _roll_fill(code, blank):
    it = 0
    while (code == blank).any() and it < 10000:
        code = torch.where(code == blank, torch.roll(code, 1), code)
        it += 1
    return code


def test_fill_blanks_matches_roll_loop():
    g = torch.Generator().manual_seed(0)
    cases = [torch.tensor([5, 5, 5]), torch.tensor([5, 1, 5, 5, 2, 5]), torch.tensor([1, 2, 3]), torch.tensor([5])]
    for _ in range(200):
        n = int(torch.randint(1, 40, (1,), generator=g))
        cases.append(torch.where(torch.rand(n, generator=g) < 0.5, 5, torch.randint(0, 5, (n,), generator=g)))
    for c in cases:
        assert torch.equal(fill_blanks(c, 5), _roll_fill(c.clone(), 5)), c


# ------------------------------------------------------------------------------------------------ parity
def test_expressive_units_equal_spec_recomputation(expressive_setup):
    _, _, model, ref = expressive_setup
    saw_blank_first = saw_blank_last = False
    for i, n in enumerate(EDGE_LENGTHS):
        w = speechlike(n, i)
        got = model.encode_units(w)
        exp = ref.encode_units(w)
        assert got == exp, n
        if n >= 1280:
            assert len(got["hubert"]) == len(ref.hubert_codes(w))
            assert len(got["pitch"]) == (n // 80 + 1) // 16
            raw = ref.hubert_codes(w, return_raw=True)[1]
            saw_blank_first |= bool(raw[0] == 500)
            saw_blank_last |= bool(raw[-1] == 500)
        else:
            assert got == {"hubert": [], "pitch": [], "style": []}
        assert model.encode_string(w) == units_to_string(exp)
    # odd and even HuBERT frame counts were both exercised
    counts = [len(model.encode_units(speechlike(n, 0))["hubert"]) for n in (1920, 2560)]
    assert counts == [2, 3]


def test_blanks_exercised(expressive_setup):
    _, _, _, ref = expressive_setup
    raw = torch.cat([ref.hubert_codes(speechlike(n, s), return_raw=True)[1] for n, s in ((40000, 1), (23999, 2))])
    frac = float((raw == 500).float().mean())
    assert 0.1 < frac < 0.9, frac


def test_long_audio_chunked_and_stereo(expressive_setup):
    _, _, model, ref = expressive_setup
    # Shrink the chunk size (config field) so the > 100 s rule is exercised quickly: 3 chunks + a dropped tail.
    model.config.max_wav_chunk = 16000
    ref_chunk = 16000
    try:
        w = speechlike(16000 * 2 + 9000 + 1000, 7)[: 16000 * 2 + 9000]  # chunks 16000, 16000, 9000
        w = torch.cat([w, speechlike(1000, 8)])  # a 4th chunk: 1000 samples < 1280 -> dropped
        got = model.encode_units(w)
        exp = {"hubert": [], "pitch": [], "style": []}
        for s in range(0, w.shape[0], ref_chunk):
            c = w[s : s + ref_chunk]
            if c.shape[0] < 1280:
                continue
            exp["hubert"] += ref.hubert_codes(c).tolist()
            exp["pitch"] += ref.vq_codes(*ref.f0(c)).tolist()
            exp["style"] += ref.style_codes(c).tolist()
        assert got == exp
    finally:
        model.config.max_wav_chunk = 1_600_000
    stereo = torch.stack([speechlike(8000, 1), speechlike(8000, 2)])
    with pytest.warns(UserWarning, match="averaging"):
        assert model.encode_units(stereo) == ref.encode_units(stereo.mean(0))
    assert model.encode_units(stereo, channel_id=1) == ref.encode_units(stereo[1])


def test_real_chunk_size_over_100s(base_setup):
    """> 100 s with the real 1.6 M-sample chunking (base variant, tiny model: fast)."""
    _, model = base_setup
    w = torch.cat([speechlike(1_600_000, 1), speechlike(2000, 2)])
    units = model.encode_units(w)["hubert"]
    first = model.encode_units(w[:1_600_000])["hubert"]
    second = model.encode_units(w[1_600_000:])["hubert"]
    assert len(first) == 2499 and len(second) == 3 and units == first + second


def test_batch_equals_per_item(expressive_setup):
    _, _, model, _ = expressive_setup
    waves = [speechlike(n, i) for i, n in enumerate([40000, 1279, 1920, 23999, 16000, 1280])]
    per = [model.encode_units(w) for w in waves]
    assert model.encode_units(waves) == per
    assert model.encode_string(waves) == [units_to_string(u) for u in per]
    # forward() on a padded batch with an attention mask
    L = max(w.shape[0] for w in waves)
    iv = torch.zeros(len(waves), L)
    am = torch.zeros(len(waves), L, dtype=torch.long)
    for b, w in enumerate(waves):
        iv[b, : w.shape[0]] = w
        iv[b, w.shape[0] :] = 0.7  # garbage in the padding must not leak
        am[b, : w.shape[0]] = 1
    out = model(iv, attention_mask=am)
    for b, u in enumerate(per):
        for key in ("hubert", "pitch", "style"):
            n = int(getattr(out, f"{key}_lengths")[b])
            assert getattr(out, f"{key}_units")[b, :n].tolist() == u[key]


def test_batching_strategies_equal_per_item(expressive_setup, monkeypatch):
    """CPU: each chunk's convs run alone (no padded conv batch) and the chunks form one group; the accelerator
    strategy (length-sorted groups with at most 25% padding, one zero-padded conv batch per group), forced here on
    the CPU, gives the same units too."""
    import modeling_spirit.modeling_spirit_speech_tokenizer as mst

    _, _, model, _ = expressive_setup
    waves = [speechlike(n, i) for i, n in enumerate([23999, 1920, 40000, 16000, 2560, 16000])]
    per = [model.encode_units(w) for w in waves]
    batch_sizes = []
    real = mst._conv_features

    def spy(feature_encoder, ws):
        batch_sizes.append(len(ws))
        return real(feature_encoder, ws)

    monkeypatch.setattr(mst, "_conv_features", spy)
    assert len(model._groups(waves)) == 1
    assert model.encode_units(waves) == per
    assert set(batch_sizes) == {1}  # HuBERT and the style model: one chunk per conv call
    batch_sizes.clear()
    monkeypatch.setattr(mst, "pad_batched_convs", lambda device: True)
    groups = model._groups(waves)
    assert len(groups) > 1 and sorted(i for g in groups for i in g) == list(range(len(waves)))
    assert model.encode_units(waves) == per
    assert max(batch_sizes) > 1


def test_base_variant_and_input_forms(base_setup, tmp_path):
    root, model = base_setup
    assert not model.is_expressive
    w = speechlike(20000, 3)
    units = model.encode_units(w)
    assert set(units) == {"hubert"} and len(units["hubert"]) == 31
    assert model.encode_units(w.numpy()) == units
    assert model.encode_units({"array": w.numpy(), "sampling_rate": 16000}) == units
    assert model.encode_units((w * 32767).round().to(torch.int16).numpy())["hubert"] is not None
    import soundfile as sf

    sf.write(tmp_path / "a.wav", w.numpy(), 16000, subtype="FLOAT")
    assert model.encode_units(str(tmp_path / "a.wav")) == units
    sf.write(tmp_path / "b.flac", w.numpy(), 16000)
    assert len(model.encode_units(tmp_path / "b.flac")["hubert"]) == 31
    x8 = torch.from_numpy(np.interp(np.arange(10000) * 2.0, np.arange(20000), w.numpy()).astype(np.float32))
    sf.write(tmp_path / "c.wav", x8.numpy(), 8000, subtype="FLOAT")
    assert len(model.encode_units(tmp_path / "c.wav")["hubert"]) == 31  # resampled to 16 kHz
    assert model.encode_string(w) == units_to_string(units)


def test_bad_inputs(base_setup, tmp_path):
    _, model = base_setup
    assert model.encode_units(torch.zeros(0)) == {"hubert": []}
    assert model.encode_units(torch.zeros(1279)) == {"hubert": []}
    assert model.encode_string(torch.zeros(100)) == ""
    with pytest.raises(ValueError, match="NaN/inf"):
        model.encode_units(torch.tensor([0.0, float("inf")] * 1000))
    with pytest.raises(ValueError, match="resample first"):
        model.encode_units(np.zeros(16000, np.float32), sampling_rate=8000)
    with pytest.raises(ValueError, match="expected"):
        model.encode_units(torch.zeros(2, 2, 16000))
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"definitely not audio")
    with pytest.raises(ValueError, match="Could not decode"):
        model.encode_units(bad)
    with pytest.raises(ValueError, match="NaN/inf"):
        model(torch.full((1, 2000), float("nan")))


# ------------------------------------------------------------------------------------------------ conversion
def test_converter_roundtrip_and_subfolder(expressive_setup):
    root, out, model, _ = expressive_setup
    assert (out / "model.safetensors").is_file() and not list(out.glob("*.bin"))
    report = json.loads((out / "conversion_report.json").read_text())
    assert "label_embs_concat" in report["dropped_keys"]
    m2 = SpiritLMSpeechTokenizer.from_pretrained(out)  # the folder itself
    for (k, v), (k2, v2) in zip(model.state_dict().items(), m2.state_dict().items()):
        assert k == k2 and torch.equal(v, v2)
    m2.save_pretrained(root / "resaved")
    m3 = SpiritLMSpeechTokenizer.from_pretrained(root / "resaved")
    w = speechlike(9000, 5)
    assert m3.encode_units(w) == model.encode_units(w)


def test_converter_fails_loudly(tmp_path):
    st = build_speech_tokenizer_standins(tmp_path / "ckpt", "base", tiny=True, seed=1)
    path = st / "hubert_25hz" / "mhubert_base_25hz.pt"
    ckpt = torch.load(path, weights_only=True)
    ckpt["model_weight"].pop("encoder.layers.3.fc1.weight")
    torch.save(ckpt, path)
    with pytest.raises(CheckpointFormatError, match="encoder.layers.3.feed_forward.intermediate_dense.weight"):
        convert_speech_tokenizer(tmp_path / "ckpt", "base", tmp_path / "out")
    ckpt["model_weight"]["encoder.layers.3.fc1.weight"] = torch.zeros(128, 64)
    ckpt["model_weight"]["encoder.extra.weight"] = torch.zeros(1)
    torch.save(ckpt, path)
    with pytest.raises(CheckpointFormatError, match="encoder.extra.weight"):
        convert_speech_tokenizer(tmp_path / "ckpt", "base", tmp_path / "out")
    with pytest.raises(FileNotFoundError, match="vqvae_f0_quantizer"):
        ckpt["model_weight"].pop("encoder.extra.weight")
        torch.save(ckpt, path)
        convert_speech_tokenizer(tmp_path / "ckpt", "expressive", tmp_path / "out")
    with pytest.raises(ValueError, match="variant"):
        convert_speech_tokenizer(tmp_path / "ckpt", "large", tmp_path / "out")


def test_norm_f0_features_variant(tmp_path):
    build_speech_tokenizer_standins(tmp_path / "ckpt", "expressive", tiny=True, seed=2, f0_features="norm_f0_interp,vuv")
    out = convert_speech_tokenizer(tmp_path / "ckpt", "expressive", tmp_path / "out")
    model = SpiritLMSpeechTokenizer.from_pretrained(tmp_path / "out")
    assert model.config.f0_features == "norm_f0_interp,vuv"
    ref = ReferenceSpeechTokenizer(out.parent.parent / "ckpt" / "speech_tokenizer", "expressive")
    w = speechlike(30000, 4)
    f0, vuv = ref.f0(w)
    assert model.pitch_units_from_f0(f0, vuv).tolist() == ref.vq_codes(f0, vuv).tolist()
    # no voiced frame at all: defined result (all-zero f0/vuv), not torchfcpe's IndexError
    silence_units = model.encode_units(torch.zeros(32000))
    assert len(silence_units["pitch"]) == (32000 // 80 + 1) // 16


def test_remote_code_fresh_process(expressive_setup, tmp_path):
    _, out, model, _ = expressive_setup
    w = speechlike(12000, 9)
    expected = model.encode_units(w)
    np.save(tmp_path / "w.npy", w.numpy())
    from remote_code import run_without_package

    script = f"""
import json, sys, numpy as np
from transformers import AutoModel
m = AutoModel.from_pretrained({str(out)!r}, trust_remote_code=True)
assert type(m).__name__ == 'SpiritLMSpeechTokenizer', type(m)
assert 'modeling_spirit' not in sys.modules
print(json.dumps(m.encode_units(np.load({str(tmp_path / 'w.npy')!r}))))
"""
    res = run_without_package(script, tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert json.loads(res.stdout.strip().splitlines()[-1]) == expected


def test_golden_frame_counts(librispeech_flac, expressive_setup):
    """Real-weights golden file: 146 160 samples -> 228 HuBERT, 114 pitch, 10 style units (counts only: stand-in
    weights of the right architecture)."""
    _, _, model, _ = expressive_setup
    units = model.encode_units(str(librispeech_flac))
    assert {k: len(v) for k, v in units.items()} == {"hubert": 228, "pitch": 114, "style": 10}


def test_decode_delegates_to_the_vocoder_saved_beside_it(tmp_path):
    """`SpiritLMSpeechTokenizer.decode(units_or_string, speaker_id=2, dur_pred=True)` as the original's users call it."""
    from modeling_spirit import SpiritLMHifiGan, load_component
    from recipes.tiny.models import build_tiny_spirit_lm

    folder = build_tiny_spirit_lm(str(tmp_path / "tiny"), variant="expressive")
    vocoder = SpiritLMHifiGan.from_pretrained(folder).eval()
    wav = speechlike(16000, 3).numpy()
    for st in (SpiritLMSpeechTokenizer.from_pretrained(folder),  # the Spirit LM folder
               SpiritLMSpeechTokenizer.from_pretrained(f"{folder}/speech_tokenizer"),  # its subfolder
               load_component(SpiritLMSpeechTokenizer, folder, "speech_tokenizer")):
        units = st.encode_string(wav)
        np.testing.assert_array_equal(st.decode(units), vocoder.decode(units, speaker_id=2))
        raw = st.encode_units(wav)
        np.testing.assert_array_equal(st.decode(raw, speaker_id=1, dur_pred=False),
                                      vocoder.decode(raw, speaker_id=1, dur_pred=False))
    # Without a vocoder beside it: a clear error, until one is attached.
    st.save_pretrained(tmp_path / "alone")
    alone = SpiritLMSpeechTokenizer.from_pretrained(tmp_path / "alone")
    with pytest.raises(ValueError, match="attach_vocoder"):
        alone.decode(units)
    np.testing.assert_array_equal(alone.attach_vocoder(vocoder).decode(units), vocoder.decode(units, speaker_id=2))


def test_load_component_finds_subfolders_or_returns_none(tmp_path):
    from modeling_spirit import SpiritLMHifiGan, load_component
    from modeling_spirit.components import auto_subfolder
    from recipes.tiny.models import build_tiny_spirit_lm

    folder = build_tiny_spirit_lm(str(tmp_path / "tiny"), variant="base")
    assert isinstance(load_component(SpiritLMHifiGan, folder, "vocoder"), SpiritLMHifiGan)
    assert load_component(SpiritLMHifiGan, tmp_path, "vocoder") is None
    assert auto_subfolder(folder, "vocoder", "spirit_lm_hifigan") == "vocoder"
    assert auto_subfolder(f"{folder}/vocoder", "vocoder", "spirit_lm_hifigan") is None


def test_bool_options_refuse_strings():
    """Issue 20 (9): `fast='no'` / `dur_pred='no'` were truthy; now a TypeError naming the option."""
    from recipes.toy import TOY_MODEL

    tok = SpiritLMSpeechTokenizer.from_pretrained(TOY_MODEL)
    with pytest.raises(TypeError, match="`fast` must be True or False"):
        tok.encode_units(np.zeros(16000, np.float32), fast="no")
    with pytest.raises(TypeError, match="`dur_pred` must be True or False"):
        tok.decode("[Hu1][Hu2]", dur_pred="no")
