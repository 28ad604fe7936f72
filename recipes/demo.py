# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""README's main job: a real generation through ``pipeline("spirit-lm")``.

```
python -m recipes.demo                      # the embedded default: the toy Spirit LM trained here
python -m recipes.demo --tiny-random        # the tiny RANDOM model (machinery only, built in a second)
python -m recipes.demo --model OUT          # any Spirit LM folder (a converted real checkpoint, see README)
```

The embedded default (``recipes/toy_model/``, written by ``spirit-lm train-toy`` and committed) is a 4M-
parameter Spirit LM with its own speech tokenizer and vocoder, trained from scratch on this machine's CPU on a
synthetic English corpus of a small closed world (festival + espeak-ng voices). Its ``examples/`` hold a few held-out
recordings for the speech-in and few-shot demos.
"""

import argparse
import json
import time
from pathlib import Path

import soundfile as sf
from transformers import pipeline

import modeling_spirit  # noqa: F401  (registers pipeline("spirit-lm"))
from recipes.eval.judges import load_asr_judge
from recipes.tiny.models import build_tiny_spirit_lm
from recipes.toy import TOY_MODEL


def _examples(folder: Path):
    """``(shots, queries)`` from ``folder/examples/examples.json``: shots = [(wav path, text)], queries likewise."""
    meta = folder / "examples" / "examples.json"
    if not meta.is_file():
        return [], []
    data = json.loads(meta.read_text())
    pairs = lambda rows: [(folder / "examples" / r["audio"], r["text"]) for r in rows]  # noqa: E731
    return pairs(data["shots"]), pairs(data["queries"])


def _load_judge():
    """The evaluation suite's offline ASR judge (Whisper tiny.en through faster-whisper), or None when its packages
    are missing (the `eval` extra; `make setup` installs it)."""
    try:
        return load_asr_judge(None)
    except ImportError:
        return None


def _hear(judge, audio) -> None:
    if judge is not None and audio.size:
        print(f"                  an ASR judge (Whisper tiny.en, offline) hears: {judge([audio])[0].strip()!r}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m recipes.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a Spirit LM folder; default: the embedded toy model")
    parser.add_argument("--tiny-random", action="store_true", help="run the tiny random model instead")
    parser.add_argument("--output-dir", default="out", help="where outputs (and the tiny random model) are written")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--no-judge", action="store_true",
                        help="do not transcribe the generated speech with the offline ASR judge (Whisper tiny.en)")
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    model = args.model
    if args.tiny_random or (model is None and not (TOY_MODEL / "config.json").is_file()):
        model = build_tiny_spirit_lm(str(Path(args.output_dir) / "tiny-spirit-lm-base"), "base")
        print(f"A tiny Spirit LM with RANDOM weights at {model}: its outputs exercise the machinery; they mean nothing.")
    elif model is None:
        model = str(TOY_MODEL)
        print(f"Embedded default: {model}\n  a toy Spirit LM trained from scratch on a CPU by `spirit-lm train-toy` "
              "on synthetic speech of a small closed world (see README: what it is, measured quality).")
    pipe = pipeline("spirit-lm", model=model)
    judge = None if args.no_judge else _load_judge()
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shots, queries = _examples(Path(model))
    prompt = "the little dog finds"

    out = pipe(prompt, output_modality="text", max_new_tokens=args.max_new_tokens, do_sample=False)
    print(f"text -> text    | prompt: {prompt!r}")
    print(f"                  text: {out[0]['text']!r}")

    speech = pipe(prompt, output_modality="speech", max_new_tokens=6 * args.max_new_tokens, do_sample=True, seed=0)[0]
    wav_path = out_dir / "text_to_speech.wav"
    sf.write(wav_path, speech["audio"], speech["sampling_rate"])
    print(f"text -> speech  | prompt: {prompt!r} (continued in speech)")
    print(f"                  {speech['units'].count('[Hu')} HuBERT units, "
          f"{len(speech['audio']) / speech['sampling_rate']:.2f} s written to {wav_path}")
    _hear(judge, speech["audio"])

    if shots and queries:
        audio, truth = queries[0]
        heard = pipe(audio, few_shot="asr", examples=shots, max_new_tokens=40, do_sample=False)[0]
        print(f"speech -> text  | few-shot ASR ({len(shots)} examples) of {audio.name} (said: {truth!r})")
        print(f"                  heard: {heard['text']!r}")
        text = queries[1][1] if len(queries) > 1 else truth
        said = pipe(text, few_shot="tts", examples=[(t, a) for a, t in shots], max_new_tokens=150, do_sample=False)[0]
        tts_path = out_dir / "tts.wav"
        sf.write(tts_path, said["audio"], said["sampling_rate"])
        print(f"text -> speech  | few-shot TTS of {text!r}")
        print(f"                  {len(said['audio']) / said['sampling_rate']:.2f} s written to {tts_path}")
        _hear(judge, said["audio"])
    elif speech["audio"].size:
        out = pipe(speech["audio"], output_modality="text", max_new_tokens=args.max_new_tokens, do_sample=False)
        print("speech -> text  | the audio above, re-tokenized and continued in text")
        print(f"                  text: {out[0]['text']!r}")
    print(f"done in {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
