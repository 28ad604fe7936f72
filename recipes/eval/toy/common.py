# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""What every toy task shares: the task names, the model check, the vocoder speaker of a corpus voice, the error
rates, and :class:`ToyRun` (the pipeline, the judge, the rows, the work folder and the result of one evaluation)."""

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, List, Optional, Sequence

from ..metrics import load_metric
from ..results import add_metric

TOY_TASKS = ("resynthesis", "asr", "tts", "continuation", "storycloze")
VOCODER_TASKS = ("resynthesis", "tts", "continuation")  # tasks whose output is speech: they need the vocoder
NUM_EXAMPLES = 5


def parse_tasks(tasks) -> List[str]:
    """The toy tasks asked for (``None``/``"all"``, a comma- or space-separated string, or a list), each once, in the
    order given; an unknown name is an error listing :data:`TOY_TASKS`."""
    if tasks is None or tasks == "all":
        return list(TOY_TASKS)
    if isinstance(tasks, str):
        tasks = [t for t in re.split(r"[,\s]+", tasks) if t]
    out = []
    for t in tasks:
        t = str(t).strip().lower()
        if t not in TOY_TASKS:
            raise ValueError(f"Unknown toy task {t!r}; allowed: {list(TOY_TASKS)} (or 'all').")
        out.append(t)
    if not out:
        raise ValueError(f"No task given; choose from {list(TOY_TASKS)}.")
    return list(dict.fromkeys(out))


def vocoder_speaker(vocoder, name: Optional[str]):
    """The vocoder speaker for a corpus voice: ``name`` when the vocoder has a speaker of that name, else ``None``
    (the vocoder's default)."""
    cfg = getattr(vocoder, "config", None)
    if name is not None and cfg is not None and getattr(cfg, "multispkr", False) and name in list(cfg.speakers or []):
        return name
    return None


def check_model(pipe, tasks: Sequence[str]) -> None:
    if getattr(pipe, "speech_tokenizer", None) is None:
        raise ValueError(f"The tasks {list(tasks)} need the model's speech tokenizer, but the model has none: give a "
                         "Spirit LM folder with a `speech_tokenizer/` subfolder (or a pipeline built with "
                         "`speech_tokenizer=`).")
    needs = [t for t in tasks if t in VOCODER_TASKS]
    if needs and getattr(pipe, "vocoder", None) is None:
        raise ValueError(f"The tasks {needs} produce speech and need the model's vocoder, but the model has none: give "
                         "a Spirit LM folder with a `vocoder/` subfolder (or a pipeline built with `vocoder=`), or "
                         f"leave those tasks out (e.g. tasks={[t for t in tasks if t not in VOCODER_TASKS]}).")


@lru_cache(maxsize=None)
def _metric(name: str):
    return load_metric(name)


def error_rate(name: str, hypotheses: Sequence[str], references: Sequence[str]) -> float:
    """Corpus-level WER or CER in % (the local metric; NaN for no item)."""
    if not references:
        return float("nan")
    return 100.0 * _metric(name).compute(predictions=list(hypotheses), references=list(references))[name]


class ToyRun:
    """What every task shares: the pipeline, the judge, the rows, the work folder, the result."""

    def __init__(self, pipe, judge, rows, result, work_dir: Path, batch_size: int, seed: int, progress: bool,
                 cut_fraction: float):
        self.pipe, self.judge, self.rows, self.result = pipe, judge, rows, result
        self.work_dir, self.batch_size, self.seed, self.progress = work_dir, batch_size, seed, progress
        self.cut_fraction = cut_fraction
        self.pool_units: Optional[List[str]] = None

    def metric(self, task: str, name: str, key: str, value: float, n: int, label: str, unit: str, **extra):
        add_metric(self.result, name, f"{task}/{key}", float(value), int(n), task=task, label=label, unit=unit,
                   **extra)

    def speaker(self, row) -> Any:
        return vocoder_speaker(self.pipe.vocoder, row.get("speaker"))


__all__ = ["TOY_TASKS", "VOCODER_TASKS", "NUM_EXAMPLES", "ToyRun", "check_model", "error_rate", "parse_tasks",
           "vocoder_speaker"]
