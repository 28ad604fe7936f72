# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The modes of the zero-shot likelihood tasks (paper Table 4: ``T``, ``S``, ``T>S``, ``S>T``): which task has
which, how users may spell them, which side (text or audio) of the context and of the candidates each mode reads, and
so which manifest fields a run needs.

Shared by the evaluator (:mod:`recipes.eval.zero_shot`) and the converter of official folders
(:mod:`recipes.eval.official`), which checks the fields at the official file and line.
"""

from typing import Dict, List, Sequence

TASK_MODES = {"swuggy": ("T", "S"), "sblimp": ("T", "S"),
              "storycloze": ("T", "S", "T>S", "S>T"), "topic-storycloze": ("T", "S", "T>S", "S>T")}
STORY_TASKS = ("storycloze", "topic-storycloze")  # tasks whose items have a context before the candidates
_MODE_ALIASES = {"t": "T", "s": "S", "t>s": "T>S", "t->s": "T>S", "t→s": "T>S", "ts": "T>S", "s>t": "S>T",
                 "s->t": "S>T", "s→t": "S>T", "st": "S>T", "text": "T", "speech": "S"}


def parse_modes(task: str, modes) -> List[str]:
    """The modes asked for (``None``/``"all"``, a comma-separated string or a list; aliases such as ``"t->s"``) as
    canonical names, each once; an error names the modes ``task`` allows."""
    allowed = TASK_MODES[task]
    if modes is None or modes == "all":
        return list(allowed)
    if isinstance(modes, str):
        modes = [m for m in modes.split(",") if m.strip()]
    out = []
    for m in modes:
        key = _MODE_ALIASES.get(str(m).strip().lower())
        if key not in allowed:
            raise ValueError(f"Mode {m!r} is not available for {task}; allowed: {list(allowed)} (or 'all').")
        out.append(key)
    return list(dict.fromkeys(out))


def mode_sides(mode: str, has_context: bool) -> Dict[str, str]:
    """Which side of each part a mode reads: {'context': 'text'|'audio'|None, 'candidate': 'text'|'audio'}."""
    ctx_side = {"T": "text", "S": "audio", "T>S": "text", "S>T": "audio"}[mode]
    cand_side = {"T": "text", "S": "audio", "T>S": "audio", "S>T": "text"}[mode]
    return {"context": ctx_side if has_context else None, "candidate": cand_side}


def required_fields(task: str, modes: Sequence[str]) -> tuple:
    """The manifest fields every record of ``task`` needs for ``modes`` (sorted)."""
    story = task in STORY_TASKS
    required = {"id"}
    for mode in modes:
        side = mode_sides(mode, story)
        suffix = "_text" if side["candidate"] == "text" else "_audio"
        required.update({"good" + suffix, "bad" + suffix})
        if story and mode in ("T", "T>S"):
            required.add("context_text")
        if story and mode == "S>T":
            required.add("context_audio")
    return tuple(sorted(required))


__all__ = ["TASK_MODES", "STORY_TASKS", "mode_sides", "parse_modes", "required_fields"]
