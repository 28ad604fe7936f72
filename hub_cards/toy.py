# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The model card of the toy Spirit LM that ``spirit-lm train-toy`` trains from scratch on a CPU, rendered from plain
data.

The card is made from the folder's own measurements, never typed by hand: ``toy_training.json`` (the training
report: seconds and losses per stage, settings), ``evaluation.json`` (the toy evaluation's result) and, when given or
lying in the folder, the with/without-interleaving comparison (``compare_interleaving.json``). :func:`load_toy_reports`
reads them (JSON only); :func:`toy_card_inputs_from_reports` turns them, with the tables and facts that the toy
recipe computes (the evaluation and comparison tables, the preset's defaults, where the comparison's base differs),
into ``(card_data, card_vars)`` for the project's one template (:func:`hub_cards.render_model_card` with
``trained_from_scratch=True``): no Meta weights, Apache-2.0 (``license: apache-2.0`` in the front-matter), the
evaluation numbers also in the front-matter's ``model-index``.

This module imports nothing else of the repository. The one-call entry points that compute those inputs from a
folder are in the toy recipe:

```python
from recipes.toy.ship import write_toy_card
write_toy_card("out/toy-spirit-lm", repo_id="my-org/spirit-lm-toy",
               comparison="out/toy-compare/compare_interleaving.json")    # optional
# -> out/toy-spirit-lm/README.md
```
"""

import json
import math
import shlex
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import CardError

REPORT_FILE = "toy_training.json"
EVALUATION_FILE = "evaluation.json"
COMPARISON_FILE = "compare_interleaving.json"
DEFAULT_REPO_ID = "your-org/spirit-lm-toy"
TITLE = "Spirit LM toy (trained from scratch on a CPU)"
TOY_TAGS = ("toy", "trained-from-scratch", "synthetic-speech", "cpu")
DATASET_TYPE = "spirit-lm-toy-corpus"
DATASET_NAME = "Spirit LM toy corpus (synthetic English speech, held-out sentences)"
STAGE_ORDER = ("corpus", "speech_tokenizer", "encode", "vocoder", "lm_init", "lm_data", "lm", "evaluate")
STAGE_WHAT = {
    "corpus": "synthetic corpus: generated sentences read by festival and espeak-ng voices, with word times",
    "speech_tokenizer": "speech tokenizer: small HuBERT (25 Hz conv stack), masked prediction of acoustic k-means "
                        "targets (log-mel or MFCC frames), then the unit quantizer (by default trained with CTC on "
                        "espeak-ng phonemes, the HuBERT fine-tuned with it: the units are phonemes)",
    "encode": "every split encoded to HuBERT units",
    "vocoder": "unit HiFi-GAN + duration predictor, one speaker per voice",
    "lm_init": "text tokenizer (SentencePiece BPE), Spirit LM token layout, random initialisation",
    "lm_data": "training sequences: speech-only, text-only, word-interleaved, ASR/TTS pairs",
    "lm": "language model: TRL pretraining recipe on the weighted mixture",
    "evaluate": "evaluation on held-out sentences (not part of the training time)",
}
# model-index rows: the metrics that measure the model (not the judge's floor or ceiling, not counts, not per voice).
_EVAL_TASK_TYPES = {
    "resynthesis/resynthesized/": "audio-to-audio",
    "asr/": "automatic-speech-recognition",
    "tts/": "text-to-speech",
    "continuation/speech/": "audio-to-audio",
    "continuation/text/": "text-generation",
    "storycloze/": "zero-shot-classification",
}
# Usage prompts from the toy world (processing/toy_text.py's templates): the model knows nothing else.
TEXT_PROMPT = "The train leaves at"
SPEECH_PROMPT = "The kitchen has"
# ToyTrainingArguments fields that say where things go or how they are shown, not what is trained.
_NOT_REPRODUCED = {"output_dir", "work_dir", "corpus_dir", "progress", "stop_after", "preset"}


def _load_json(path: Path, what: str, command: str) -> Dict[str, Any]:
    if not path.is_file():
        raise CardError(f"{path} does not exist: the toy card needs {what}. Make it with `{command}`.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CardError(f"{path} is not valid JSON ({err}); rerun `{command}`.") from err
    if not isinstance(data, dict):
        raise CardError(f"{path} holds a {type(data).__name__}, not a JSON object; rerun `{command}`.")
    return data


def _num(value) -> Optional[float]:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _fmt(value, digits: int = 3) -> str:
    v = _num(value)
    return "–" if v is None else f"{v:.{digits}g}"


def _minutes(seconds) -> str:
    s = _num(seconds)
    if s is None:
        return "–"
    m = s / 60
    return f"{m:.1f}" if m < 100 else f"{m:.0f}"


def _params(n) -> str:
    n = _num(n)
    if n is None:
        return "small"
    return f"~{n / 1e6:.1f}M" if n >= 1e6 else f"~{n / 1e3:.0f}K"


def _loss(first, last) -> str:
    if _num(first) is None and _num(last) is None:
        return ""
    return f"{_fmt(first)} → {_fmt(last)}"


def _kv(mapping: Optional[Mapping[str, Any]]) -> str:
    return ", ".join(f"{k} {v}" for k, v in (mapping or {}).items())


def _stage_row(name: str, res: Mapping[str, Any], settings: Mapping[str, Any]) -> Tuple[str, str, str, str, str]:
    loss, notes = "", ""
    if name == "corpus":
        hours = _num(res.get("hours"))
        splits = res.get("splits") or {}
        sentences = " / ".join(f"{(splits.get(s) or {}).get('sentences', '?')} {s}" for s in splits)
        speech = "" if hours is None else (f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min")
        notes = "; ".join(x for x in (f"{speech} of speech" if speech else "",
                                     f"sentences: {sentences}" if sentences else "") if x)
    elif name == "speech_tokenizer":
        loss = _loss(res.get("pretrain_first_loss"), res.get("pretrain_last_loss"))
        loss = f"{loss} (masked prediction)" if loss else ""
        parts = []
        per = res.get("phone_error_rate") or []
        if per and _num(per[-1]) is not None:
            parts.append(f"phone error rate {100 * float(per[-1]):.1f}% (validation, greedy CTC)")
        ctc = _loss(res.get("ctc_first_loss"), res.get("ctc_last_loss"))
        if ctc:
            parts.append(f"CTC loss {ctc}")
        if _num(res.get("quantizer_accuracy")) is not None:
            parts.append(f"quantizer accuracy {100 * float(res['quantizer_accuracy']):.1f}%")
        if _num(res.get("units_word_pnmi")) is not None:
            parts.append(f"unit/word PNMI {float(res['units_word_pnmi']):.3f}")
        units = res.get("units") or settings.get("num_units")
        if units:
            kind = {"phones": " (phonemes)"}.get(res.get("unit_kind"), "")
            parts.append(f"{units} units{kind}")
        notes = "; ".join(parts)
    elif name == "encode":
        notes = f"rows: {_kv(res.get('rows'))}" if res.get("rows") else ""
    elif name == "vocoder":
        loss = _loss(res.get("first_mel_loss"), res.get("last_mel_loss"))
        loss = f"{loss} (mel)" if loss else ""
        dur = _loss(res.get("first_dur_loss"), res.get("last_dur_loss"))
        notes = f"duration loss {dur}" if dur else ""
    elif name == "lm_init":
        parts = []
        if res.get("parameters") is not None:
            parts.append(f"{int(res['parameters']):,} parameters")
        if res.get("text_vocab_size") is not None:
            parts.append(f"{res['text_vocab_size']} text pieces")
        if res.get("vocab_size") is not None:
            parts.append(f"{res['vocab_size']}-row vocabulary")
        notes = "; ".join(parts)
    elif name == "lm_data":
        notes = f"sequences: {_kv(res.get('sequences'))}" if res.get("sequences") else ""
    elif name == "lm":
        loss = _loss(res.get("first_loss"), res.get("last_loss"))
        loss = f"{loss} (cross-entropy)" if loss else ""
        parts = []
        if settings.get("lm_steps"):
            parts.append(f"{settings['lm_steps']} steps of {settings.get('lm_batch_size', '?')} × "
                         f"{settings.get('lm_max_length', '?')} tokens")
        if res.get("weights"):
            parts.append(f"mixture {_kv(res['weights'])}")
        notes = "; ".join(parts)
    elif name == "evaluate":
        notes = "see Evaluation below"
    return f"`{name}`", STAGE_WHAT.get(name, ""), _minutes(res.get("seconds")), loss, notes


def training_table(report: Mapping[str, Any]) -> str:
    """Markdown table of ``toy_training.json``: stage | what | minutes | loss (first → last) | notes; then the
    training total."""
    stages = report.get("stages") or {}
    settings = report.get("settings") or {}
    names = [n for n in STAGE_ORDER if n in stages] + [n for n in stages if n not in STAGE_ORDER]
    lines = ["| stage | what it does | minutes | loss (first → last) | notes |", "|---|---|---:|---|---|"]
    for name in names:
        lines.append("| " + " | ".join(_stage_row(name, stages[name] or {}, settings)) + " |")
    lines.append(f"| **training, total** | every stage above but `evaluate` | "
                 f"**{_minutes(_training_seconds(report))}** | | |")
    return "\n".join(lines)


def _training_seconds(report: Mapping[str, Any]) -> Optional[float]:
    total = _num(report.get("training_seconds"))
    if total is None:
        stages = report.get("stages") or {}
        total = sum(_num((r or {}).get("seconds")) or 0.0 for n, r in stages.items() if n != "evaluate")
    return total


def toy_eval_results(evaluation: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """``eval_results`` (``model-index``) rows from an ``evaluate_toy`` result: the resynthesized-audio WER/CER,
    few-shot ASR WER, few-shot TTS WER/CER, continuation in-vocabulary fractions and StoryCloze accuracies (token-
    normalised); fractions written in %. The judge's floor (original audio) and ceiling (true rest of a sentence),
    per-voice rows, counts and NaN values are left out (they stay in the card's evaluation table)."""
    split = (evaluation.get("settings") or {}).get("split")
    out = []
    for m in evaluation.get("metrics") or []:
        key, value = str(m.get("key", "")), _num(m.get("value"))
        task_type = next((t for prefix, t in _EVAL_TASK_TYPES.items() if key.startswith(prefix)), None)
        if task_type is None or value is None or m.get("voice") is not None or m.get("unit") not in ("%", "fraction"):
            continue
        if key.startswith("resynthesis/") and key.count("/") > 2:  # per voice
            continue
        if key.startswith("storycloze/") and not key.endswith("/mean"):
            continue
        out.append({
            "task_type": task_type,
            "dataset_type": DATASET_TYPE,
            "dataset_name": DATASET_NAME,
            "dataset_split": split,
            "metric_type": str(m.get("name") or key.split("/")[-1]),
            "metric_name": str(m.get("label") or f"{m.get('name')} ({key})"),
            "metric_value": round(100 * value if m.get("unit") == "fraction" else value, 2),
            "metric_config": key,
        })
    return out


def _evaluation_section(evaluation: Mapping[str, Any], table: str) -> str:
    settings = evaluation.get("settings") or {}
    n, split, voices = evaluation.get("n_items"), settings.get("split", "test"), evaluation.get("voices") or []
    limit = settings.get("limit")
    rows = f"{n} recordings" if n is not None else "the recordings"
    where = f"the first {limit} rows of" if limit else "all of"
    intro = (
        f"Measured by `recipes.eval.toy.evaluate_toy` on {rows} ({where} the held-out `{split}` split: sentences "
        f"never seen in training{', ' + str(len(voices)) + ' voices' if voices else ''}). Error rates and "
        "accuracies in %. Transcripts of speech (original, resynthesized, generated) come from the judge"
        f"{' (' + str(settings['judge']) + ')' if settings.get('judge') else ''}; few-shot ASR's are the model's own. "
        "The original audio's error rates are the judge's floor, and the true rest of a sentence is the ceiling of the "
        "in-vocabulary fraction. The full result, with examples and per-voice numbers, is `evaluation.json`."
    )
    notes = [str(x) for x in evaluation.get("notes") or []]
    text = f"{intro}\n\n{table}"
    if notes:
        text += "\n\nNotes: " + " ".join(notes)
    return text


def _load_comparison(comparison: Union[str, Path, Mapping[str, Any]]) -> Dict[str, Any]:
    if isinstance(comparison, Mapping):
        data = dict(comparison)
    else:
        path = Path(comparison)
        if path.is_dir():
            path = path / COMPARISON_FILE
        data = _load_json(path, "the with/without-interleaving comparison",
                          "spirit-lm train-toy --output_dir OUT --compare_dir DIR")
    missing = [k for k in ("table", "seeds", "lm_steps") if k not in data]
    if missing or not isinstance(data.get("table"), Mapping):
        raise CardError(f"The comparison lacks {', '.join(missing) or 'a table'}: give the "
                        f"{COMPARISON_FILE} written by recipes.toy.experiment.compare_interleaving.")
    return data


def stage_setting_differences(base_stage_settings: Any, model_stage_settings: Optional[Mapping[str, Any]]) -> List[str]:
    """Where the comparison's shared stages (``base_stage_settings``: corpus, speech tokenizer, units, vocoder) were
    trained with other settings than the model's (``model_stage_settings``, per stage): one ``"stage `key`: theirs
    there, ours here"`` line per differing setting (the corpus folder's path is not compared). Empty when they agree
    or either side does not say."""
    base, model = base_stage_settings, model_stage_settings
    if not isinstance(base, Mapping) or not model:
        return []
    out = []
    for stage, theirs in base.items():
        ours = model.get(stage)
        if not isinstance(theirs, Mapping) or not isinstance(ours, Mapping):
            continue
        for key in sorted(set(theirs) | set(ours)):
            if key != "dir" and theirs.get(key) != ours.get(key):
                there, here = (_setting(side, key) for side in (theirs, ours))
                out.append(f"{stage} `{key}`: {there} there, {here} here")
    return out


def _setting(settings: Mapping[str, Any], key: str) -> str:
    # a setting added after a run was made is missing from its markers: say so rather than print None
    return str(settings[key]) if key in settings else "not recorded"


def _comparison_section(result: Mapping[str, Any], table: str, differences: Sequence[str] = ()) -> str:
    intro = (
        "The paper's central claim at toy scale: the same language model, trained for the same steps on the same "
        "speech tokenizer, units and vocoder, **with** and **without** the word-interleaved data (the other kinds "
        "keep their ratios), for each LM seed; then the cross-modal evaluations on the same held-out rows. "
        "Error rates in %; accuracies and in-vocabulary fractions as fractions (0–1)."
    )
    if differences:
        intro += (
            "\n\n**Measured on another base than this model**: the comparison's runs share one corpus, speech tokenizer, "
            "units and vocoder among themselves, but those were trained with other settings than this model's ("
            + "; ".join(differences) + "). The numbers say what interleaving does on that base; rerun the comparison "
            "(How to reproduce) to measure it on this one."
        )
    text = f"{intro}\n\n{table.rstrip()}"
    mixes = [(label, result.get(key)) for label, key in (("with", "mixture_with"), ("without", "mixture_without"))]
    mixes = [f"{label}: {_kv(m)}" for label, m in mixes if m]
    if mixes:
        text += "\n\nData mixtures (weights) — " + "; ".join(mixes) + "."
    return text


def _reproduce_command(settings: Mapping[str, Any], defaults: Optional[Mapping[str, Any]]) -> str:
    """``spirit-lm train-toy`` with the preset and every setting that differs from ``defaults`` (the preset's
    settings; empty or ``None``: unknown, so only the seed is shown)."""
    parts = ["spirit-lm", "train-toy", "--output_dir", "out/toy-spirit-lm"]
    preset = settings.get("preset") or "default"
    if preset != "default":
        parts += ["--preset", str(preset)]
    defaults = defaults or {}
    for key, value in settings.items():
        if key in _NOT_REPRODUCED or (defaults and key not in defaults):
            continue
        if defaults and json.loads(json.dumps(defaults[key])) == value:
            continue
        if not defaults and key != "seed":
            continue
        if value is None:
            continue
        if isinstance(value, dict):
            args = [json.dumps(value)]
        elif isinstance(value, (list, tuple)):
            args = [str(v) for v in value]
        else:
            args = [str(value)]
        parts += [f"--{key}", *args]
    return " ".join(shlex.quote(p) for p in parts)


def _reproduce_section(settings: Mapping[str, Any], threads, comparison: Optional[Mapping[str, Any]],
                       defaults: Optional[Mapping[str, Any]]) -> str:
    cmd = _reproduce_command(settings, defaults)
    lines = [
        "One command, seeded and resumable (a rerun skips finished stages and resumes an interrupted one). It needs "
        "the `festival`, `festvox-us-slt-hts`, `festvox-kallpc16k` and `espeak-ng` system packages for the "
        "synthetic speech, and the Whisper tiny.en judge (faster-whisper) for the evaluation.",
        "",
        "```bash",
        'pip install "spirit-lm-hub[train,eval]"    # or, in a checkout: pip install -e ".[train,eval]"',
        cmd,
    ]
    if comparison is not None:
        seeds = " ".join(str(s) for s in comparison.get("seeds") or [])
        lines += ["# the with/without-interleaving comparison (reuses the corpus, speech tokenizer and vocoder)",
                  f"{cmd} --compare_dir out/toy-compare --compare_seeds {seeds} "
                  f"--compare_lm_steps {comparison.get('lm_steps')}"]
    card_args = "'out/toy-spirit-lm'" + (", comparison='out/toy-compare'" if comparison is not None else "")
    lines += ["# this card",
              f'python -c "from recipes.toy.ship import write_toy_card; write_toy_card({card_args})"',
              "```", ""]
    lines.append(
        f"The timings above are of the run that made this folder ({threads if threads else 'all'} torch threads); "
        "`toy_training.json` holds its full report and settings. The run is seeded (corpus, initialisation, data "
        "order); on other hardware or thread counts the losses and measurements move a little."
    )
    return "\n".join(lines)


def _limitations_section(settings: Mapping[str, Any], n_items) -> str:
    voices = settings.get("voices") or []
    rows = f"{n_items} held-out recordings" if n_items else "a few dozen held-out recordings"
    return "\n".join([
        "* **A toy, not Meta's Spirit LM.** It has the architecture and token layout, none of the scale: a few "
        "million parameters trained for minutes, against 7B parameters continued from Llama 2 on hundreds of "
        "thousands of hours of speech. Its numbers are not comparable to the paper's.",
        "* **Closed domain.** It knows the vocabulary and sentence patterns of its generated corpus and nothing else; "
        "prompts outside that domain (open questions, general knowledge) give meaningless output.",
        f"* **Synthetic speech.** {len(voices) or 'A few'} synthetic voices"
        f"{' (' + ', '.join(f'`{v}`' for v in voices) + ')' if voices else ''}, clean, English only: the speech "
        "tokenizer and vocoder have never heard a human voice, noise or another language.",
        f"* **Small evaluation.** Measured on {rows} with a small ASR judge (Whisper tiny.en), one "
        "training seed; treat differences of a few points as noise.",
        "* **Base variant only.** HuBERT units; no pitch or style units (no expressive variant).",
        *(["* **Supervised phoneme units.** The speech tokenizer's quantizer was trained with CTC on espeak-ng "
           "phoneme transcripts (the HuBERT before it by unsupervised masked prediction): its units are phonemes, "
           "not the paper's unsupervised HuBERT units. They carry the words, not the voice or the prosody; the "
           "vocoder speaks them in the voice of its speaker embedding."]
          if settings.get("st_quantizer_targets") == "phones" else []),
        "* **Use** it to learn, test and demonstrate the Spirit LM machinery (tokenizer layout, interleaving, few-shot "
        "ASR/TTS, the training recipe, the Hub folder), not for any application.",
    ])


def _usage_note(folder: Path) -> str:
    note = (
        "The toy knows only the small world of its corpus (rooms, objects, numbers, times, simple commands and "
        "questions): prompt it with the start of such a sentence, as above. Few-shot ASR and TTS work with a few "
        'example pairs from the same corpus: `pipe(audio, few_shot="asr", examples=[(audio, "transcript"), ...])` '
        'and `pipe("text", few_shot="tts", examples=[("text", audio), ...])`.'
    )
    if (folder / "examples" / "examples.json").is_file():
        note += (" `examples/examples.json` lists recordings of the corpus shipped in `examples/` with their text: "
                 "`shots` (train split) to use as examples, `queries` (test split) to try.")
    return note


def load_toy_reports(
    folder: Union[str, Path], comparison: Union[None, str, Path, Mapping[str, Any]] = None
) -> Dict[str, Any]:
    """The plain data a toy card is made of, read from a folder trained by ``spirit-lm train-toy``:
    ``{"report": toy_training.json, "evaluation": evaluation.json, "comparison": the comparison or None}``.

    ``comparison``: a ``compare_interleaving.json`` path, the folder holding it, or its dict; ``None``: the
    ``compare_interleaving.json`` inside ``folder`` if there is one.

    Raises:
        CardError: ``toy_training.json`` or ``evaluation.json`` is missing or invalid, the training did not finish
            its language model, or the comparison is missing or invalid (the message names the file and the command
            that makes it).
    """
    folder = Path(folder)
    report = _load_json(folder / REPORT_FILE, "the training report",
                        f"spirit-lm train-toy --output_dir {folder}")
    stages = report.get("stages")
    if not isinstance(stages, Mapping) or "lm" not in stages:
        raise CardError(f"{folder / REPORT_FILE} has no finished 'lm' stage (the run stopped before the language "
                        f"model was trained); finish it with `spirit-lm train-toy --output_dir {folder}`.")
    evaluation = _load_json(
        folder / EVALUATION_FILE, "the measured evaluation",
        f"spirit-lm train-toy --output_dir {folder}` (its last stage) or `spirit-lm evaluate toy --model {folder} "
        f"--data <the run's corpus folder> --output {folder / EVALUATION_FILE}",
    )
    if not isinstance(evaluation.get("metrics"), list):
        raise CardError(f"{folder / EVALUATION_FILE} has no 'metrics' list: it is not a recipes.eval.toy result.")
    if comparison is None and (folder / COMPARISON_FILE).is_file():
        comparison = folder / COMPARISON_FILE  # the folder carries its comparison (the embedded default does)
    compared = _load_comparison(comparison) if comparison is not None else None
    return {"report": report, "evaluation": evaluation, "comparison": compared}


def toy_card_inputs_from_reports(
    folder: Union[str, Path],
    reports: Mapping[str, Any],
    evaluation_table: str,
    comparison_table: Optional[str] = None,
    comparison_differences: Sequence[str] = (),
    setting_defaults: Optional[Mapping[str, Any]] = None,
) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """``(card_data, card_vars)`` for :func:`hub_cards.render_model_card` (or ``push_spirit_lm``'s ``card_data`` /
    ``card_vars``); the folder facts (:func:`describe_folder`), ``repo_id`` and ``revision`` are not included.

    Args:
        folder: the trained folder (only its ``examples/`` is looked at, for the usage note).
        reports: :func:`load_toy_reports`'s dict (``report``, ``evaluation``, ``comparison``).
        evaluation_table: the evaluation's markdown table (the toy evaluation's ``format_toy_table``).
        comparison_table: the comparison's markdown table (needed when ``reports["comparison"]`` is set).
        comparison_differences: where the comparison's base was trained with other settings than this model
            (:func:`stage_setting_differences`); flagged in its section.
        setting_defaults: the preset's settings, so that "How to reproduce" lists only the ones that differ
            (``None``: only the seed is shown).
    """
    folder = Path(folder)
    report, evaluation, compared = reports["report"], reports["evaluation"], reports.get("comparison")
    if compared is not None and comparison_table is None:
        raise CardError("The card has a comparison but no `comparison_table`; give the comparison's markdown table "
                        "(recipes.toy.experiment.format_comparison).")
    stages = report.get("stages") or {}
    settings = report.get("settings") or {}
    threads = settings.get("threads")
    minutes = _minutes(_training_seconds(report))
    lm_init = stages.get("lm_init") or {}
    corpus = stages.get("corpus") or {}
    voices = settings.get("voices") or []
    hours = _num(corpus.get("hours"))
    sentences = sum(int((s or {}).get("sentences") or 0) for s in (corpus.get("splits") or {}).values())
    corpus_facts = ", ".join(x for x in (
        (f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min") + " of speech" if hours is not None else "",
        f"{sentences} sentences" if sentences else "",
        f"each read by {len(voices)} festival / espeak-ng voices" if voices else "",
    ) if x)
    cores = f"{threads} CPU cores" if threads else "a CPU"
    description = (
        f"A **{_params(lm_init.get('parameters'))}-parameter** language model with the Spirit LM architecture and "
        "token layout, its own small HuBERT-architecture speech tokenizer and a unit HiFi-GAN vocoder, all trained "
        f"from scratch, end to end, on **{cores} in {minutes} minutes** by one command, `spirit-lm train-toy`, on a "
        "synthetic closed-domain English corpus"
        f"{' (' + corpus_facts + ')' if corpus_facts else ''}.\n\n"
        "It is **not** Meta's Spirit LM and contains none of its weights. It is a teaching and testing model: small "
        "enough to train, inspect and break on a laptop, with every stage measured below."
    )
    hyper: Dict[str, Any] = {}
    for label, key in (("preset", "preset"), ("seed", "seed"), ("torch threads", "threads"),
                       ("corpus sentences", "num_sentences"), ("voices", "voices"),
                       ("speech tokenizer: hidden size / layers / conv dim",
                        ("st_hidden_size", "st_layers", "st_conv_dim")),
                       ("speech tokenizer: quantizer targets / k-means targets / steps / utterances",
                        ("st_quantizer_targets", "st_clusters", "st_steps", "st_utterances")),
                       ("speech tokenizer: CTC epochs / HuBERT learning rate in CTC",
                        ("st_ctc_epochs", "st_ctc_encoder_lr")),
                       ("vocoder: channels / steps / batch / learning rate",
                        ("vocoder_channels", "vocoder_steps", "vocoder_batch_size", "vocoder_lr")),
                       ("LM: hidden size / layers / heads / FFN / context",
                        ("lm_hidden_size", "lm_layers", "lm_heads", "lm_intermediate_size", "lm_context")),
                       ("LM: text vocabulary (SentencePiece BPE)", "text_vocab_size"),
                       ("LM: steps / batch / sequence length", ("lm_steps", "lm_batch_size", "lm_max_length")),
                       ("LM: learning rate / warm-up steps (cosine)", ("lm_learning_rate", "lm_warmup_steps"))):
        keys = key if isinstance(key, tuple) else (key,)
        values = [settings.get(k) for k in keys]
        if all(v is None for v in values):
            continue
        hyper[label] = " / ".join(", ".join(f"`{x}`" for x in v) if isinstance(v, list) else str(v) for v in values)
    weights = (stages.get("lm") or {}).get("weights") or settings.get("mixture")
    if weights:
        hyper["LM: data mixture (weights)"] = _kv(weights)
    summary = (
        f"Trained by `spirit-lm train-toy` (preset `{settings.get('preset', 'default')}`, seed "
        f"{settings.get('seed', 0)}) on {cores}: **{minutes} minutes** for every training stage, plus "
        f"{_minutes((stages.get('evaluate') or {}).get('seconds'))} minutes of evaluation. Per stage (seconds "
        "measured by the run; losses are the first and last logged values):\n\n" + training_table(report)
    )
    sections = [("Evaluation", _evaluation_section(evaluation, evaluation_table))]
    if compared is not None:
        sections.append(("With and without interleaved data",
                         _comparison_section(compared, comparison_table, comparison_differences)))
    sections += [("How to reproduce", _reproduce_section(settings, threads, compared, setting_defaults)),
                 ("Limitations", _limitations_section(settings, evaluation.get("n_items")))]

    card_data: Dict[str, Any] = {
        "license": "apache-2.0",
        "language": ["en"],
        "tags": list(TOY_TAGS),
        "eval_results": toy_eval_results(evaluation) or None,
    }
    card_vars: Dict[str, Any] = {
        "trained_from_scratch": True,
        "title": TITLE,
        "description": description,
        "training_summary": summary,
        "training_hyperparameters": hyper,
        "sections": sections,
        "text_prompt": TEXT_PROMPT,
        "speech_prompt": SPEECH_PROMPT,
        "usage_note": _usage_note(folder),
        "results": [],  # the evaluation section shows every number (the model-index holds the main ones)
    }
    return card_data, card_vars


__all__ = ["DEFAULT_REPO_ID", "TITLE", "COMPARISON_FILE", "EVALUATION_FILE", "REPORT_FILE", "load_toy_reports",
           "stage_setting_differences", "toy_card_inputs_from_reports", "toy_eval_results", "training_table"]
