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
    prompt = "There are seven birds by the lake, said"
    out = pipe(prompt, output_modality="text", max_new_tokens=args.max_new_tokens, do_sample=False)
    print(f"text -> text  | prompt: {prompt!r}")
    for segment in out:
        print(f"               {segment['type']}: {segment['text']!r}")


if __name__ == "__main__":
    main()
