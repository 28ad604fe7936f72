# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Training throughput of the recipes: packing vs padding on the tiny Spirit LM (CPU).

    .venv/bin/python benchmarks/bench_training.py [--steps 20] [--batch 4] [--max-length 512] [--threads N]

The same data (the tiny pretraining mixture of ``recipes/tiny/make_data.py``: speech-only, interleaved and text-only
sequences of very different lengths), the same model initialisation, the same number of optimizer steps and batch
size, trained with TRL's ``SFTTrainer`` as ``recipes/scripts/pretrain.py`` does:

* padding: ``packing: false``, each batch padded to its longest sequence;
* packing, ``wrapped``: the token stream cut into dense ``--max-length`` blocks (documents attend across their
  boundary, as in classic LM pretraining), a ``(batch, max_length)`` tensor;
* packing, ``bfd_split`` (the recipes' setting): documents best-fit into ``--max-length`` rows, **padding-free**: the
  batch is flattened into one row with position ids restarting at each document, no attention across documents.
  With FlashAttention's varlen kernel this costs what the separate documents cost; with ``sdpa`` / ``eager`` (the
  CPU) transformers turns it into one ``batch * max_length`` long row with a block-diagonal mask, so the attention
  is computed over the whole flattened row and the gain shrinks or vanishes.

Reported: training tokens/s (tokens that carry a label, i.e. no padding; from the trainer's ``num_tokens``), the
padded positions the model computed, and the packing / padding tokens/s ratio. Both runs happen in this process, one
after the other; the machine's load average is printed (a shared machine makes absolute numbers noisy).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]


def loadavg() -> str:
    try:
        return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:  # pragma: no cover
        return "load average n/a"


def train_once(model_dir, dataset, packing: bool, strategy: str, steps: int, batch: int, max_length: int, out: str):
    import torch
    from trl import SFTConfig, SFTTrainer

    from recipes.scripts.spirit_recipe import load_spirit_model, load_spirit_tokenizer

    tokenizer = load_spirit_tokenizer(model_dir)
    torch.manual_seed(0)
    model = load_spirit_model(model_dir, training=True)  # no KV cache: packed documents stay apart
    args = SFTConfig(
        output_dir=out, max_steps=steps, per_device_train_batch_size=batch, learning_rate=3e-3,
        lr_scheduler_type="constant", packing=packing, packing_strategy=strategy, max_length=max_length,
        activation_checkpointing=False, bf16=False, use_cpu=True, logging_steps=1, save_strategy="no",
        report_to="none", seed=0, dataloader_drop_last=True,
    )
    trainer = SFTTrainer(model=model, args=args, train_dataset=dataset, processing_class=tokenizer)
    positions = 0
    collate = trainer.data_collator

    def counting(features):
        nonlocal positions
        out = collate(features)
        positions += out["input_ids"].numel()
        return out

    trainer.data_collator = counting
    start = time.perf_counter()
    trainer.train()
    seconds = time.perf_counter() - start
    tokens = [e["num_tokens"] for e in trainer.state.log_history if "num_tokens" in e][-1]
    losses = [e["loss"] for e in trainer.state.log_history if "loss" in e]
    return {"seconds": seconds, "tokens": tokens, "positions": positions, "first_loss": losses[0],
            "last_loss": losses[-1]}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--max-length", type=int, default=512)
    p.add_argument("--threads", type=int, default=None)
    args = p.parse_args(argv)

    import torch
    from datasets import load_dataset

    from recipes.tiny.make_data import make_tiny_data

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {os.cpu_count()} CPUs, {loadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_tiny_data(os.path.join(tmp, "data"), os.path.join(tmp, "tiny"), n_train=96, n_test=8)
        dataset = load_dataset("json", data_files=paths["pretrain"], split="train")
        lengths = [len(t) for t in dataset["text"]]
        print(f"data: {len(dataset)} sequences of {min(lengths)}-{max(lengths)} characters (tiny pretraining mixture)")
        results = {}
        runs = (("padding", False, "bfd_split"), ("bfd_split", True, "bfd_split"), ("wrapped", True, "wrapped"))
        for name, packing, strategy in runs:
            r = train_once(paths["model"], dataset, packing, strategy, args.steps, args.batch, args.max_length,
                           os.path.join(tmp, name))
            results[name] = r
            print(f"  {name:8s} {args.steps} steps x batch {args.batch}: {r['seconds']:6.2f} s, "
                  f"{r['tokens']:7.0f} training tokens ({r['tokens'] / r['positions']:.0%} of the {r['positions']} "
                  f"positions computed), {r['tokens'] / r['seconds']:8.0f} tokens/s, loss {r['first_loss']:.2f} -> "
                  f"{r['last_loss']:.2f}   [{loadavg()}]")
    speed = {k: r["tokens"] / r["seconds"] for k, r in results.items()}
    print(f"ratio packing (wrapped) / padding training tokens/s: {speed['wrapped'] / speed['padding']:.2f}x")
    print(f"ratio packing (bfd_split, padding-free) / padding training tokens/s: "
          f"{speed['bfd_split'] / speed['padding']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
