# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""``spirit-lm train-toy`` (also ``python -m recipes.toy.train``): train the toy Spirit LM end to end
(:func:`recipes.toy.stages.train_toy`), optionally compare LMs with and without interleaved data
(:mod:`recipes.toy.experiment`), write the folder's model card and install it as the embedded default
(:mod:`recipes.toy.ship`).

```bash
python -m recipes.toy.train --output_dir out/toy-spirit-lm --ship_default true     # what `make toy-model` runs
python -m recipes.toy.train --output_dir out/toy-ci --preset ci                      # the same stages, minutes
```
"""

import argparse
import json
import logging
import os
import shutil
import sys
from typing import Optional, Sequence

from transformers import HfArgumentParser

from .arguments import ToyTrainingArguments
from .experiment import COMPARISON_FILE, CompareArguments, compare_interleaving, format_comparison
from .ship import ShipArguments, ship_default, write_toy_card
from .stages import train_toy


def build_parser() -> argparse.ArgumentParser:
    return HfArgumentParser((ToyTrainingArguments, CompareArguments, ShipArguments), prog="spirit-lm train-toy",
                            description="Train a toy Spirit LM end to end on a CPU (corpus, speech tokenizer, "
                                        "vocoder, LM) and evaluate it; optionally compare LMs trained with and "
                                        "without word-interleaved data.")


def main(argv: Optional[Sequence[str]] = None) -> int:
    args, cmp, ship = build_parser().parse_args_into_dataclasses(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    report = train_toy(args)
    print(json.dumps({"timings_seconds": report["timings_seconds"], "training_seconds": report["training_seconds"],
                      "output_dir": args.output_dir}, indent=1, default=str))
    comparison = None
    if cmp.compare_dir:
        comparison = compare_interleaving(args, cmp.compare_dir, cmp.compare_seeds, cmp.compare_lm_steps,
                                          eval_tasks=cmp.compare_eval_tasks, eval_limit=cmp.compare_eval_limit)
        print(format_comparison(comparison))
        if os.path.isdir(args.output_dir):  # the trained folder carries its comparison (its card shows it)
            shutil.copy(os.path.join(cmp.compare_dir, COMPARISON_FILE), args.output_dir)
    if os.path.isfile(os.path.join(args.output_dir, "evaluation.json")):
        print(f"model card: {write_toy_card(args.output_dir, comparison=comparison)}")
    if ship.ship_default:
        shipped = ship_default(args.output_dir)
        print(f"embedded default written to {shipped['dest']} ({shipped['bytes'] / 1e6:.1f} MB)")
    return 0



__all__ = ["build_parser", "main"]

if __name__ == "__main__":
    sys.exit(main())
