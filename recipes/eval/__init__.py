# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM evaluation suite: the paper's protocols (Tables 3, 4, 5, 10) as one command per task.

```python
from recipes.eval import evaluate
result = evaluate("swuggy", model="spirit-lm-base-7b", data="swuggy/dev.jsonl", output="results/swuggy.json")
print(format_table(result))
```

``spirit-lm evaluate TASK --model M --data D [--output results.json]`` does the same from the shell
(``recipes/eval/README.md``: data layouts and one command per task).
"""

from typing import Any, Dict, Optional

from .few_shot_tasks import evaluate_few_shot
from .likelihood import pair_accuracy, sequence_logprobs
from .results import format_table, results_to_eval_results, write_result
from .stsp import evaluate_stsp
from .toy import evaluate_toy
from .zero_shot import evaluate_zero_shot

ZERO_SHOT_TASKS = ("swuggy", "sblimp", "storycloze", "topic-storycloze")
FEW_SHOT_TASKS = ("asr", "tts", "intent")
TASKS = ZERO_SHOT_TASKS + ("stsp",) + FEW_SHOT_TASKS + ("toy",)


def evaluate(task: str, model, data, output: Optional[str] = None, **kwargs) -> Dict[str, Any]:
    """Run ``task`` on ``model`` (folder, Hub id or ``pipeline("spirit-lm")``) with the manifest ``data`` (for
    ``"toy"``: the toy corpus folder); write the JSON result to ``output`` when given. Keyword arguments go to the
    task's function (:func:`~recipes.eval.zero_shot.evaluate_zero_shot`, :func:`~recipes.eval.stsp.evaluate_stsp`,
    :func:`~recipes.eval.few_shot_tasks.evaluate_few_shot`, :func:`~recipes.eval.toy.evaluate_toy`)."""
    task = task.lower()
    if task in ZERO_SHOT_TASKS:
        result = evaluate_zero_shot(task, model, data, **kwargs)
    elif task == "stsp":
        result = evaluate_stsp(model, data, **kwargs)
    elif task in FEW_SHOT_TASKS:
        result = evaluate_few_shot(task, model, data, **kwargs)
    elif task == "toy":
        return evaluate_toy(model, data, output=output, **kwargs)
    else:
        raise ValueError(f"Unknown task {task!r}; allowed: {list(TASKS)}.")
    if output:
        write_result(result, output)
    return result


__all__ = ["evaluate", "sequence_logprobs", "pair_accuracy", "format_table", "results_to_eval_results",
           "write_result", "TASKS"]
