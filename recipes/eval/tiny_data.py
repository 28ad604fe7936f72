# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Built-in tiny evaluation sets (for CI and tests): every task's manifest layout with a handful of items.

Their sentences (a dozen fixed ones) are neither the toy model's world (:mod:`processing.toy_text`) nor the tiny
random models' tokenizer corpus (:func:`recipes.tiny.models.tiny_corpus`): they only have to exercise the layouts.

Audio is *generated*, deterministically: each word becomes a short tone burst whose pitch and timbre come from the
word's letters, so every file has exact word timings (stored in the manifest as ``words``: ``[word, start, end]``
in seconds). It is not speech: the sets test the machinery and the layouts, not a model's quality.

```python
from recipes.eval.tiny_data import build_tiny_sets
paths = build_tiny_sets("out/eval-tiny")      # {"swuggy": ".../swuggy/manifest.jsonl", ..., "stsp": ...}
```
"""

import json
import zlib
from pathlib import Path
from typing import Dict, List

import numpy as np

from modeling_spirit.constants import SAMPLING_RATE

SR = SAMPLING_RATE
WORD_S, GAP_S = 0.18, 0.04

_WORDS = [("brick", "blick"), ("apple", "apsle"), ("garden", "gorpen"), ("window", "wintoc"), ("river", "rivel"),
          ("yellow", "yemmow")]
_BLIMP = [("the cat sees the box", "the cat see the box"), ("two birds sing", "two birds sings"),
          ("she opens a door", "she open a door"), ("they are happy", "they is happy")]
_STORIES = [("The cat sat by the lake. It was cold.", "The cat went home.", "The moon ate a chair."),
            ("Robin found a map. She opened it.", "She saw a river.", "She is seven birds."),
            ("My friend built a kite. The wind was strong.", "The kite flew high.", "The kite cooked soup.")]
_SENTENCES = ["the cat sees the red box", "open the window", "there are seven birds", "play some music",
              "the old man counts two stones", "close the door", "a child paints the map", "stop the timer"]
_INTENTS = ["activate lights bedroom", "open window", "play music", "stop timer"]
_SENTIMENT_TEXT = {"positive": ["i love this day", "what a happy song"], "negative": ["i hate the rain", "this is awful"],
                   "neutral": ["the box is red", "it is noon"]}


def synth(text: str) -> tuple:
    """``(waveform, words)``: one tone burst per word (pitch from the word's hash), with ``[word, start, end]``."""
    pieces, words, t = [], [], 0.0
    for word in text.split():
        h = zlib.crc32(word.encode())
        f0 = 110 + (h % 200)
        n = int(WORD_S * SR)
        tt = np.arange(n) / SR
        tone = sum(np.sin(2 * np.pi * f0 * (k + 1) * tt) / (k + 1) for k in range((h >> 8) % 4 + 1))
        env = np.hanning(n)
        pieces += [0.3 * env * tone / max(1e-6, np.abs(tone).max()), np.zeros(int(GAP_S * SR))]
        words.append([word, round(t, 3), round(t + WORD_S, 3)])
        t += WORD_S + GAP_S
    return np.concatenate(pieces).astype(np.float32), words


def _write(path: Path, text: str) -> List:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    wav, words = synth(text)
    sf.write(str(path), wav, SR)
    return words


def _jsonl(path: Path, records) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return str(path)


def build_tiny_sets(root, with_classifiers: bool = True) -> Dict[str, str]:
    """Write every tiny set under ``root``; returns ``{task: manifest path}`` (``stsp`` → its test manifest)."""
    root = Path(root)
    out = {}
    d = root / "swuggy"
    recs = []
    for i, (good, bad) in enumerate(_WORDS):
        _write(d / f"wav/{i}_good.wav", good)
        _write(d / f"wav/{i}_bad.wav", bad)
        recs.append({"id": f"w{i}", "good_text": good, "bad_text": bad, "good_audio": f"wav/{i}_good.wav",
                     "bad_audio": f"wav/{i}_bad.wav"})
    out["swuggy"] = _jsonl(d / "manifest.jsonl", recs)
    d = root / "sblimp"
    recs = []
    for i, (good, bad) in enumerate(_BLIMP):
        gw = _write(d / f"wav/{i}_good.wav", good)
        bw = _write(d / f"wav/{i}_bad.wav", bad)
        recs.append({"id": f"b{i}", "good_text": good, "bad_text": bad, "good_audio": f"wav/{i}_good.wav",
                     "bad_audio": f"wav/{i}_bad.wav", "good_words": gw, "bad_words": bw})
    out["sblimp"] = _jsonl(d / "manifest.jsonl", recs)
    for task in ("storycloze", "topic-storycloze"):
        d = root / task
        recs = []
        for i, (ctx, good, bad) in enumerate(_STORIES):
            cw = _write(d / f"wav/{i}_ctx.wav", ctx)
            _write(d / f"wav/{i}_good.wav", good)
            _write(d / f"wav/{i}_bad.wav", bad)
            recs.append({"id": f"s{i}", "context_text": ctx, "good_text": good, "bad_text": bad,
                         "context_audio": f"wav/{i}_ctx.wav", "good_audio": f"wav/{i}_good.wav",
                         "bad_audio": f"wav/{i}_bad.wav", "context_words": cw})
        out[task] = _jsonl(d / "manifest.jsonl", recs)
    d = root / "librispeech"
    recs = []
    for i, s in enumerate(_SENTENCES):
        words = _write(d / f"wav/{i}.wav", s)
        recs.append({"id": f"u{i}", "audio": f"wav/{i}.wav", "text": s, "words": words})
    out["asr"] = out["tts"] = _jsonl(d / "manifest.jsonl", recs)
    d = root / "intent"
    recs = []
    for i in range(8):
        intent = _INTENTS[i % len(_INTENTS)]
        _write(d / f"wav/{i}.wav", f"please {intent}")
        recs.append({"id": f"i{i}", "audio": f"wav/{i}.wav", "intent": intent})
    out["intent"] = _jsonl(d / "manifest.jsonl", recs)
    out["stsp"] = build_tiny_stsp(root / "stsp_data", with_classifiers)
    return out


def build_tiny_stsp(root, with_classifiers: bool = True) -> str:
    """The official STSP layout (``data/``, ``manifest/``, ``model/``) with six test records, few-shot manifests
    for the four directions and (optionally) tiny random sentiment classifiers."""
    root = Path(root)
    emotion = {"positive": "happy", "negative": "sad", "neutral": "default"}
    recs, few = [], []
    i = 0
    for sentiment, texts in _SENTIMENT_TEXT.items():
        for text in texts:
            _write(root / f"data/tiny/{i}.wav", text)
            recs.append({"id": i - 2, "wav_path": f"tiny/{i}.wav", "asr": text, "sentiment": sentiment,
                         "emotion": emotion[sentiment], "split": "test", "speaker": "tiny"})
            few.append({"prompt": f"tiny/{i}.wav", "generation": f"tiny/{i}.wav", "sentiment": sentiment,
                        "text": text})
            i += 1
    manifest = _jsonl(root / "manifest/tiny/tiny.test.jsonl", recs)
    for direction in ("t2t", "t2s", "s2t", "s2s"):
        in_speech, out_speech = direction[0] == "s", direction[2] == "s"
        _jsonl(root / f"manifest/few_shot/{direction}.jsonl",
               [{"prompt": f["prompt"] if in_speech else f["text"],
                 "generation": f["generation"] if out_speech else f["text"], "sentiment": f["sentiment"]}
                for f in few])
    if with_classifiers:
        build_tiny_classifiers(root / "model")
    return manifest


def build_tiny_classifiers(folder, speech_labels=("angry", "happy", "sad", "default"),
                           text_labels=("negative", "neutral", "positive"), seed: int = 0) -> Dict[str, str]:
    """Tiny random classifiers with the original's label sets: ``speech_classifier`` (wav2vec2 audio
    classification + feature extractor) and ``text_classifier`` (BERT + a word-piece tokenizer)."""
    import torch
    from transformers import (BertConfig, BertForSequenceClassification, BertTokenizer, Wav2Vec2Config,
                              Wav2Vec2FeatureExtractor, Wav2Vec2ForSequenceClassification)

    folder = Path(folder)
    torch.manual_seed(seed)
    speech = folder / "speech_classifier"
    cfg = Wav2Vec2Config(hidden_size=32, num_hidden_layers=1, num_attention_heads=2, intermediate_size=64,
                         conv_dim=(16, 16, 16), conv_stride=(5, 4, 4), conv_kernel=(10, 4, 4),
                         num_conv_pos_embeddings=16, num_conv_pos_embedding_groups=2, classifier_proj_size=16,
                         id2label=dict(enumerate(speech_labels)), label2id={l: i for i, l in enumerate(speech_labels)})
    Wav2Vec2ForSequenceClassification(cfg).eval().save_pretrained(speech)
    Wav2Vec2FeatureExtractor(sampling_rate=SAMPLING_RATE, do_normalize=True, return_attention_mask=True).save_pretrained(speech)
    text = folder / "text_classifier"
    text.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"] + sorted({w for ts in _SENTIMENT_TEXT.values() for t in ts
                                                                     for w in t.split()} | set("abcdefghijklmnopqrstuvwxyz"))
    (text / "vocab.txt").write_text("\n".join(vocab) + "\n")
    BertTokenizer(str(text / "vocab.txt")).save_pretrained(text)
    bcfg = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                      intermediate_size=64, max_position_embeddings=128, id2label=dict(enumerate(text_labels)),
                      label2id={l: i for i, l in enumerate(text_labels)})
    BertForSequenceClassification(bcfg).eval().save_pretrained(text)
    return {"speech": str(speech), "text": str(text)}


__all__ = ["build_tiny_sets", "build_tiny_stsp", "build_tiny_classifiers", "synth"]
