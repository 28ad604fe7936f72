# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Speech with word times from two offline Debian synthesizers, for the toy corpus (:mod:`processing.toy_corpus`).

* **festival** (Debian ``festival`` 2.5; voices ``cmu_us_slt_arctic_hts`` from ``festvox-us-slt-hts``,
  ``kal_diphone`` from ``festvox-kallpc16k``, ``ked_diphone`` from ``festvox-kdlpc16k``). One ``festival -b`` process
  synthesises a whole batch of sentences from a generated Scheme script; for each sentence it resamples the wave to
  16 kHz (festival's own resampler), saves it, and writes every word's times from the utterance: a word starts where
  the segment before its first segment ends and ends where its last segment ends (``Word`` →
  ``SylStructure`` → ``Segment``). Festival's ``Token`` relation maps its words back to the text's
  whitespace-separated tokens (a token festival expands into several words gets the span of all of them).
* **espeak-ng** (Debian ``libespeak-ng1``, called through ``ctypes``; no PyPI binding). ``espeak_Synth`` in
  synchronous mode with word and phoneme events: a word event gives the sample where a word starts and its character
  position in the text (→ the token); a word ends at the first pause phoneme (``_``, ``_:``...) after its start, or
  where the next word starts. espeak-ng sometimes pronounces two words as one (``"there are"`` → one word event);
  such tokens share the merged span, cut at the phoneme onset that shares the span's phonemes out in proportion to
  the tokens' letters (``"in the"`` → ``I n | D @``; counted: ``EspeakVoice.merged_tokens``).
  Each batch runs in a fresh child process: libespeak-ng keeps state between utterances, so this is what makes
  the output depend only on the batch. Audio (22 050 Hz) is resampled to 16 kHz with torchaudio's sinc
  resampler (``torchaudio.transforms.Resample``) and gets
  ``ESPEAK_LEADING_SILENCE`` seconds of silence in front (espeak starts speaking at once; the other voices have a
  leading pause), word times shifted accordingly.

Both return, per sentence, a float32 16 kHz mono waveform and ``[{"word", "start", "end"}]`` (seconds) with one
entry per whitespace token of the text (the token as written, punctuation attached).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from typing import Dict, List, Sequence, Tuple

import numpy as np

from modeling_spirit.constants import SAMPLING_RATE

ESPEAK_LEADING_SILENCE = 0.15  # seconds
ESPEAK_SAMPLING_RATE = 22050  # libespeak-ng's output rate

FESTIVAL_VOICES = ("cmu_us_slt_arctic_hts", "kal_diphone", "ked_diphone")
FESTIVAL_PACKAGES = {"cmu_us_slt_arctic_hts": "festvox-us-slt-hts", "kal_diphone": "festvox-kallpc16k",
                     "ked_diphone": "festvox-kdlpc16k"}
DEBIAN_PACKAGES = ("festival", "festvox-us-slt-hts", "festvox-kallpc16k", "festvox-kdlpc16k", "espeak-ng")

Words = List[Dict[str, float]]


class SynthesisError(RuntimeError):
    """A synthesizer is missing, failed, or its word times do not match the text."""


def text_tokens(text: str) -> List[Tuple[str, int, int]]:
    """The whitespace-separated tokens of ``text`` with their character spans ``(token, start, end)``."""
    return [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\S+", text)]


# ----------------------------------------------------------------------------------------------------------------
# festival
# ----------------------------------------------------------------------------------------------------------------
_FESTIVAL_SCHEME = r"""
(define (toy_dump utt path)
  (set! toy_fd (fopen path "w"))
  (set! toy_i 0)
  (set! toy_tok (utt.relation.first utt 'Token))
  (while toy_tok
    (mapcar
      (lambda (toy_w)
        (if (item.relation toy_w 'Word)
          (format toy_fd "%d\t%s\t%s\t%s\n" toy_i (item.name toy_w)
                  (item.feat toy_w "R:Word.R:SylStructure.daughter1.daughter1.R:Segment.p.end")
                  (item.feat toy_w "R:Word.R:SylStructure.daughtern.daughtern.R:Segment.end"))))
      (item.daughters toy_tok))
    (format toy_fd "%d\t<token>\n" toy_i)
    (set! toy_i (+ toy_i 1))
    (set! toy_tok (item.next toy_tok)))
  (fclose toy_fd))
(define (toy_say toy_text toy_wav toy_words)
  (set! toy_utt (utt.synth (eval (list 'Utterance 'Text toy_text))))  ; Utterance does not evaluate its arguments
  (utt.wave.resample toy_utt 16000)
  (utt.save.wave toy_utt toy_wav 'riff)
  (toy_dump toy_utt toy_words))
"""


def festival_available(voice: str = None) -> bool:
    """Whether ``festival`` (and, if given, the voice's files) is installed."""
    if shutil.which("festival") is None:
        return False
    if voice is None:
        return True
    return any(os.path.isdir(os.path.join(root, lang, voice))
               for root in ("/usr/share/festival/voices", "/usr/local/share/festival/voices")
               if os.path.isdir(root) for lang in os.listdir(root))


def _scheme_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def festival_synthesize(voice: str, texts: Sequence[str], timeout: float = 3600.0) -> List[Tuple[np.ndarray, Words]]:
    """Synthesise ``texts`` with one festival process; returns ``(waveform float32 16 kHz, words)`` per text."""
    if not festival_available(voice):
        raise SynthesisError(
            f"festival voice {voice!r} is not installed; install the Debian packages "
            f"`festival {FESTIVAL_PACKAGES.get(voice, '<the voice package>')}` (apt-get install -y ...)."
        )
    import soundfile as sf

    with tempfile.TemporaryDirectory(prefix="toy_festival_") as tmp:
        lines = [_FESTIVAL_SCHEME, f"(voice_{voice})"]
        for i, text in enumerate(texts):
            if "\n" in text:
                raise ValueError(f"Sentence {i} contains a newline: {text!r}")
            lines.append(f'(toy_say {_scheme_string(text)} "{tmp}/{i}.wav" "{tmp}/{i}.txt")')
        script = os.path.join(tmp, "batch.scm")
        with open(script, "w") as f:
            f.write("\n".join(lines) + "\n")
        proc = subprocess.run(["festival", "-b", script], capture_output=True, text=True, timeout=timeout)
        out = []
        for i, text in enumerate(texts):
            wav_path, words_path = f"{tmp}/{i}.wav", f"{tmp}/{i}.txt"
            if proc.returncode != 0 or not os.path.exists(words_path):
                raise SynthesisError(
                    f"festival ({voice}) failed on sentence {i} {text!r} (exit {proc.returncode}): "
                    f"{(proc.stderr or proc.stdout)[-2000:]}"
                )
            audio, sr = sf.read(wav_path, dtype="float32", always_2d=True)
            if sr != SAMPLING_RATE:
                raise SynthesisError(f"festival wrote {sr} Hz audio, expected {SAMPLING_RATE}")
            audio = audio.mean(axis=1)
            out.append((audio, _festival_words(text, words_path, voice)))
        return out


def _festival_words(text: str, path: str, voice: str) -> Words:
    tokens = text_tokens(text)
    spans: Dict[int, List[float]] = {}
    n_tokens = 0
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 2:
                n_tokens += 1
                continue
            i, _, start, end = int(parts[0]), parts[1], float(parts[2]), float(parts[3])
            if end <= 0:  # a word without segments
                continue
            s = spans.setdefault(i, [start, end])
            s[0], s[1] = min(s[0], start), max(s[1], end)
    if n_tokens != len(tokens) or len(spans) != len(tokens):
        raise SynthesisError(
            f"festival ({voice}) read {n_tokens} tokens ({len(spans)} with times) in {text!r}, which has "
            f"{len(tokens)} whitespace-separated words; write sentences the way they are spoken."
        )
    return [{"word": tok, "start": spans[i][0], "end": spans[i][1]} for i, (tok, _, _) in enumerate(tokens)]


# ----------------------------------------------------------------------------------------------------------------
# espeak-ng (ctypes)
# ----------------------------------------------------------------------------------------------------------------
_EVENT_LIST_TERMINATED, _EVENT_WORD, _EVENT_PHONEME = 0, 1, 7
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_INITIALIZE_PHONEME_EVENTS = 0x0001
_EE_OK = 0


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):  # espeak_EVENT (speak_lib.h)
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint), ("text_position", ctypes.c_int),
                ("length", ctypes.c_int), ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", _EventId)]


_SYNTH_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


def _find_libespeak():
    for name in ("libespeak-ng.so.1", ctypes.util.find_library("espeak-ng")):
        if not name:
            continue
        try:
            return ctypes.CDLL(name)
        except OSError:
            continue
    return None


def espeak_available() -> bool:
    """Whether libespeak-ng (Debian ``libespeak-ng1``, pulled in by ``espeak-ng``) can be loaded."""
    return _find_libespeak() is not None


class EspeakVoice:
    """One process-wide libespeak-ng instance (the library keeps global state: use one per process)."""

    _instance = None

    def __init__(self):
        lib = _find_libespeak()
        if lib is None:
            raise SynthesisError("libespeak-ng is not installed; install the Debian package `espeak-ng`.")
        self.lib = lib
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_Synth.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint,
                                     ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p]
        self.sampling_rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INITIALIZE_PHONEME_EVENTS)
        if self.sampling_rate <= 0:
            raise SynthesisError("espeak_Initialize failed")
        self._chunks: List[np.ndarray] = []
        self._events: List[Tuple[int, int, int, bytes]] = []
        self._callback = _SYNTH_CALLBACK(self._on_audio)  # keep a reference
        lib.espeak_SetSynthCallback(self._callback)
        self.voice = None
        self.merged_tokens = 0

    @classmethod
    def get(cls) -> "EspeakVoice":
        if cls._instance is None:
            cls._instance = cls()
        return cls._instance

    def _on_audio(self, wav, n, events):
        if n > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).copy())
        i = 0
        while events[i].type != _EVENT_LIST_TERMINATED:
            e = events[i]
            if e.type in (_EVENT_WORD, _EVENT_PHONEME):
                name = bytes(e.id.string).split(b"\0")[0] if e.type == _EVENT_PHONEME else b""
                self._events.append((e.type, e.text_position, e.sample, name))
            i += 1
        return 0

    def set_voice(self, voice: str) -> None:
        if voice != self.voice:
            if self.lib.espeak_SetVoiceByName(voice.encode()) != _EE_OK:
                raise SynthesisError(f"espeak-ng has no voice {voice!r} (see `espeak-ng --voices=en`; "
                                     "variants as `en-us+f3`).")
            self.voice = voice

    def synthesize_raw(self, voice: str, text: str) -> Tuple[np.ndarray, Words]:
        """espeak-ng's own output: int16 audio at ``self.sampling_rate`` and the words' times (seconds)."""
        self.set_voice(voice)
        self._chunks, self._events = [], []
        data = text.encode("utf-8")
        buf = ctypes.create_string_buffer(data)
        rc = self.lib.espeak_Synth(buf, len(data) + 1, 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None)
        self.lib.espeak_Synchronize()
        if rc != _EE_OK or not self._chunks:
            raise SynthesisError(f"espeak-ng ({voice}) failed on {text!r} (code {rc})")
        audio = np.concatenate(self._chunks)
        return audio, self._words(text, len(audio), self.sampling_rate)

    def synthesize(self, voice: str, text: str) -> Tuple[np.ndarray, Words]:
        """16 kHz float32 audio (with the leading silence) and word times; depends on what this process spoke
        before (see :func:`espeak_synthesize`)."""
        audio, words = self.synthesize_raw(voice, text)
        return _finish_espeak(audio, self.sampling_rate, words)

    def _words(self, text: str, n_samples: int, sr: int) -> Words:
        tokens = text_tokens(text)
        data = text.encode("utf-8")
        # character (1-based, as espeak counts) -> byte offsets are the same for ASCII; map via the decoded prefix
        starts: Dict[int, int] = {}
        pauses = sorted(s for t, _, s, name in self._events if t == _EVENT_PHONEME and name.startswith(b"_"))
        for t, pos, sample, _ in self._events:
            if t != _EVENT_WORD:
                continue
            char = len(data[: max(pos - 1, 0)].decode("utf-8", errors="ignore")) if not text.isascii() else pos - 1
            for k, (_, a, b) in enumerate(tokens):
                if a <= char < b:
                    starts.setdefault(k, sample)
                    break
        if 0 not in starts:
            raise SynthesisError(f"espeak-ng gave no word event for the first word of {text!r}")
        # spans of tokens that have an event; tokens without one share the previous event's span
        groups: List[List[int]] = []
        for k in range(len(tokens)):
            if k in starts:
                groups.append([k])
            else:
                groups[-1].append(k)
                self.merged_tokens += 1
        words: Words = [None] * len(tokens)
        phones = sorted(s for t, _, s, name in self._events if t == _EVENT_PHONEME and not name.startswith(b"_"))
        for g, group in enumerate(groups):
            start = starts[group[0]]
            limit = starts[groups[g + 1][0]] if g + 1 < len(groups) else n_samples
            end = next((p for p in pauses if start < p <= limit), limit)
            end = max(end, start + 1)
            bounds = [start, end]
            if len(group) > 1:
                # merged tokens: cut at phoneme onsets, phonemes shared out in proportion to letters
                onsets = [start] + [p for p in phones if start < p < end]
                letters = [max(len(re.sub(r"[^\w]", "", tokens[k][0])), 1) for k in group]
                total, acc, cuts = sum(letters), 0, []
                for n in letters[:-1]:
                    acc += n
                    j = min(max(int(round(len(onsets) * acc / total)), 1), len(onsets) - 1) if len(onsets) > 1 else 0
                    cut = onsets[j] if j > 0 else start + (end - start) * acc / total
                    cuts.append(max(cut, cuts[-1] + 1 if cuts else start + 1))
                bounds = [start] + cuts + [end]
            for i, k in enumerate(group):
                words[k] = {"word": tokens[k][0], "start": bounds[i] / sr, "end": bounds[i + 1] / sr}
        return words


_RESAMPLERS = {}


def _resample(audio: np.ndarray, orig: int, new: int) -> np.ndarray:
    """``torchaudio``'s sinc resampler (kernel cached per rate pair)."""
    if orig == new:
        return audio
    import torch
    import torchaudio

    if (orig, new) not in _RESAMPLERS:
        _RESAMPLERS[(orig, new)] = torchaudio.transforms.Resample(orig, new)
    with torch.no_grad():
        return _RESAMPLERS[(orig, new)](torch.from_numpy(audio)).numpy().astype(np.float32)


def _finish_espeak(audio: np.ndarray, sr: int, words: Words) -> Tuple[np.ndarray, Words]:
    """int16 espeak-ng audio → 16 kHz float32 with ``ESPEAK_LEADING_SILENCE`` in front; word times shifted."""
    audio16 = _resample(audio.astype(np.float32) / 32768.0, sr, SAMPLING_RATE)
    pad = int(round(ESPEAK_LEADING_SILENCE * SAMPLING_RATE))
    audio16 = np.concatenate([np.zeros(pad, np.float32), audio16])
    words = [{"word": w["word"], "start": w["start"] + ESPEAK_LEADING_SILENCE,
              "end": w["end"] + ESPEAK_LEADING_SILENCE} for w in words]
    return audio16, words


def espeak_synthesize(voice: str, texts: Sequence[str], timeout: float = 3600.0) -> List[Tuple[np.ndarray, Words]]:
    """Synthesise ``texts`` with espeak-ng voice ``voice`` (e.g. ``"en-us+f3"``) in a fresh child process.

    libespeak-ng carries state from one utterance to the next (its output for a sentence depends, by a few samples,
    on everything the process synthesised before, even after re-initialising), so a batch is spoken by a new process
    (``python -m processing.toy_tts --espeak-worker``): the same batch always gives the same audio and times.
    """
    if not espeak_available():
        raise SynthesisError("libespeak-ng is not installed; install the Debian package `espeak-ng`.")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([root] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    with tempfile.TemporaryDirectory(prefix="toy_espeak_") as tmp:
        proc = subprocess.run([sys.executable, "-m", "processing.toy_tts", "--espeak-worker", voice, tmp],
                              input=json.dumps(list(texts)), capture_output=True, text=True, timeout=timeout, env=env)
        result = os.path.join(tmp, "result.json")
        if proc.returncode != 0 or not os.path.exists(result):
            raise SynthesisError(f"espeak-ng ({voice}) worker failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
        with open(result) as f:
            meta = json.load(f)
        raw = np.load(os.path.join(tmp, "audio.npy"))
    out, offsets = [], meta["offsets"]
    for i, words in enumerate(meta["words"]):
        out.append(_finish_espeak(raw[offsets[i]:offsets[i + 1]], meta["sampling_rate"], words))
    return out


def _espeak_worker(voice: str, out_dir: str) -> None:
    texts = json.load(sys.stdin)
    engine = EspeakVoice.get()
    audios, words = [], []
    for text in texts:
        a, w = engine.synthesize_raw(voice, text)
        audios.append(a)
        words.append(w)
    offsets = np.cumsum([0] + [len(a) for a in audios]).tolist()
    np.save(os.path.join(out_dir, "audio.npy"), np.concatenate(audios).astype(np.int16))
    with open(os.path.join(out_dir, "result.json"), "w") as f:
        json.dump({"words": words, "offsets": offsets, "sampling_rate": engine.sampling_rate,
                   "merged_tokens": engine.merged_tokens}, f)


__all__ = ["DEBIAN_PACKAGES", "FESTIVAL_VOICES", "EspeakVoice", "SynthesisError", "espeak_available",
           "espeak_synthesize", "festival_available", "festival_synthesize", "text_tokens"]


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--espeak-worker":
        _espeak_worker(sys.argv[2], sys.argv[3])
    else:
        sys.exit("usage: python -m processing.toy_tts --espeak-worker VOICE OUT_DIR  (texts as a JSON list on stdin)")
