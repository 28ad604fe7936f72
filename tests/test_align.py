# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""processing.align: offline forced alignment (pocketsphinx) of synthetic speech (espeak-ng), then the whole data
path: folder of audio + transcripts -> aligned rows -> units -> interleaved training text."""

import random
import shutil
import subprocess

import numpy as np
import pytest

from processing.align import guess_phones, normalize_transcript

sf = pytest.importorskip("soundfile")


def test_normalize_transcript_and_guess():
    assert normalize_transcript('"Well, show me," cried Robin - the end...') == [
        ('"Well,', "well"), ('show', "show"), ('me,"', "me"), ("cried", "cried"), ("Robin -", "robin"),
        ("the", "the"), ("end...", "end")]
    assert normalize_transcript("  ... ") == []
    assert guess_phones("zorblaxx") == "Z AA R B L AH K S"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    pytest.importorskip("pocketsphinx", reason="pocketsphinx is not installed (pip install pocketsphinx)")
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng (Debian package) is not installed: no speech to align")
    d = tmp_path_factory.mktemp("corpus")
    sentences = [
        "the cat sat on the mat near the old river bank",
        "please open the window and turn on the light in the morning",
        "seven birds follow the teacher under the tree by the lake",
    ]
    waves = []
    for i, s in enumerate(sentences):
        subprocess.run(["espeak-ng", "-s", "150", "-w", str(d / f"raw{i}.wav"), s], check=True)
        wav, sr = sf.read(d / f"raw{i}.wav", dtype="float32")
        waves.append((wav, sr))
    sr = waves[0][1]
    # utt0: sentence 0, one second of silence, sentence 1 (so we know where the second sentence starts)
    pause = np.zeros(sr, np.float32)
    sf.write(d / "utt0.wav", np.concatenate([waves[0][0], pause, waves[1][0]]), sr)
    (d / "utt0.txt").write_text("The cat sat on the mat, near the old river bank. Please open the window and turn "
                                "on the light in the morning!")
    sf.write(d / "utt1.wav", waves[2][0], sr)
    (d / "utt1.txt").write_text("Seven birds follow the teacher under the tree by the zorblax")  # OOV last word
    sf.write(d / "utt2.wav", waves[2][0], sr)
    (d / "utt2.txt").write_text("   ")  # empty transcript
    (d / "utt3.wav").write_bytes(b"not audio")
    (d / "utt3.txt").write_text("broken audio")
    for i in range(3):
        (d / f"raw{i}.wav").unlink()
    return d, len(waves[0][0]) / sr


def test_align_folder(corpus, tmp_path):
    from processing.align import PocketSphinxAligner, align_dataset, load_audio_transcripts

    d, first_len = corpus
    ds = load_audio_transcripts(str(d))
    assert len(ds) == 4
    out, rep = align_dataset(ds, return_report=True)
    assert rep["num_aligned"] == 2 and rep["skipped_by_reason"] == {"empty_transcript": 1, "unreadable_audio": 1}
    words = out[0]["words"]
    assert [w["word"] for w in words][:3] == ["The", "cat", "sat"] and words[9]["word"] == "river"
    assert len(words) == 23 and words[-1]["word"] == "morning!"
    dur = sf.info(d / "utt0.wav").duration
    for a, b in zip(words, words[1:]):
        assert a["start"] <= a["end"] <= b["start"] + 1e-6
    assert words[-1]["end"] <= dur + 1e-6
    # "Please" starts after the first sentence and its one-second pause
    please = words[11]
    assert please["word"] == "Please" and first_len + 0.8 < please["start"] < first_len + 1.3
    assert words[10]["word"] == "bank." and words[10]["end"] < first_len + 0.2
    assert out[1]["words"][-1]["word"] == "zorblax"  # guessed pronunciation, still aligned
    _, rep = align_dataset(ds.select([1]), return_report=True, aligner=PocketSphinxAligner(oov="skip"))
    assert rep["skipped_by_reason"] == {"oov": 1} and "zorblax" in rep["skipped"][0]["error"]


def test_folder_to_interleaved_text(corpus, tmp_path, capsys):
    """One command per step: align -> encode -> interleave, on the tiny random speech tokenizer."""
    from datasets import load_from_disk

    from recipes.tiny.models import build_tiny_speech_tokenizer
    from processing import align, encode_units, interleave

    d, _ = corpus
    assert align.main(["--input", str(d), "--output", str(tmp_path / "aligned")]) == 0
    assert "aligned 2 of 4 rows" in capsys.readouterr().out
    build_tiny_speech_tokenizer(str(tmp_path / "st"), "base")
    assert encode_units.main(["--dataset", str(tmp_path / "aligned"), "--speech-tokenizer", str(tmp_path / "st"),
                              "--output-dir", str(tmp_path / "units")]) == 0
    units = encode_units.load_encoded_dataset(str(tmp_path / "units"))
    assert {"words", "text", "hubert", "audio_duration"} <= set(units.column_names)
    seqs, rep = interleave.build_training_texts(units, "interleaved", "base", seed=0, return_report=True,
                                                expected_speech_tokenizer=str(tmp_path / "st"))
    assert rep["num_skipped"] == 0 and len(seqs) == 2
    for s in seqs["text"]:
        assert "[Hu" in s or s.startswith("[Text]")
    # fixed plan: 10 text words, 5 speech words ("bank. Please open the window"), then the 8 words left as text
    s = interleave.interleaved_sequence(units[0], "base", random.Random(0), start_modality="text",
                                        text_span_words=(10, 10), speech_span_words=(5, 5))
    assert s.startswith("[Text]The cat sat on the mat, near the old river[Speech][Hu")
    assert s.endswith("[Speech]" + s.split("[Speech]")[1].split("[Text]")[0] + "[Text]and turn on the light in the morning!")
    w = units[0]["words"]
    seconds = (w[14]["end"] + w[15]["start"]) / 2 - (w[9]["end"] + w[10]["start"]) / 2  # the speech span's audio
    assert 0.3 * seconds * 25 < s.count("[Hu") <= seconds * 25 + 1  # 25 Hz frames, deduplicated
    assert len(load_from_disk(str(tmp_path / "aligned"))) == 2
