# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""A toy speech corpus the project makes itself: template sentences of a small world, spoken by offline Debian
synthesizers that also give every word's start and end time.

```python
from processing.toy_corpus import build_toy_corpus
dd = build_toy_corpus("toy/", num_sentences=3000, seed=0)     # DatasetDict: train / validation / test
dd["train"][0]  # {"audio": <16 kHz>, "text": "Dim the heater in the hallway.", "words": [{"word", "start", "end"}],
                #  "speaker": "festival:kal_diphone", "sentence_id": 2}
```

Command line::

    python -m processing.toy_corpus --output-dir toy/ [--num-sentences 3000] [--seed 0] \
        [--voices festival:kal_diphone espeak-ng:en-us+f3 ...] [--num-workers N]

then, as for any aligned corpus, ``spirit-lm encode-dataset --dataset toy/ ...`` and
``python -m processing.interleave ...`` (the ``words`` column is what interleaving needs).

**Text** (:mod:`processing.toy_text`): ``num_sentences`` distinct sentences from templates (descriptions, commands,
spelled-out numbers and sums, questions, times, short stories), seeded; the list for ``n`` is a prefix of the list
for any larger ``n``. **Splits** are by sentence: the sentences are shuffled with ``seed`` and cut into
train / validation / test (``split_fractions``, default 0.9 / 0.05 / 0.05, at least one sentence in each held-out
split); every voice speaks every sentence, so a sentence and all its recordings are in one split only.

**Speech** (:mod:`processing.toy_tts`): festival voices (``festival:cmu_us_slt_arctic_hts``,
``festival:kal_diphone``, ``festival:ked_diphone``; a batch of sentences per festival process) and espeak-ng voices
(``espeak-ng:<voice>[+variant]`` through libespeak-ng's word and phoneme events). All audio is 16 kHz mono;
``words`` has one entry per whitespace token of ``text`` (punctuation attached, as :mod:`processing.align` writes it).

**Output** (``save_to_disk``; load with ``datasets.load_from_disk(DIR)``): columns ``audio``
(``Audio(sampling_rate=16000)``, FLAC bytes inside the Arrow files: the folder can be moved or pushed as is),
``text``, ``words``, ``speaker`` (``"festival:kal_diphone"``, ``"espeak-ng:en-us+f3"``), ``sentence_id`` (the
sentence's index in the generated list). Rows are ordered by sentence, then voice. ``toy_corpus.json`` beside the
splits records the build settings, the corpus statistics and the measured synthesis speed per voice.

**Resumable and deterministic.** Synthesis runs in chunks of ``chunk_size`` sentences per voice (one
festival or espeak-ng child process per chunk, ``num_workers`` at a time); each finished chunk is kept under
``DIR/.toy_cache/`` (named by a hash of its voice,
texts and format version), so an interrupted build resumes where it stopped and a finished voice or chunk is never
redone; a build with more sentences or more voices reuses what is there. A finished corpus (``toy_corpus.json``
matching the settings) is loaded, not rebuilt; other settings in the same folder are refused unless
``overwrite=True``. The cache is removed after a successful build unless ``keep_cache=True``. For a seed, the text,
the splits, the audio and the times are the same on every run.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import logging
import os
import random
import shutil
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .toy_text import toy_sentences
from .toy_tts import (
    DEBIAN_PACKAGES, ESPEAK_SAMPLING_RATE, FESTIVAL_VOICES, SAMPLING_RATE, _resample, espeak_available,
    espeak_synthesize, festival_available, festival_synthesize,
)

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
METADATA_FILE = "toy_corpus.json"
CACHE_DIR = ".toy_cache"
SPLITS = ("train", "validation", "test")
DEFAULT_NUM_SENTENCES = 3000
DEFAULT_SPLIT_FRACTIONS = (0.9, 0.05, 0.05)
DEFAULT_VOICES = (
    "festival:cmu_us_slt_arctic_hts",
    "festival:kal_diphone",
    "festival:ked_diphone",
    "espeak-ng:en-us+m3",
    "espeak-ng:en-us+f3",
    "espeak-ng:en-gb-x-rp+f4",
)
ENGINES = ("festival", "espeak-ng")


# ----------------------------------------------------------------------------------------------------------------
# Voices, sentences, splits
# ----------------------------------------------------------------------------------------------------------------
def resolve_voice(voice: str) -> str:
    """``"kal_diphone"`` → ``"festival:kal_diphone"``, ``"en-us+f3"`` → ``"espeak-ng:en-us+f3"``; checks the engine."""
    if ":" in voice:
        engine, name = voice.split(":", 1)
        if engine == "espeak":
            engine = "espeak-ng"
        if engine not in ENGINES or not name:
            raise ValueError(f"Voice {voice!r}: the engine must be one of {ENGINES} ('festival:kal_diphone', "
                             "'espeak-ng:en-us+f3').")
        return f"{engine}:{name}"
    return f"festival:{voice}" if voice in FESTIVAL_VOICES else f"espeak-ng:{voice}"


def check_voices(voices: Sequence[str]) -> None:
    """Raise with the Debian packages to install when a voice's synthesizer is missing."""
    missing = []
    for v in voices:
        engine, name = v.split(":", 1)
        if engine == "festival" and not festival_available(name):
            missing.append(v)
        elif engine == "espeak-ng" and not espeak_available():
            missing.append(v)
    if missing:
        raise RuntimeError(
            f"Synthesizers missing for {missing}. Install the Debian packages: "
            f"apt-get install -y {' '.join(DEBIAN_PACKAGES)}"
        )


def split_sentences(num_sentences: int, seed: int = 0,
                    fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS) -> Dict[str, List[int]]:
    """Sentence indices per split: shuffled with ``seed``, validation and test get ``round(n * fraction)`` (at least
    one each when there are three or more sentences), train the rest; each list sorted."""
    if len(fractions) != 3 or any(f < 0 for f in fractions) or sum(fractions) <= 0:
        raise ValueError(f"`split_fractions` is {fractions}; give three non-negative fractions (train, val, test).")
    total = sum(fractions)
    ids = list(range(num_sentences))
    random.Random(f"toy-splits-{seed}").shuffle(ids)
    n_val, n_test = (int(round(num_sentences * f / total)) for f in fractions[1:])
    if num_sentences >= 3:
        n_val = max(n_val, 1) if fractions[1] > 0 else 0
        n_test = max(n_test, 1) if fractions[2] > 0 else 0
    n_val = min(n_val, num_sentences)
    n_test = min(n_test, num_sentences - n_val)
    out = {"validation": ids[:n_val], "test": ids[n_val:n_val + n_test], "train": ids[n_val + n_test:]}
    return {k: sorted(out[k]) for k in SPLITS}


# ----------------------------------------------------------------------------------------------------------------
# Synthesis of one chunk (runs in a worker process)
# ----------------------------------------------------------------------------------------------------------------
def _chunk_key(voice: str, texts: Sequence[str]) -> str:
    h = hashlib.sha256(json.dumps([FORMAT_VERSION, voice, list(texts)]).encode()).hexdigest()
    return h[:20]


def _voice_dir(voice: str) -> str:
    return voice.replace(":", "__").replace("/", "_").replace("+", "_")


def _encode_flac(audio: np.ndarray) -> bytes:
    import soundfile as sf

    pcm = np.clip(np.round(np.asarray(audio, np.float64) * 32767.0), -32768, 32767).astype(np.int16)
    buf = io.BytesIO()
    sf.write(buf, pcm, SAMPLING_RATE, format="FLAC", subtype="PCM_16")
    return buf.getvalue()


def synthesize_chunk(voice: str, texts: Sequence[str], chunk_dir: str) -> Dict[str, Any]:
    """Synthesise ``texts`` with ``voice`` into ``chunk_dir`` (``NNNNN.flac`` + ``chunk.json``), atomically."""
    engine, name = voice.split(":", 1)
    if engine == "espeak-ng":  # one-time setup (torchaudio import, resampling kernel) is not timed
        _resample(np.zeros(1024, np.float32), ESPEAK_SAMPLING_RATE, SAMPLING_RATE)
    t0 = time.perf_counter()
    results = festival_synthesize(name, texts) if engine == "festival" else espeak_synthesize(name, texts)
    wall = time.perf_counter() - t0
    tmp = chunk_dir + f".tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    durations = []
    for i, (audio, _) in enumerate(results):
        with open(os.path.join(tmp, f"{i:05d}.flac"), "wb") as f:
            f.write(_encode_flac(audio))
        durations.append(len(audio) / SAMPLING_RATE)
    meta = {"voice": voice, "texts": list(texts), "words": [w for _, w in results], "durations": durations,
            "synthesis_seconds": wall, "format_version": FORMAT_VERSION}
    with open(os.path.join(tmp, "chunk.json"), "w") as f:
        json.dump(meta, f)
    if os.path.exists(chunk_dir):  # another process finished it first
        shutil.rmtree(tmp)
    else:
        os.replace(tmp, chunk_dir)
    return {"voice": voice, "num": len(texts), "audio_seconds": sum(durations), "synthesis_seconds": wall}


def _read_chunk(chunk_dir: str) -> Optional[Dict[str, Any]]:
    path = os.path.join(chunk_dir, "chunk.json")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------------------------------
# The corpus
# ----------------------------------------------------------------------------------------------------------------
def _features():
    from datasets import Audio, Features, List as DList, Value

    return Features({
        "audio": Audio(sampling_rate=SAMPLING_RATE),
        "text": Value("string"),
        "words": DList({"word": Value("string"), "start": Value("float32"), "end": Value("float32")}),
        "speaker": Value("string"),
        "sentence_id": Value("int32"),
    })


def _rows(sentence_ids: List[int], voices: List[str], chunks: Dict[Tuple[str, int], str], chunk_size: int):
    cache: Dict[str, Dict[str, Any]] = {}
    for sid in sentence_ids:
        for voice in voices:
            chunk_dir = chunks[(voice, sid // chunk_size)]
            if chunk_dir not in cache:
                if len(cache) > 4 * len(voices):
                    cache.clear()
                cache[chunk_dir] = _read_chunk(chunk_dir)
            meta = cache[chunk_dir]
            j = sid % chunk_size
            with open(os.path.join(chunk_dir, f"{j:05d}.flac"), "rb") as f:
                audio = f.read()
            yield {
                "audio": {"bytes": audio, "path": f"{sid:05d}-{_voice_dir(voice)}.flac"},
                "text": meta["texts"][j],
                "words": meta["words"][j],
                "speaker": voice,
                "sentence_id": sid,
            }


def _settings(num_sentences, seed, voices, split_fractions, chunk_size) -> Dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "num_sentences": num_sentences, "seed": seed, "voices": list(voices),
            "split_fractions": list(split_fractions), "chunk_size": chunk_size, "sampling_rate": SAMPLING_RATE}


def build_toy_corpus(
    output_dir: str,
    num_sentences: int = DEFAULT_NUM_SENTENCES,
    seed: int = 0,
    voices: Optional[Sequence[str]] = None,
    split_fractions: Sequence[float] = DEFAULT_SPLIT_FRACTIONS,
    num_workers: Optional[int] = None,
    chunk_size: int = 100,
    keep_cache: bool = False,
    overwrite: bool = False,
    progress: bool = True,
):
    """Build (or load, when already built with these settings) the toy corpus in ``output_dir``.

    Args:
        output_dir (`str`): folder of the ``save_to_disk`` ``DatasetDict`` (created; holds the synthesis cache while
            building).
        num_sentences (`int`, defaults to 3000): distinct sentences; each is spoken by every voice.
        seed (`int`, defaults to 0): seeds the sentences and the split.
        voices (`list[str]`, *optional*): ``"festival:<voice>"`` / ``"espeak-ng:<voice>"`` (bare festival voice names
            and bare espeak-ng names are recognised); defaults to ``DEFAULT_VOICES`` (3 festival, 3 espeak-ng).
        split_fractions (`tuple[float, float, float]`, defaults to ``(0.9, 0.05, 0.05)``): train/validation/test.
        num_workers (`int`, *optional*): synthesis jobs at a time, each a festival or espeak-ng child process
            (default: the number of CPUs).
        chunk_size (`int`, defaults to 100): sentences per synthesis job (and per festival process).
        keep_cache (`bool`, defaults to `False`): keep ``output_dir/.toy_cache`` after a successful build.
        overwrite (`bool`, defaults to `False`): rebuild a folder that holds a corpus with other settings.
        progress (`bool`, defaults to `True`): tqdm progress bars.

    Returns:
        `datasets.DatasetDict` with splits ``train``, ``validation``, ``test`` (loaded from ``output_dir``).
    """
    from datasets import Dataset, DatasetDict, load_from_disk
    from tqdm.auto import tqdm

    if chunk_size < 1:
        raise ValueError(f"`chunk_size` is {chunk_size}; it must be at least 1.")
    voices = [resolve_voice(v) for v in (voices if voices is not None else DEFAULT_VOICES)]
    if not voices or len(set(voices)) != len(voices):
        raise ValueError(f"`voices` is {voices}; give at least one voice, each once.")
    settings = _settings(num_sentences, seed, voices, tuple(split_fractions), chunk_size)
    meta_path = os.path.join(output_dir, METADATA_FILE)
    if os.path.exists(meta_path):
        with open(meta_path) as f:
            done = json.load(f)
        if done.get("settings") == settings:
            logger.info("Toy corpus already built in %s; loading it.", output_dir)
            return load_from_disk(output_dir)
        if not overwrite:
            raise FileExistsError(
                f"{output_dir} holds a toy corpus built with other settings ({done.get('settings')}); pass "
                "overwrite=True (--overwrite) or choose another --output-dir."
            )
        os.remove(meta_path)
    check_voices(voices)

    sentences = toy_sentences(num_sentences, seed)
    splits = split_sentences(num_sentences, seed, split_fractions)
    cache_root = os.path.join(output_dir, CACHE_DIR)
    os.makedirs(cache_root, exist_ok=True)

    # 1. synthesis, chunk by chunk (cached)
    chunks: Dict[Tuple[str, int], str] = {}
    todo: List[Tuple[str, List[str], str]] = []
    for voice in voices:
        vdir = os.path.join(cache_root, _voice_dir(voice))
        os.makedirs(vdir, exist_ok=True)
        for c in range(0, num_sentences, chunk_size):
            texts = sentences[c:c + chunk_size]
            chunk_dir = os.path.join(vdir, f"chunk-{c:05d}-{_chunk_key(voice, texts)}")
            chunks[(voice, c // chunk_size)] = chunk_dir
            if _read_chunk(chunk_dir) is None:
                todo.append((voice, texts, chunk_dir))
    n_cached = len(chunks) - len(todo)
    if n_cached:
        logger.info("Reusing %d of %d synthesised chunks from %s.", n_cached, len(chunks), cache_root)
    # slowest engine first (HTS), for a balanced pool
    todo.sort(key=lambda job: (job[0] != "festival:cmu_us_slt_arctic_hts", not job[0].startswith("festival")))
    num_workers = max(1, min(num_workers or os.cpu_count() or 1, len(todo) or 1))
    bar = tqdm(total=sum(len(t) for _, t, _ in todo), desc="Synthesising", unit="utt", disable=not progress)
    if todo and num_workers == 1:
        for job in todo:
            synthesize_chunk(*job)
            bar.update(len(job[1]))
    elif todo:  # festival and espeak-ng run in their own child processes: threads are enough here
        with ThreadPoolExecutor(num_workers) as ex:
            pending = {ex.submit(synthesize_chunk, *job): job for job in todo}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    job = pending.pop(fut)
                    fut.result()  # re-raises a worker's error
                    bar.update(len(job[1]))
    bar.close()

    # 2. statistics (from the chunk records, so a resumed build reports every chunk's own timing)
    per_voice: Dict[str, Dict[str, float]] = {}
    durations: Dict[Tuple[str, int], float] = {}
    for (voice, c), chunk_dir in chunks.items():
        meta = _read_chunk(chunk_dir)
        v = per_voice.setdefault(voice, {"utterances": 0, "audio_seconds": 0.0, "synthesis_seconds": 0.0})
        v["utterances"] += len(meta["texts"])
        v["audio_seconds"] += sum(meta["durations"])
        v["synthesis_seconds"] += meta["synthesis_seconds"]
        for j, d in enumerate(meta["durations"]):
            durations[(voice, c * chunk_size + j)] = d
    for v in per_voice.values():
        v["audio_hours"] = v["audio_seconds"] / 3600
        v["times_real_time"] = v["audio_seconds"] / max(v["synthesis_seconds"], 1e-9)

    # 3. the dataset
    arrow_cache = os.path.join(cache_root, "arrow")
    shutil.rmtree(arrow_cache, ignore_errors=True)
    features = _features()
    parts = {}
    for split in SPLITS:
        parts[split] = Dataset.from_generator(
            _rows, features=features, cache_dir=arrow_cache, keep_in_memory=False,
            gen_kwargs={"sentence_ids": splits[split], "voices": tuple(voices), "chunks": chunks,
                        "chunk_size": chunk_size},
            split=split,
        )
    for split in SPLITS:
        shutil.rmtree(os.path.join(output_dir, split), ignore_errors=True)
    DatasetDict(parts).save_to_disk(output_dir)
    del parts
    shutil.rmtree(arrow_cache, ignore_errors=True)

    split_stats = {}
    for split in SPLITS:
        secs = sum(durations[(v, s)] for v in voices for s in splits[split])
        split_stats[split] = {"sentences": len(splits[split]), "rows": len(splits[split]) * len(voices),
                              "audio_hours": secs / 3600}
    info = {
        "settings": settings,
        "splits": split_stats,
        "voices": per_voice,
        "total": {"sentences": num_sentences, "rows": num_sentences * len(voices),
                  "audio_hours": sum(v["audio_hours"] for v in per_voice.values())},
        "debian_packages": list(DEBIAN_PACKAGES),
        "note": "times_real_time = audio seconds / synthesis wall seconds of one process (per core).",
    }
    with open(meta_path + ".tmp", "w") as f:
        json.dump(info, f, indent=2)
    os.replace(meta_path + ".tmp", meta_path)
    if not keep_cache:
        shutil.rmtree(cache_root, ignore_errors=True)
    return load_from_disk(output_dir)


def corpus_info(output_dir: str) -> Dict[str, Any]:
    """The ``toy_corpus.json`` record of a built corpus (settings, split and voice statistics, speed)."""
    with open(os.path.join(output_dir, METADATA_FILE)) as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m processing.toy_corpus",
        description="Build a toy English speech corpus with word times (festival + espeak-ng, offline).",
    )
    p.add_argument("--output-dir", required=True, help="Folder for the save_to_disk DatasetDict.")
    p.add_argument("--num-sentences", type=int, default=DEFAULT_NUM_SENTENCES, help="Distinct sentences.")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--voices", nargs="+", default=None,
                   help=f"festival:NAME / espeak-ng:NAME (default: {' '.join(DEFAULT_VOICES)}).")
    p.add_argument("--split-fractions", type=float, nargs=3, default=list(DEFAULT_SPLIT_FRACTIONS),
                   metavar=("TRAIN", "VALIDATION", "TEST"))
    p.add_argument("--num-workers", type=int, default=None, help="Synthesis processes at a time (default: CPU count).")
    p.add_argument("--chunk-size", type=int, default=100, help="Sentences per synthesis job.")
    p.add_argument("--keep-cache", action="store_true", help="Keep the per-chunk synthesis cache.")
    p.add_argument("--overwrite", action="store_true", help="Rebuild a folder built with other settings.")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    t0 = time.perf_counter()
    dd = build_toy_corpus(
        args.output_dir, num_sentences=args.num_sentences, seed=args.seed, voices=args.voices,
        split_fractions=tuple(args.split_fractions), num_workers=args.num_workers, chunk_size=args.chunk_size,
        keep_cache=args.keep_cache, overwrite=args.overwrite, progress=not args.no_progress,
    )
    info = corpus_info(args.output_dir)
    print(dd)
    for split, s in info["splits"].items():
        print(f"{split}: {s['sentences']} sentences, {s['rows']} rows, {s['audio_hours']:.2f} h")
    for voice, v in info["voices"].items():
        print(f"{voice}: {v['audio_hours']:.2f} h, synthesis {v['times_real_time']:.0f}x real time per process")
    print(f"total {info['total']['audio_hours']:.2f} h; wall {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
