# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""README's main job: a real generation through ``pipeline("spirit-lm")``.

```
python -m modeling_spirit.demo                      # the embedded tiny default (random weights, built in seconds)
python -m modeling_spirit.demo --model OUT          # a converted real checkpoint (see README)
```
"""

import argparse
import time
from pathlib import Path

import soundfile as sf
from transformers import pipeline

import modeling_spirit  # noqa: F401  (registers pipeline("spirit-lm"))
from modeling_spirit.tiny import build_tiny_spirit_lm


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m modeling_spirit.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="a Spirit LM folder; default: build the tiny random default")
    parser.add_argument("--variant", default="base", choices=["base", "expressive"], help="variant of the tiny default")
    parser.add_argument("--output-dir", default="out", help="where the tiny default and outputs are written")
    parser.add_argument("--max-new-tokens", type=int, default=24)
    args = parser.parse_args(argv)

    t0 = time.perf_counter()
    model = args.model
    if model is None:
        model = build_tiny_spirit_lm(str(Path(args.output_dir) / f"tiny-spirit-lm-{args.variant}"), args.variant)
        print(f"Embedded default: a tiny Spirit LM with RANDOM weights at {model} (built in "
              f"{time.perf_counter() - t0:.1f}s). Its outputs exercise the machinery; they mean nothing.")
    pipe = pipeline("spirit-lm", model=model)
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    prompt = "There are seven birds by the lake, said"

    out = pipe(prompt, output_modality="text", max_new_tokens=args.max_new_tokens, do_sample=False)
    print(f"text -> text   | prompt: {prompt!r}")
    print(f"                 text: {out[0]['text']!r}")

    out = pipe(prompt, output_modality="speech", max_new_tokens=4 * args.max_new_tokens, do_sample=True, seed=0)
    speech = out[0]
    wav_path = out_dir / "text_to_speech.wav"
    sf.write(wav_path, speech["audio"], speech["sampling_rate"])
    print(f"text -> speech | prompt: {prompt!r}")
    print(f"                 units: {speech['units'][:60]}... ({speech['units'].count('[Hu')} HuBERT units)")
    print(f"                 audio: {len(speech['audio']) / speech['sampling_rate']:.2f} s written to {wav_path}")

    if speech["audio"].size:
        out = pipe(speech["audio"], output_modality="text", max_new_tokens=args.max_new_tokens, do_sample=False,
                   return_prompt=True)
        segments, speech_prompt = out
        print(f"speech -> text | prompt: {speech_prompt[:60]}... (the audio above, re-tokenized)")
        print(f"                 text: {segments[0]['text']!r}")
    print(f"done in {time.perf_counter() - t0:.1f}s")


if __name__ == "__main__":
    main()
