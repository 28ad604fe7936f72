# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The toy corpus (processing/toy_corpus.py): a tiny build (6 sentences x 2 voices, one festival, one espeak-ng)
checked for split hygiene, word times that match the text and the audio, 16 kHz mono audio, determinism, resume."""

import json
import os
import re

import numpy as np
import pytest

from processing import toy_corpus as tc
from processing.toy_text import number_words, toy_sentences
from processing.toy_tts import espeak_available, festival_available

FESTIVAL_VOICE = "festival:kal_diphone"
ESPEAK_VOICE = "espeak-ng:en-us+f3"
VOICES = [FESTIVAL_VOICE, ESPEAK_VOICE]
PACKAGES = "apt-get install -y festival festvox-kallpc16k espeak-ng"

needs_synth = pytest.mark.skipif(
    not (festival_available("kal_diphone") and espeak_available()),
    reason=f"festival (voice kal_diphone) and/or libespeak-ng are not installed; {PACKAGES}",
)


# ---------------------------------------------------------------------------------------------------- text only
def test_number_words():
    assert number_words(0) == "zero" and number_words(13) == "thirteen" and number_words(40) == "forty"
    assert number_words(342) == "three hundred forty two" and number_words(700) == "seven hundred"
    with pytest.raises(ValueError):
        number_words(1000)


def test_sentences_distinct_seeded_prefix_stable_and_speakable():
    a = toy_sentences(2000, seed=0)
    assert len(set(a)) == 2000
    assert toy_sentences(50, seed=0) == a[:50]
    assert toy_sentences(50, seed=1) != a[:50]
    for s in a:  # written as spoken: no digits, hyphens or symbols; one final . ? !
        assert re.fullmatch(r"[A-Z][a-z]*( [A-Za-z]+,?)* [A-Za-z]+[.?!]", s), s


def test_splits_are_disjoint_and_cover():
    sp = tc.split_sentences(1000, seed=3)
    ids = [i for k in tc.SPLITS for i in sp[k]]
    assert sorted(ids) == list(range(1000))
    assert len(sp["validation"]) == len(sp["test"]) == 50
    assert tc.split_sentences(1000, seed=3) == sp and tc.split_sentences(1000, seed=4) != sp
    small = tc.split_sentences(6, seed=0)
    assert all(len(small[k]) >= 1 for k in tc.SPLITS)


def test_voice_names():
    assert tc.resolve_voice("kal_diphone") == "festival:kal_diphone"
    assert tc.resolve_voice("en-us+f3") == "espeak-ng:en-us+f3"
    assert tc.resolve_voice("espeak:en") == "espeak-ng:en"
    with pytest.raises(ValueError, match="engine"):
        tc.resolve_voice("piper:amy")


# ---------------------------------------------------------------------------------------------------- a tiny build
@pytest.fixture(scope="module")
def built(tmp_path_factory):
    if not (festival_available("kal_diphone") and espeak_available()):
        pytest.skip(f"festival (voice kal_diphone) and/or libespeak-ng are not installed; {PACKAGES}")
    out = tmp_path_factory.mktemp("toy") / "corpus"
    dd = tc.build_toy_corpus(str(out), num_sentences=6, seed=0, voices=VOICES, num_workers=1, keep_cache=True,
                             progress=False)
    return out, dd


def _audio(row):
    samples = row["audio"].get_all_samples()
    return samples.data.numpy(), samples.sample_rate


@needs_synth
def test_columns_and_splits(built):
    out, dd = built
    assert set(dd) == {"train", "validation", "test"}
    seen = {}
    for split, ds in dd.items():
        assert ds.column_names == ["audio", "text", "words", "speaker", "sentence_id"]
        assert ds.features["audio"].sampling_rate == 16000
        for sid, spk, text in zip(ds["sentence_id"], ds["speaker"], ds["text"]):
            assert seen.setdefault(sid, split) == split  # a sentence lives in one split only
        pairs = sorted(zip(ds["sentence_id"], ds["speaker"]))
        sids = sorted(set(ds["sentence_id"]))
        assert pairs == sorted((s, v) for s in sids for v in VOICES)  # ... with all its voices
    assert sorted(seen) == list(range(6))
    texts = toy_sentences(6, seed=0)
    for ds in dd.values():
        assert all(t == texts[s] for s, t in zip(ds["sentence_id"], ds["text"]))
    info = json.loads((out / "toy_corpus.json").read_text())
    assert info["total"]["rows"] == 12 and set(info["voices"]) == set(VOICES)
    assert all(v["times_real_time"] > 0 for v in info["voices"].values())


@needs_synth
def test_word_times_match_text_and_audio(built):
    _, dd = built
    for ds in dd.values():
        for row in ds:
            audio, sr = _audio(row)
            assert sr == 16000 and audio.shape[0] == 1 and audio.dtype == np.float32  # 16 kHz mono float
            x = audio[0].astype(np.float64)
            duration = len(x) / sr
            words = row["words"]
            assert [w["word"] for w in words] == row["text"].split()  # every word of the text has times
            prev_end = 0.0
            for w in words:
                assert prev_end - 1e-4 <= w["start"] < w["end"] <= duration + 1e-4, (row["speaker"], w)
                prev_end = w["end"]
            # energy check: every word is louder than the leading silence; most energy lies inside words
            lead = x[: int(words[0]["start"] * sr)]
            assert len(lead) >= int(0.1 * sr), (row["speaker"], words[0])
            lead_rms = np.sqrt(np.mean(lead**2)) + 1e-4
            inside = np.zeros(len(x), bool)
            for w in words:
                seg = x[int(w["start"] * sr): int(np.ceil(w["end"] * sr))]
                inside[int(w["start"] * sr): int(np.ceil(w["end"] * sr))] = True
                assert np.sqrt(np.mean(seg**2)) > 5 * lead_rms, (row["speaker"], w, lead_rms)
            assert np.sum(x[inside] ** 2) > 0.9 * np.sum(x**2), row["speaker"]  # 0.93-1.0 on a default build


@needs_synth
def test_deterministic_resumable_and_cached(built, tmp_path):
    out, dd = built
    # a second build with the same seed in another folder: identical audio, words and texts
    dd2 = tc.build_toy_corpus(str(tmp_path / "again"), num_sentences=6, seed=0, voices=VOICES, num_workers=1,
                              progress=False)
    for split in dd:
        a, b = dd[split], dd2[split]
        assert a["text"] == b["text"] and a["words"] == b["words"] and a["speaker"] == b["speaker"]
        for ra, rb in zip(a, b):
            np.testing.assert_array_equal(_audio(ra)[0], _audio(rb)[0])
    assert not (tmp_path / "again" / tc.CACHE_DIR).exists()  # cache removed by default
    # a finished corpus is loaded, not rebuilt; other settings are refused without overwrite
    mtime = os.path.getmtime(out / "toy_corpus.json")
    tc.build_toy_corpus(str(out), num_sentences=6, seed=0, voices=VOICES, num_workers=1, progress=False)
    assert os.path.getmtime(out / "toy_corpus.json") == mtime
    with pytest.raises(FileExistsError, match="overwrite"):
        tc.build_toy_corpus(str(out), num_sentences=6, seed=1, voices=VOICES, num_workers=1, progress=False)
    # resume: with the cache kept, a build with one more voice order / more sentences only synthesises new chunks
    cache = out / tc.CACHE_DIR
    chunk_dirs = sorted(p for p in cache.glob("*/chunk-*"))
    assert len(chunk_dirs) == 2
    stamps = {p: os.path.getmtime(p / "chunk.json") for p in chunk_dirs}
    dd3 = tc.build_toy_corpus(str(out), num_sentences=6, seed=0, voices=VOICES[::-1], num_workers=1,
                              keep_cache=True, overwrite=True, progress=False)
    assert {p: os.path.getmtime(p / "chunk.json") for p in chunk_dirs} == stamps  # nothing redone
    assert sorted(dd3["train"]["speaker"]) == sorted(dd["train"]["speaker"])


def test_missing_synthesizer_is_explained(monkeypatch, tmp_path):
    monkeypatch.setattr(tc, "festival_available", lambda voice=None: False)
    with pytest.raises(RuntimeError, match="apt-get install -y festival"):
        tc.build_toy_corpus(str(tmp_path / "x"), num_sentences=3, voices=["kal_diphone"], progress=False)
