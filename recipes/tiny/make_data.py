#!/usr/bin/env python
# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Data for the tiny recipes: the tiny random Spirit LM and small, *learnable* datasets, built offline in seconds.

```bash
python recipes/tiny/make_data.py            # -> out/tiny-spirit-lm-base/ and out/tiny-data/
```

Speech is simulated: every word of :func:`recipes.tiny.models.tiny_corpus` has a fixed sequence of 3-6 HuBERT units
(a stand-in for what a speech tokenizer hears), each unit held for 2 frames at 25 Hz, 2 frames of silence (unit 0)
between words. The rows look exactly like the output of ``spirit-lm encode-dataset`` on aligned audio (``hubert``,
``audio_duration``, ``words`` with times, ``text``, ``speech_tokenizer`` = the tiny model's fingerprint), so the
recipes build their text from them with :mod:`processing.interleave` and check the speech tokenizer, as they do on
real data. Files written to ``--output-dir``:

* ``encoded/``: the simulated encoded dataset (``save_to_disk``; ``train`` + ``test`` splits);
* ``text.jsonl``: text-only sequences (``[Text]...``), a ``text`` column;
* ``pretrain.jsonl``: an already-built mixture (speech / interleaved / text, one third each), a ``text`` column;
* ``asr.jsonl``: prompt/completion ASR pairs (``[Speech]<units>[Text]`` → transcript);
* ``dpo.jsonl``: preference pairs (prompt ``[Text]<text>[Speech]``, chosen = the units of that text, rejected = the
  units of another sentence).
"""

import argparse
import hashlib
import json
import os
import random
import sys
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parents[2]
if (ROOT / "modeling_spirit").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from modeling_spirit.constants import SPEECH_MARKER, TEXT_MARKER  # noqa: E402  (after the path set-up above)
from modeling_spirit.units import units_to_string  # noqa: E402
from processing.encode_units import load_speech_tokenizer, speech_tokenizer_fingerprint  # noqa: E402
from processing.interleave import build_training_texts, mix_sources  # noqa: E402
from recipes.tiny.models import build_tiny_spirit_lm, tiny_corpus  # noqa: E402

FRAMES_PER_UNIT = 2
PAUSE_FRAMES = 2
FRAME_RATE = 25.0


def word_units(word: str) -> List[int]:
    """The fixed 3-6 HuBERT units (1..500) of a word: the simulated speech tokenizer."""
    digest = hashlib.sha256(word.lower().strip(".,!?").encode()).digest()
    n = 3 + digest[0] % 4
    return [1 + (digest[1 + i] * 7 + i) % 500 for i in range(n)]


def encoded_row(sentence: str, fingerprint: str) -> Dict:
    """An ``encode-dataset``-style row of a sentence: frame-level units, word times, duration, fingerprint."""
    frames: List[int] = [0] * PAUSE_FRAMES
    words = []
    for w in sentence.split():
        start = len(frames) / FRAME_RATE
        for u in word_units(w):
            frames += [u] * FRAMES_PER_UNIT
        words.append({"word": w, "start": start, "end": len(frames) / FRAME_RATE})
        frames += [0] * PAUSE_FRAMES
    return {"hubert": frames, "audio_duration": (len(frames) + 1) / FRAME_RATE, "words": words, "text": sentence,
            "speech_tokenizer": fingerprint}


def speech_string(sentence: str) -> str:
    return units_to_string({"hubert": encoded_row(sentence, "")["hubert"]})


def tiny_fingerprint(model_dir) -> str:
    return speech_tokenizer_fingerprint(load_speech_tokenizer(os.path.join(model_dir, "speech_tokenizer")))["fingerprint"]


def sentences(n: int, seed: int, per_row: int = 3) -> List[str]:
    corpus = tiny_corpus(n * per_row, seed=seed)
    return [" ".join(corpus[i:i + per_row]) for i in range(0, len(corpus), per_row)]


def make_tiny_data(output_dir, model_dir="out/tiny-spirit-lm-base", n_train: int = 96, n_test: int = 16,
                   seed: int = 0, fingerprint: str = None) -> Dict[str, str]:
    """Build the tiny model (if missing) and the datasets above; returns ``{name: path}``."""
    from datasets import Dataset, DatasetDict

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_dir = build_tiny_spirit_lm(str(model_dir), "base")
    fingerprint = fingerprint or tiny_fingerprint(model_dir)
    rows = sentences(n_train + n_test, seed)
    train_rows, test_rows = rows[:n_train], rows[n_train:]
    encoded = DatasetDict({
        "train": Dataset.from_list([encoded_row(s, fingerprint) for s in train_rows]),
        "test": Dataset.from_list([encoded_row(s, fingerprint) for s in test_rows]),
    })
    encoded.save_to_disk(str(out / "encoded"))
    paths = {"model": str(model_dir), "encoded": str(out / "encoded")}

    text = build_training_texts(encoded["train"], "text")
    text.to_json(str(out / "text.jsonl"), lines=True)
    paths["text"] = str(out / "text.jsonl")

    mixture = mix_sources({
        "speech": build_training_texts(encoded["train"], "speech", "base"),
        "interleaved": build_training_texts(encoded["train"], "interleaved", "base", seed=seed),
        "text": text,
    }, seed=seed, source_column=None)
    mixture.to_json(str(out / "pretrain.jsonl"), lines=True)
    paths["pretrain"] = str(out / "pretrain.jsonl")

    with open(out / "asr.jsonl", "w") as f:
        for s in train_rows:
            f.write(json.dumps({"prompt": SPEECH_MARKER + speech_string(s) + TEXT_MARKER, "completion": s}) + "\n")
    paths["asr"] = str(out / "asr.jsonl")

    rng = random.Random(seed)
    with open(out / "dpo.jsonl", "w") as f:
        for s in train_rows:
            other = rng.choice([t for t in train_rows if t != s])
            f.write(json.dumps({"prompt": TEXT_MARKER + s + SPEECH_MARKER, "chosen": speech_string(s),
                                "rejected": speech_string(other)}) + "\n")
    paths["dpo"] = str(out / "dpo.jsonl")
    return paths


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description="Build the tiny Spirit LM and the tiny recipes' datasets.")
    p.add_argument("--output-dir", default="out/tiny-data")
    p.add_argument("--model-dir", default="out/tiny-spirit-lm-base")
    p.add_argument("--num-train", type=int, default=96)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    paths = make_tiny_data(args.output_dir, args.model_dir, n_train=args.num_train, seed=args.seed)
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
