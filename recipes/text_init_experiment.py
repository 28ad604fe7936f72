# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The paper's text-initialisation claim, as one command: the same Spirit LM architecture continued-pretrained from a
pretrained text model and from random weights, for the same budget on the same toy-corpus mixture with the project's
TRL recipe, then both evaluated the same way. With ``--arms pretrained`` and ``--evaluate_init true`` it is also the
"any base model" proof: before/after numbers of a short continued pretraining.

```bash
python -m recipes.text_init_experiment --text_model out/smollm2-135m --output_dir out/text-init \\
    --steps 40 --batch_size 8 --max_length 128 --arms pretrained random --evaluate_init true
```

Stages (each skipped when its marker ``stage.json`` under ``<output_dir>/work`` holds the same settings; a rerun
resumes an interrupted training from its last checkpoint):

1. ``corpus`` -- the toy corpus (:func:`processing.toy_corpus.build_toy_corpus`), by default its 3000 sentences
   (the same train/validation/test sentences as the embedded toy model) in one voice, or ``--corpus_dir``.
2. ``encode`` -- every split to units with the embedded toy model's speech tokenizer (``--speech_components``).
3. ``lm_data`` -- the toy run's training text from the train split (speech-only, text-only, word-interleaved,
   ASR/TTS pairs: :mod:`recipes.toy.stages`), and the held-out speech-only sequences of the test split.
4. per arm: ``init`` -- ``pretrained``: ``spirit-lm init`` of ``--text_model`` (base variant, the toy speech
   tokenizer and vocoder copied in); ``random``: that folder with every weight drawn afresh from the config (seeded),
   so both arms share the architecture, the tokenizer and the id layout exactly.
5. per arm: ``lm`` -- ``recipes/scripts/pretrain.py`` (TRL ``SFTTrainer``, packing) on the toy mixture, the same
   steps, batch, length and learning rate for every arm.
6. per arm (and per phase: ``init`` when ``--evaluate_init``, ``trained``): ``evaluate`` (:func:`evaluate_model`).

Metrics (:func:`evaluate_model`; all on data never trained on):

* ``speech_token_loss`` -- mean cross-entropy (nats per token) of the unit tokens of the test split's speech-only
  sequences after ``[Speech]``.
* ``text_ppl`` -- perplexity of the held-out English text (``recipes/data/heldout_english.txt``: sentences written for
  this project, not from the toy world), every token after a line's first one, conditioned on it (and on BOS when
  the tokenizer adds one); ``text_ppl_marker`` the same after ``[Text]``. The original text model's value is in
  ``reference`` (the same tokens: the Spirit LM tokenizes text exactly as its base).
* the toy tasks (:func:`recipes.eval.toy.evaluate_toy` on the first ``--eval_limit`` rows of the test split):
  few-shot ASR WER, few-shot TTS judge WER/CER, StoryCloze accuracy in the modes T, S, T>S, S>T, and speech and text
  continuations.
* ``genppl`` -- generative perplexity (slamkit's GenPPL): the judge's transcripts of the sampled speech
  continuations scored under the **original text model** given the sentence's first half as text, perplexity over
  the transcripts' tokens (empty transcripts are counted in ``genppl_empty`` and left out). ``genppl_true_rest``:
  the same for the judge's transcript of the true rest of the sentence (the floor the judge allows).

``<output_dir>/text_init_experiment.json`` holds every number, the settings and the seconds per stage;
``text_init_experiment.md`` the table (:func:`format_experiment`).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

from modeling_spirit.constants import SPEECH_MARKER, SPEECH_TOKENIZER_SUBFOLDER, TEXT_MARKER
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from processing.encode_units import encode_dataset
from processing.init_model import init_spirit_lm
from processing.interleave import build_training_texts
from recipes.eval.common import load_spirit
from recipes.eval.judges import load_asr_judge
from recipes.eval.likelihood import sequence_logprobs
from recipes.eval.toy import evaluate_toy, format_toy_table, parse_tasks
from recipes.eval.toy.runner import format_metric_value
from recipes.toy import TOY_MODEL
from recipes.toy.arguments import DEFAULT_MIXTURE, ToyTrainingArguments, mixture_weights
from recipes.toy.stages import _corpus, _lm, _lm_data, _set_threads, _Stages, use_bf16

logger = logging.getLogger(__name__)

HELDOUT_TEXT = Path(__file__).resolve().parent / "data" / "heldout_english.txt"
ARMS = ("pretrained", "random")
RESULT_FILE = "text_init_experiment.json"
EVAL_TASKS = ("asr", "tts", "storycloze", "continuation")
FORMAT_VERSION = 1


@dataclass
class TextInitArguments:
    """Settings of :func:`run_text_init_experiment` (also the command line)."""

    text_model: str = field(metadata={"help": "The pretrained text model: a folder or Hub id of any causal LM."})
    output_dir: str = field(default="out/text-init", metadata={"help": "Arms, evaluations and the result."})
    arms: List[str] = field(default_factory=lambda: list(ARMS), metadata={"help": f"Any of {ARMS}."})
    evaluate_init: bool = field(default=False, metadata={"help": "Also evaluate each arm before training."})
    speech_components: str = field(default=str(TOY_MODEL), metadata={
        "help": "Folder with speech_tokenizer/ and vocoder/ (default: the embedded toy model's)."})
    corpus_dir: Optional[str] = field(default=None, metadata={"help": "A finished toy corpus (default: built)."})
    num_sentences: int = 3000
    max_train_rows: Optional[int] = field(default=None, metadata={
        "help": "Encode and train on only the first N rows of the train split (default: all); the test split is "
                "always whole."})
    voices: List[str] = field(default_factory=lambda: ["festival:cmu_us_slt_arctic_hts"])
    steps: int = 40
    batch_size: int = 8
    max_length: int = 128
    learning_rate: float = 1e-4
    warmup_steps: int = 4
    save_steps: int = 10
    mixture: Optional[str] = field(default=None, metadata={
        "help": f"JSON {{kind: weight}} (default: the toy run's {DEFAULT_MIXTURE})."})
    seed: int = 0
    bf16: Optional[bool] = field(default=None, metadata={"help": "bfloat16 autocast (default: where the CPU has it)."})
    threads: Optional[int] = 2
    eval_tasks: List[str] = field(default_factory=lambda: list(EVAL_TASKS))
    eval_limit: int = 12
    shots: Optional[int] = field(default=4, metadata={"help": "Few-shot examples per prompt (None: as many as fit)."})
    speech_eval_sequences: int = field(default=150, metadata={"help": "Held-out speech-only sequences scored."})
    heldout_text: str = str(HELDOUT_TEXT)
    heldout_lines: Optional[int] = None
    judge: Optional[str] = None
    batch_size_eval: int = 8
    progress: bool = True

    def __post_init__(self):
        unknown = [a for a in self.arms if a not in ARMS]
        if unknown or not self.arms:
            raise ValueError(f"`arms` is {self.arms}; give one or more of {ARMS}.")
        self.eval_tasks = parse_tasks(self.eval_tasks) if self.eval_tasks else []
        if self.steps < 1 or self.batch_size < 1 or self.max_length < 8:
            raise ValueError(f"steps={self.steps}, batch_size={self.batch_size}, max_length={self.max_length}: "
                             "give at least 1 step, a batch of 1 and 8 tokens.")


# ----------------------------------------------------------------------------------------------------------------
# Evaluation
# ----------------------------------------------------------------------------------------------------------------
def read_heldout_text(path: str = str(HELDOUT_TEXT), limit: Optional[int] = None) -> List[str]:
    """The non-empty lines of ``path`` (first ``limit``)."""
    with open(path, encoding="utf-8") as f:
        lines = [ln.strip() for ln in f if ln.strip()]
    if not lines:
        raise ValueError(f"{path} has no text lines; give a file with one sentence (or paragraph) per line.")
    return lines[:limit] if limit else lines


def _doc_prefix(tokenizer) -> List[int]:
    """What the tokenizer puts before a text of its own accord (BOS or nothing)."""
    with_special = tokenizer("a", add_special_tokens=True)["input_ids"]
    plain = tokenizer("a", add_special_tokens=False)["input_ids"]
    return list(with_special[: len(with_special) - len(plain)]) if with_special[-len(plain):] == plain else []


def text_perplexity(model, tokenizer, lines: Sequence[str], prefix_ids: Sequence[int] = (), batch_size: int = 8) -> Dict[str, Any]:
    """Perplexity of every token of each line after its first one, given ``BOS`` (when the tokenizer adds one),
    ``prefix_ids`` and the first token: ``{"ppl", "nll", "tokens", "lines"}``. The first token is only context, so
    the number is the same quantity for a text model and a Spirit LM with a marker in front."""
    start = _doc_prefix(tokenizer) + list(prefix_ids)
    prompts, conts = [], []
    for line in lines:
        ids = tokenizer(line, add_special_tokens=False)["input_ids"]
        if len(ids) < 2:
            continue
        prompts.append(start + ids[:1])
        conts.append(ids[1:])
    scores = sequence_logprobs(model, tokenizer, prompts, conts, batch_size=batch_size)
    total = -sum(s["sum"] for s in scores)
    n = sum(s["n_tokens"] for s in scores)
    return {"ppl": math.exp(total / n), "nll": total / n, "tokens": n, "lines": len(scores)}


def speech_token_loss(model, tokenizer, sequences: Sequence[str], batch_size: int = 8) -> Dict[str, Any]:
    """Mean cross-entropy (nats) of the unit tokens of ``[Speech]...`` sequences given the marker."""
    conts = [s[len(SPEECH_MARKER):] if s.startswith(SPEECH_MARKER) else s for s in sequences]
    scores = sequence_logprobs(model, tokenizer, [SPEECH_MARKER] * len(conts), conts, batch_size=batch_size)
    total = -sum(s["sum"] for s in scores)
    n = sum(s["n_tokens"] for s in scores)
    return {"loss": total / n, "tokens": n, "sequences": len(scores)}


def generative_perplexity(text_model, text_tokenizer, outputs: Sequence[Dict[str, str]], key: str,
                          batch_size: int = 8) -> Dict[str, Any]:
    """slamkit's GenPPL: ``outputs[i][key]`` (a transcript) scored under the text model after
    ``outputs[i]["prompt_text"]``; perplexity over all scored tokens. Empty transcripts are counted, not scored."""
    prompts, conts, empty = [], [], 0
    for o in outputs:
        hyp = (o.get(key) or "").strip()
        if not hyp or not text_tokenizer(" " + hyp, add_special_tokens=False)["input_ids"]:
            empty += 1
            continue
        prompts.append(o["prompt_text"])
        conts.append(" " + hyp)
    if not prompts:
        return {"ppl": float("nan"), "tokens": 0, "n": 0, "empty": empty}
    scores = sequence_logprobs(text_model, text_tokenizer, prompts, conts, batch_size=batch_size)
    total = -sum(s["sum"] for s in scores)
    n = sum(s["n_tokens"] for s in scores)
    return {"ppl": math.exp(total / n), "tokens": n, "n": len(scores), "empty": empty}


def load_text_model(path: str):
    """``(model, tokenizer)`` of the original text model, eval mode, float32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(path)


def evaluate_model(model_dir: str, corpus: str, speech_sequences: Sequence[str], heldout: Sequence[str],
                   args: TextInitArguments, work_dir: str, text_model=None, judge=None) -> Dict[str, Any]:
    """Every metric of the module docstring for one Spirit LM folder; ``text_model`` is ``(model, tokenizer)`` of
    the original text model (GenPPL's scorer)."""
    t0 = time.time()
    pipe, _ = load_spirit(model_dir, device="cpu")
    model, tok = pipe.model, pipe.tokenizer
    out: Dict[str, Any] = {"model": model_dir, "metrics": {}, "seconds": {}}
    m = out["metrics"]
    t = time.time()
    sl = speech_token_loss(model, tok, speech_sequences, args.batch_size_eval)
    m["speech_token_loss"] = sl["loss"]
    out["speech_token_loss"] = sl
    out["seconds"]["speech_token_loss"] = round(time.time() - t, 1)
    t = time.time()
    tp = text_perplexity(model, tok, heldout, batch_size=args.batch_size_eval)
    tpm = text_perplexity(model, tok, heldout, [model.config.text_marker_id], batch_size=args.batch_size_eval)
    m["text_ppl"], m["text_ppl_marker"] = tp["ppl"], tpm["ppl"]
    out["text_ppl"], out["text_ppl_marker"] = tp, tpm
    out["seconds"]["text_ppl"] = round(time.time() - t, 1)
    os.makedirs(work_dir, exist_ok=True)
    with open(os.path.join(work_dir, "partial.json"), "w", encoding="utf-8") as f:  # the cheap numbers, early
        json.dump(out, f, indent=1, default=str)
    if args.eval_tasks:
        t = time.time()
        toy = evaluate_toy(pipe, corpus, split="test", tasks=args.eval_tasks, limit=args.eval_limit, shots=args.shots,
                           seed=args.seed, judge=judge, batch_size=args.batch_size_eval, progress=args.progress,
                           work_dir=work_dir, device="cpu")
        for metric in toy["metrics"]:
            m[metric["key"]] = metric["value"]
        out["toy"] = toy
        out["seconds"]["toy"] = round(time.time() - t, 1)
        outputs = toy.get("details", {}).get("continuation", {}).get("outputs")
        if outputs and text_model is not None:
            t = time.time()
            g = generative_perplexity(*text_model, outputs, "speech_continuation_transcript", args.batch_size_eval)
            r = generative_perplexity(*text_model, outputs, "true_rest_transcript", args.batch_size_eval)
            m["genppl"], m["genppl_empty"], m["genppl_true_rest"] = g["ppl"], g["empty"], r["ppl"]
            out["genppl"], out["genppl_true_rest"] = g, r
            out["seconds"]["genppl"] = round(time.time() - t, 1)
    out["seconds"]["total"] = round(time.time() - t0, 1)
    return out


# ----------------------------------------------------------------------------------------------------------------
# Stages
# ----------------------------------------------------------------------------------------------------------------
def _toy_args(args: TextInitArguments, output_dir: str) -> ToyTrainingArguments:
    """The toy run's settings that its reused stages (corpus, encode, lm_data, lm) read."""
    mixture = json.loads(args.mixture) if args.mixture else None
    return ToyTrainingArguments(
        output_dir=output_dir, seed=args.seed, threads=args.threads, bf16=args.bf16, progress=args.progress,
        num_sentences=args.num_sentences, voices=list(args.voices), corpus_dir=args.corpus_dir, mixture=mixture,
        lm_steps=args.steps, lm_batch_size=args.batch_size, lm_max_length=args.max_length,
        lm_learning_rate=args.learning_rate, lm_warmup_steps=args.warmup_steps, lm_save_steps=args.save_steps,
    )


def _encode_splits(corpus: str, tokenizer_path: str, out: str, max_train_rows: Optional[int]) -> Dict[str, Any]:
    """The train (first ``max_train_rows``) and test splits to units with the speech tokenizer (audio kept: the toy
    run's data builder reads the encoded rows as they are)."""
    from datasets import DatasetDict, load_from_disk  # optional extra (data)

    tokenizer = SpiritLMSpeechTokenizer.from_pretrained(tokenizer_path).eval()
    dd = load_from_disk(corpus)
    splits = {"train": dd["train"], "test": dd["test"]}
    if max_train_rows:
        splits["train"] = splits["train"].select(range(min(int(max_train_rows), len(splits["train"]))))
    encoded = {k: encode_dataset(v, tokenizer, keep_audio=True, batch_size=16, desc=f"Encoding {k}")
               for k, v in splits.items()}
    DatasetDict(encoded).save_to_disk(out)
    return {"path": out, "rows": {k: len(v) for k, v in encoded.items()}}


def _randomize(init_dir: str, out_dir: str, seed: int) -> None:
    """``init_dir`` copied to ``out_dir`` with every weight drawn afresh from its config (seeded)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    if os.path.isdir(out_dir):
        shutil.rmtree(out_dir)
    shutil.copytree(init_dir, out_dir)
    config = AutoConfig.from_pretrained(init_dir)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.save_pretrained(out_dir)


def _stage(st: _Stages, name: str, settings: Dict[str, Any], fn, timings: Dict[str, float]) -> Dict[str, Any]:
    done = st.done(name, settings)
    if done is not None:
        logger.info("%s: already done", name)
        return done
    st.invalidated = False  # the stages here are independent per arm; a marker check suffices
    st.start(name, settings)
    st.invalidated = False
    t0 = time.perf_counter()
    res = fn()
    res["seconds"] = round(time.perf_counter() - t0, 1)
    timings[name] = res["seconds"]
    return st.finish(name, settings, res)


def run_text_init_experiment(args: TextInitArguments, judge=None) -> Dict[str, Any]:
    """Run (or resume) every stage (see the module docstring); returns the result, also written to
    ``<output_dir>/text_init_experiment.json`` and ``.md``. ``judge``: an ASR judge object or callable (waves →
    transcripts) instead of ``args.judge``."""
    _set_threads(args.threads)
    work = os.path.join(args.output_dir, "work")
    os.makedirs(work, exist_ok=True)
    st = _Stages(work)
    toy = _toy_args(args, args.output_dir)
    timings: Dict[str, float] = {}
    common = {"seed": args.seed, "num_sentences": args.num_sentences, "voices": list(args.voices),
              "corpus_dir": args.corpus_dir, "speech_components": os.path.abspath(args.speech_components)}
    corpus = _stage(st, "corpus", common, lambda: _corpus(toy, st), timings)["path"]
    tokenizer_path = os.path.join(args.speech_components, SPEECH_TOKENIZER_SUBFOLDER)
    encoded = _stage(st, "encode", dict(common, max_train_rows=args.max_train_rows),
                     lambda: _encode_splits(corpus, tokenizer_path, st.path("encode", "data"), args.max_train_rows),
                     timings)["path"]
    data_settings = dict(common, mixture=mixture_weights(toy), max_train_rows=args.max_train_rows)

    def lm_data():
        from datasets import load_from_disk  # optional extra (data)

        res = _lm_data(toy, st, encoded, args.speech_components)
        test = load_from_disk(encoded)["test"].remove_columns(["audio"])
        speech = build_training_texts(test, "speech", "base", seed=args.seed,
                                      expected_speech_tokenizer=args.speech_components)["text"]
        path = st.path("lm_data", "data", "test_speech.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for t in speech:
                f.write(json.dumps({"text": t}) + "\n")
        res["test_speech"] = path
        return res

    data = _stage(st, "lm_data", data_settings, lm_data, timings)
    with open(data["test_speech"], encoding="utf-8") as f:
        speech_sequences = [json.loads(line)["text"] for line in f][: args.speech_eval_sequences]
    heldout = read_heldout_text(args.heldout_text, args.heldout_lines)

    # the original text model: reference numbers and GenPPL's scorer
    text_model = load_text_model(args.text_model)
    reference = {"text_ppl": text_perplexity(*text_model, heldout, batch_size=args.batch_size_eval)}
    if judge is None and {"continuation", "tts", "resynthesis"} & set(args.eval_tasks):
        judge = load_asr_judge(args.judge)

    init_settings = {"text_model": args.text_model, "seed": args.seed,
                     "speech_components": os.path.abspath(args.speech_components)}
    init_dir = os.path.join(work, "init", "pretrained")
    _stage(st, "init-pretrained", init_settings,
           lambda: {"path": init_spirit_lm(args.text_model, "base", init_dir, speech_components=args.speech_components,
                                           seed=args.seed, dtype="float32", overwrite=True)}, timings)
    train_settings = dict(data_settings, steps=args.steps, batch=args.batch_size, max_length=args.max_length,
                          lr=args.learning_rate, warmup=args.warmup_steps, bf16=use_bf16(toy))
    eval_settings = {"tasks": list(args.eval_tasks), "limit": args.eval_limit, "shots": args.shots,
                     "speech_sequences": len(speech_sequences), "heldout": len(heldout), "judge": args.judge}
    arms: Dict[str, Any] = {}
    for arm in args.arms:
        arm_dir = os.path.join(work, "init", arm)
        if arm == "random":
            _stage(st, "init-random", dict(init_settings, from_=init_dir),
                   lambda: (_randomize(init_dir, arm_dir, args.seed), {"path": arm_dir})[1], timings)
        arm_st = _Stages(os.path.join(work, arm))
        result: Dict[str, Any] = {}
        if args.evaluate_init:
            result["init"] = _stage(arm_st, "evaluate-init", eval_settings, lambda: evaluate_model(
                arm_dir, corpus, speech_sequences, heldout, args, arm_st.path("evaluate-init", "files"), text_model,
                judge), timings)
        trained = _stage(arm_st, "lm", dict(train_settings, arm=arm), lambda: _lm(toy, arm_st, arm_dir, data["files"]),
                         timings)
        result["training"] = {k: trained.get(k) for k in ("first_loss", "last_loss", "losses", "train_runtime",
                                                          "seconds", "final_dir")}
        result["trained"] = _stage(arm_st, "evaluate-trained", dict(eval_settings, trained=trained["final_dir"]),
                                   lambda: evaluate_model(trained["final_dir"], corpus, speech_sequences, heldout, args,
                                                          arm_st.path("evaluate-trained", "files"), text_model, judge),
                                   timings)
        arms[arm] = result
    tokens_per_step = args.batch_size * args.max_length
    result = {"format_version": FORMAT_VERSION, "settings": dataclasses.asdict(args), "mixture": mixture_weights(toy),
              "tokens_per_step": tokens_per_step, "tokens": tokens_per_step * args.steps, "bf16": use_bf16(toy),
              "reference": reference, "arms": arms, "seconds_this_run": timings,
              "data": {"sequences": data.get("sequences"), "test_speech_sequences": len(speech_sequences),
                       "heldout_lines": len(heldout)}}
    with open(os.path.join(args.output_dir, RESULT_FILE), "w", encoding="utf-8") as f:
        json.dump(result, f, indent=1, default=str)
    with open(os.path.join(args.output_dir, RESULT_FILE.replace(".json", ".md")), "w", encoding="utf-8") as f:
        f.write(format_experiment(result))
    return result


# ----------------------------------------------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------------------------------------------
LABELS = {
    "speech_token_loss": "speech-token loss, held-out units (nats/token)",
    "text_ppl": "text perplexity, held-out English",
    "text_ppl_marker": "text perplexity, held-out English, after [Text]",
    "genppl": "GenPPL of speech continuations (judge transcript, original text model)",
    "genppl_empty": "speech continuations with an empty transcript",
    "genppl_true_rest": "GenPPL of the true rest (judge transcript; floor)",
}


def format_experiment(result: Dict[str, Any]) -> str:
    """Markdown: one column per arm and phase, one row per metric (toy metrics with their labels)."""
    cols = []
    for arm, res in result["arms"].items():
        for phase in ("init", "trained"):
            if phase in res:
                cols.append((f"{arm}, {'before' if phase == 'init' else 'after'}", res[phase]))
    labels = dict(LABELS)
    units: Dict[str, Optional[str]] = {}
    for _, res in cols:
        for metric in res.get("toy", {}).get("metrics", []):
            labels.setdefault(metric["key"], metric.get("label") or metric["key"])
            units.setdefault(metric["key"], metric.get("unit"))
    keys = [k for k in labels if any(k in r["metrics"] for _, r in cols)]
    lines = [f"{result['settings']['steps']} steps of {result['settings']['batch_size']} × "
             f"{result['settings']['max_length']} tokens ({result['tokens']} tokens) per arm; text model "
             f"{result['settings']['text_model']}: held-out English perplexity "
             f"{result['reference']['text_ppl']['ppl']:.2f} ({result['reference']['text_ppl']['tokens']} tokens).", "",
             "| metric | " + " | ".join(c for c, _ in cols) + " |", "|---|" + "---:|" * len(cols)]
    for key in keys:
        cells = []
        for _, r in cols:
            v = r["metrics"].get(key)
            if v is None:
                cells.append("-")
            elif units.get(key) in ("fraction", "%"):  # toy metrics read as their labels say: percentages
                cells.append(format_metric_value({"value": v, "unit": units[key]}))
            else:
                cells.append("nan" if v != v else f"{v:.4g}")
        lines.append(f"| {labels[key]} | " + " | ".join(cells) + " |")
    loss_cells = []
    for arm, res in result["arms"].items():
        tr = res["training"]
        loss_cells.append(f"{arm}: {tr['first_loss']:.3f} → {tr['last_loss']:.3f} in {tr['seconds']:.0f} s"
                          if tr.get("first_loss") is not None else f"{arm}: -")
    lines += ["", "Training loss (Trainer's mean, first → last logged): " + "; ".join(loss_cells) + "."]
    return "\n".join(lines) + "\n"


def main(argv: Optional[Sequence[str]] = None) -> int:
    from transformers import HfArgumentParser

    parser = HfArgumentParser(TextInitArguments, prog="python -m recipes.text_init_experiment",
                              description=__doc__.split("\n\n")[0])
    (args,) = parser.parse_args_into_dataclasses(list(sys.argv[1:] if argv is None else argv))
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    result = run_text_init_experiment(args)
    print(format_experiment(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["TextInitArguments", "run_text_init_experiment", "evaluate_model", "format_experiment", "text_perplexity",
           "speech_token_loss", "generative_perplexity", "read_heldout_text", "load_text_model", "HELDOUT_TEXT", "ARMS"]
