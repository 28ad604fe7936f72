# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Few-shot prompts for ASR, TTS and intent classification (paper appendix B).

Exact formats (``<units>`` is the example's unit string from the speech tokenizer; examples are concatenated with
nothing in between, the markers delimit them):

* ASR (speech → text): ``[Speech]<units>[Text]<transcript>`` × k, then ``[Speech]<units>[Text]``
* TTS (text → speech): ``[Text]<text>[Speech]<units>`` × k, then ``[Text]<text>[Speech]``
* Intent classification: ``[Speech]<units>[Text]A:<intent>`` × k, then ``[Speech]<units>[Text]A:``

Generation then stops when the model opens the next example (the marker of the prompt's modality): the pipeline
does this with ``pipe(query, few_shot="asr", examples=[(audio, "transcript"), ...])``.
"""

from typing import Callable, List, Optional, Sequence, Tuple

from .constants import SPEECH_MARKER, TEXT_MARKER
from .units import does_start_with_speech_token

FEW_SHOT_TASKS = ("asr", "tts", "intent")
INTENT_PREFIX = "A:"

# For each task: the modality of the query (its marker opens the next example, where generation stops) and of the
# answer.
TASK_MODALITIES = {"asr": ("speech", "text"), "tts": ("text", "speech"), "intent": ("speech", "text")}
# For each task: the modality of the answer, and the marker that opens the next example (kept for users of this name).
TASK_OUTPUT = {
    task: (answer, SPEECH_MARKER if query == "speech" else TEXT_MARKER)
    for task, (query, answer) in TASK_MODALITIES.items()
}


def few_shot_stop_ids(task: str, config) -> List[int]:
    """The ids where few-shot generation stops: the config's EOS id(s), then the marker id (``config.text_marker_id``
    / ``config.speech_marker_id``) of the query's modality, which opens the next example."""
    query = TASK_MODALITIES[_check_task(task)][0]
    stop_id = config.speech_marker_id if query == "speech" else config.text_marker_id
    eos = config.eos_token_id
    return [*(eos if isinstance(eos, (list, tuple)) else [eos]), stop_id]


def _check_task(task: str) -> str:
    task = str(task).lower()
    if task not in FEW_SHOT_TASKS:
        raise ValueError(f"Unknown few-shot task {task!r}; allowed: {FEW_SHOT_TASKS}.")
    return task


def _units(audio, encode_speech: Optional[Callable]) -> str:
    """Audio → unit string; a string that already starts with a unit token is used as is."""
    if isinstance(audio, str) and does_start_with_speech_token(audio):
        return audio
    if encode_speech is None:
        raise ValueError("Few-shot prompts with audio need the speech tokenizer (pass `encode_speech`).")
    return encode_speech(audio)


def few_shot_prompt(
    task: str,
    examples: Sequence[Tuple[object, object]],
    query,
    encode_speech: Optional[Callable[[object], str]] = None,
    intent_prefix: str = INTENT_PREFIX,
) -> str:
    """Build a few-shot prompt string.

    Args:
        task (`str`): ``"asr"``, ``"tts"`` or ``"intent"``.
        examples: ``(audio, transcript)`` pairs for ASR, ``(text, audio)`` for TTS, ``(audio, intent)`` for intent.
            Audio is anything the speech tokenizer reads, or an already computed unit string (``"[Hu5][Hu9]..."``).
        query: the audio (ASR, intent) or the text (TTS) to answer for.
        encode_speech: audio → unit string (the speech tokenizer's ``encode_string``).
        intent_prefix (`str`, defaults to ``"A:"``): the answer prefix of intent prompts.
    """
    task = _check_task(task)
    if not examples:
        raise ValueError(f"A few-shot {task} prompt needs at least one example; got none.")
    parts = []
    for index, example in enumerate(examples):
        if not (isinstance(example, (tuple, list)) and len(example) == 2):
            raise ValueError(f"Few-shot example {index} must be a pair; got {example!r:.80}.")
        first, second = example
        if task == "tts":
            parts.append(f"{TEXT_MARKER}{first}{SPEECH_MARKER}{_units(second, encode_speech)}")
        else:
            answer = f"{intent_prefix}{second}" if task == "intent" else f"{second}"
            parts.append(f"{SPEECH_MARKER}{_units(first, encode_speech)}{TEXT_MARKER}{answer}")
    if task == "tts":
        parts.append(f"{TEXT_MARKER}{query}{SPEECH_MARKER}")
    else:
        parts.append(f"{SPEECH_MARKER}{_units(query, encode_speech)}{TEXT_MARKER}")
        if task == "intent":
            parts.append(intent_prefix)
    return "".join(parts)


__all__ = ["few_shot_prompt", "few_shot_stop_ids", "FEW_SHOT_TASKS", "TASK_MODALITIES", "TASK_OUTPUT", "INTENT_PREFIX"]
