# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The paper's central claim at toy scale: LMs trained with and without the word-interleaved data on one shared base
(corpus, speech tokenizer, units, vocoder), per seed, then the cross-modal evaluations (:func:`compare_interleaving`,
``spirit-lm train-toy ... --compare_dir DIR``)."""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

from recipes.eval.toy import parse_tasks

from .arguments import ToyTrainingArguments, apply_preset, mixture_weights
from .stages import train_toy


COMPARE_TASKS = ("asr", "tts", "storycloze")
UPSTREAM_STAGES = ("corpus", "speech_tokenizer", "encode", "vocoder")
COMPARISON_FILE = "compare_interleaving.json"  # a trained folder carries it; its card (recipes.toy.ship) shows it


def compare_interleaving(
    base: ToyTrainingArguments,
    output_dir: str,
    seeds: Sequence[int] = (0, 1),
    lm_steps: Optional[int] = None,
    eval_tasks: Sequence[str] = COMPARE_TASKS,
    eval_limit: Optional[int] = None,
) -> Dict[str, Any]:
    """The paper's central claim at toy scale: the same LM trained for the same steps with and without the
    word-interleaved data, for each LM seed, then the cross-modal evaluations; mean and spread per metric.

    ``base`` names a run whose corpus, speech tokenizer, units and vocoder are finished (its work folder is reused
    read-only: each comparison run links those four stages and redoes only ``lm_init`` (seeded), ``lm_data`` and ``lm``).
    Writes ``output_dir/compare_interleaving.json`` (with ``base_stage_settings``: the settings of those four stages,
    so a card can tell whether a model shares them) and ``.md``; every run folder stays under ``output_dir``.
    """
    base = apply_preset(base)
    base_work = base.work_dir or base.output_dir.rstrip("/") + "-work"
    for stage in UPSTREAM_STAGES:
        if not os.path.isfile(os.path.join(base_work, stage, "stage.json")):
            raise ValueError(f"{base_work} has no finished {stage!r} stage; run `spirit-lm train-toy` for the base "
                             "first (the comparison reuses its corpus, speech tokenizer, units and vocoder).")
    base_stages = {}
    for stage in UPSTREAM_STAGES:  # what the runs share, as the base's markers hold it (the card checks it)
        with open(os.path.join(base_work, stage, "stage.json"), encoding="utf-8") as f:
            base_stages[stage] = json.load(f)["settings"]
    os.makedirs(output_dir, exist_ok=True)
    runs = []
    for interleave in (True, False):
        for seed in seeds:
            name = f"{'with' if interleave else 'without'}-interleaving-seed{seed}"
            out = os.path.join(output_dir, name)
            work = out + "-work"
            os.makedirs(work, exist_ok=True)
            for stage in UPSTREAM_STAGES:
                link = os.path.join(work, stage)
                if not os.path.exists(link):
                    os.symlink(os.path.abspath(os.path.join(base_work, stage)), link)
            args = dataclasses.replace(
                base, output_dir=out, work_dir=work, interleave=interleave, lm_seed=seed,
                lm_steps=lm_steps or base.lm_steps, evaluate=True, eval_tasks=list(eval_tasks),
                eval_limit=eval_limit if eval_limit is not None else base.eval_limit, stop_after=None,
            )
            report = train_toy(args)
            evaluation = report["stages"].get("evaluate", {})
            metrics = {m["key"]: m["value"] for m in evaluation.get("metrics", [])}
            runs.append({"name": name, "interleave": interleave, "lm_seed": seed, "metrics": metrics,
                         "lm_last_loss": report["stages"]["lm"]["last_loss"],
                         "lm_seconds": report["stages"]["lm"]["seconds"]})
    keys = sorted({k for r in runs for k in r["metrics"]})
    table = {}
    for key in keys:
        row = {}
        for interleave in (True, False):
            vals = [r["metrics"][key] for r in runs if r["interleave"] == interleave and key in r["metrics"]]
            row["with" if interleave else "without"] = {
                "values": vals, "mean": statistics.fmean(vals) if vals else None,
                "std": statistics.stdev(vals) if len(vals) > 1 else 0.0,
            }
        table[key] = row
    result = {"seeds": list(seeds), "lm_steps": lm_steps or base.lm_steps, "eval_limit": eval_limit,
              "mixture_with": mixture_weights(dataclasses.replace(base, interleave=True)),
              "mixture_without": mixture_weights(dataclasses.replace(base, interleave=False)),
              "base_stage_settings": base_stages, "runs": runs, "table": table}
    with open(os.path.join(output_dir, COMPARISON_FILE), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(output_dir, "compare_interleaving.md"), "w", encoding="utf-8") as f:
        f.write(format_comparison(result))
    return result


def format_comparison(result: Dict[str, Any]) -> str:
    """Markdown table: metric | with interleaving (mean ± std, per seed) | without."""
    lines = [f"LM seeds {result['seeds']}, {result['lm_steps']} steps each; mean ± std over seeds (per-seed values).",
             "", "| metric | with interleaving | without interleaving |", "|---|---|---|"]

    def cell(c):
        if c["mean"] is None:
            return "-"
        return f"{c['mean']:.3g} ± {c['std']:.2g} ({', '.join(f'{v:.3g}' for v in c['values'])})"

    for key, row in result["table"].items():
        lines.append(f"| {key} | {cell(row['with'])} | {cell(row['without'])} |")
    return "\n".join(lines) + "\n"


@dataclass
class CompareArguments:
    """``--compare_dir DIR``: after the base run (trained or resumed), the with/without-interleaving comparison."""

    compare_dir: Optional[str] = field(default=None, metadata={"help": "Run the interleaving comparison here."})
    compare_seeds: List[int] = field(default_factory=lambda: [0, 1], metadata={"help": "LM seeds per arm."})
    compare_lm_steps: Optional[int] = field(default=None, metadata={"help": "LM steps per run (default: lm_steps)."})
    compare_eval_limit: Optional[int] = None
    compare_eval_tasks: List[str] = field(default_factory=lambda: list(COMPARE_TASKS),
                                          metadata={"help": f"Evaluation tasks of each run (default: {COMPARE_TASKS})."})
    def __post_init__(self):
        self.compare_eval_tasks = parse_tasks(self.compare_eval_tasks)  # fails here, not after four LM trainings


__all__ = ["compare_interleaving", "format_comparison", "CompareArguments", "COMPARE_TASKS", "UPSTREAM_STAGES",
           "COMPARISON_FILE"]
