# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Train a whole Spirit LM from nothing on a laptop CPU: toy corpus -> speech tokenizer -> units -> vocoder -> text
tokenizer -> language model (the TRL pretraining recipe) -> Hub folder -> evaluation. One command, seeded, resumable.

```bash
spirit-lm train-toy --output-dir out/toy-spirit-lm            # the full default (46 min measured on 2 cores)
spirit-lm train-toy --output-dir out/toy-ci --preset ci         # the same stages, a few minutes (CI)
```

```python
from recipes.toy.arguments import ToyTrainingArguments
from recipes.toy.stages import train_toy
report = train_toy(ToyTrainingArguments(output_dir="out/toy-spirit-lm"))
```

This module is the orchestration (the stages, in order). The settings are :mod:`recipes.toy.arguments`, the
with/without-interleaving experiment :mod:`recipes.toy.experiment`, installing the result as the embedded default
and its card :mod:`recipes.toy.ship`, and the command that chains them :mod:`recipes.toy.train`.

Every stage writes its result under ``work_dir`` (default ``<output_dir>-work``) and a ``stage.json`` with its
settings when it is finished; a rerun skips finished stages whose settings are unchanged and resumes an interrupted
one from its last checkpoint (speech tokenizer: every ``save_steps`` steps; vocoder: ``save_every``; language model:
the Trainer's ``save_steps``). Changing a stage's settings redoes it and every later stage. Stages:

1. ``corpus`` -- :func:`processing.toy_corpus.build_toy_corpus` (festival + espeak-ng voices, word times, splits).
2. ``speech_tokenizer`` -- :func:`processing.train_speech_tokenizer.train_speech_tokenizer`: a small HuBERT (the real
   25 Hz conv stack) trained by masked prediction of k-means targets of log-mel (default) or MFCC frames, then the
   linear quantizer.
3. ``encode`` -- every split encoded with the trained tokenizer (:func:`processing.encode_units.encode_dataset`,
   audio kept for the vocoder).
4. ``vocoder`` -- :func:`processing.train_vocoder.train_vocoder`: unit HiFi-GAN + duration predictor, one speaker
   per voice, multi-resolution mel loss.
5. ``lm_init`` -- a SentencePiece BPE text tokenizer trained on the train split's text, the exact Spirit LM token
   layout (:class:`SpiritLMConfig`, ``num_hubert_units`` = the tokenizer's units), a randomly initialised small Llama,
   the speech tokenizer and vocoder copied in: a Hub-ready folder.
6. ``lm_data`` -- training text from the encoded train split (:mod:`processing.interleave`): speech-only, text-only,
   word-interleaved (span lengths scaled to short sentences), and ASR/TTS pairs (several pairs per sequence, the
   shape of a few-shot prompt); one JSON-lines file per kind.
7. ``lm`` -- ``recipes/scripts/pretrain.py`` (TRL ``SFTTrainer``, packing) on the weighted mixture, with a YAML
   written to ``work_dir/lm/config.yaml``; the recipe saves the Hub-ready folder, which is copied to ``output_dir``.
8. ``evaluate`` -- :func:`recipes.eval.toy.evaluate_toy` on the test split (``evaluation.json`` in ``output_dir``).

``report = train_toy(args)`` is also written to ``output_dir/toy_training.json``: per stage the seconds taken and
the loss curve (first/last), and the evaluation.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import random
import shutil
import time
from dataclasses import asdict
from typing import Any, Dict, List, Optional, Sequence

import sentencepiece as spm
import soundfile as sf
import torch
import yaml
from tqdm.auto import tqdm

from modeling_spirit.configuration_spirit_lm import SpiritLMConfig
from modeling_spirit.constants import SAMPLING_RATE, SPEECH_TOKENIZER_SUBFOLDER, TEXT_MARKER, VOCODER_SUBFOLDER
from modeling_spirit.hub_folder import make_hub_ready
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer
from modeling_spirit.tokenization_spirit_lm import train_text_sentencepiece, write_spirit_tokenizer
from processing.encode_units import encode_dataset
from processing.interleave import build_training_texts
from processing.phonemes import phone_ids, phone_inventory, phonemize
from processing.toy_corpus import build_toy_corpus, corpus_info
from processing.speech_tokenizer_training.arguments import SpeechTokenizerTrainingArguments, build_speech_tokenizer
from processing.speech_tokenizer_training.data import load_corpus
from processing.speech_tokenizer_training.features import num_frames
from processing.speech_tokenizer_training.probes import frame_word_labels
from processing.train_speech_tokenizer import train_speech_tokenizer
from processing.train_vocoder import cpu_has_bf16, train_vocoder
from recipes.eval.toy import evaluate_toy

from .arguments import LM_KINDS, STAGES, ToyTrainingArguments, apply_preset, mixture_weights

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
REPORT_FILE = "toy_training.json"


# ----------------------------------------------------------------------------------------------------------------
# Stage bookkeeping
# ----------------------------------------------------------------------------------------------------------------
class _Stages:
    """``work_dir/<stage>/stage.json`` markers: a stage is done when its marker holds the same settings."""

    def __init__(self, work_dir: str):
        self.work_dir = work_dir
        self.invalidated = False

    def path(self, stage: str, *parts: str) -> str:
        return os.path.join(self.work_dir, stage, *parts)

    def done(self, stage: str, settings: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        marker = self.path(stage, "stage.json")
        if self.invalidated or not os.path.isfile(marker):
            return None
        with open(marker, encoding="utf-8") as f:
            data = json.load(f)
        if data.get("settings") != json.loads(json.dumps(settings)):
            logger.warning("Stage %s was finished with other settings: redoing it and every later stage.", stage)
            self.invalidated = True
            return None
        return data.get("result", {})

    def start(self, stage: str, settings: Dict[str, Any]) -> None:
        os.makedirs(self.path(stage), exist_ok=True)
        marker = self.path(stage, "stage.json")
        if os.path.isfile(marker):
            os.remove(marker)
        # A stage started with other settings than its half-done outputs: clear them (resuming needs equal settings).
        started = self.path(stage, "started.json")
        if os.path.isfile(started):
            with open(started, encoding="utf-8") as f:
                if json.load(f) != json.loads(json.dumps(settings)):
                    shutil.rmtree(self.path(stage))
                    os.makedirs(self.path(stage))
        with open(started, "w", encoding="utf-8") as f:
            json.dump(settings, f, indent=1)
        self.invalidated = True  # later stages must be redone

    def finish(self, stage: str, settings: Dict[str, Any], result: Dict[str, Any]) -> Dict[str, Any]:
        with open(self.path(stage, "stage.json"), "w", encoding="utf-8") as f:
            json.dump({"format_version": FORMAT_VERSION, "settings": settings, "result": result}, f, indent=1,
                      default=str)
        return result


def use_bf16(args: ToyTrainingArguments) -> bool:
    """``args.bf16``, or (unset) whether this CPU computes bfloat16 natively."""
    if args.bf16 is not None:
        return bool(args.bf16)
    return cpu_has_bf16()


def _set_threads(n: Optional[int]) -> None:
    if n:
        torch.set_num_threads(n)
        os.environ.setdefault("OMP_NUM_THREADS", str(n))


# ----------------------------------------------------------------------------------------------------------------
# Stages
# ----------------------------------------------------------------------------------------------------------------
def _corpus(args: ToyTrainingArguments, st: _Stages) -> Dict[str, Any]:
    path = args.corpus_dir or st.path("corpus", "data")
    build_toy_corpus(path, num_sentences=args.num_sentences, seed=args.seed, voices=list(args.voices),
                     progress=args.progress)
    info = corpus_info(path)
    return {"path": path, "hours": info["total"]["audio_hours"],
            "splits": {k: {"sentences": v["sentences"], "rows": v["rows"]} for k, v in info["splits"].items()}}


def _speech_tokenizer(args: ToyTrainingArguments, st: _Stages, corpus: str) -> Dict[str, Any]:
    out = st.path("speech_tokenizer", "model")
    waves, words, texts = load_corpus(corpus, "train", args.st_utterances, args.seed, with_text=True)
    phones: Dict[str, Any] = {}
    num_units = args.st_clusters
    if args.st_quantizer_targets == "phones":
        phones = _phoneme_targets(args, corpus, texts)
        num_units = len(phones["unit_names"])
    sargs = SpeechTokenizerTrainingArguments(
        output_dir=out, hidden_size=args.st_hidden_size, num_hidden_layers=args.st_layers,
        intermediate_size=2 * args.st_hidden_size, conv_dim=args.st_conv_dim, hubert_output_layer=args.st_layers,
        vocab_size=num_units, kmeans1_clusters=args.st_clusters, pretrain_steps=args.st_steps,
        learning_rate=args.st_learning_rate, mask_prob=args.st_mask_prob,
        features=args.st_features, n_mels=args.st_n_mels, win_length=args.st_win_length,
        quantizer_targets=args.st_quantizer_targets, pred_nomask_weight=args.st_pred_nomask_weight,
        ctc_epochs=args.st_ctc_epochs, ctc_encoder_learning_rate=args.st_ctc_encoder_lr,
        save_steps=max(50, args.st_steps // 6), seed=args.seed,
        progress=args.progress, torch_threads=args.threads, quantizer_epochs=10, bf16=use_bf16(args),
    )
    cfg = build_speech_tokenizer(sargs).config.hubert_config
    labels = [frame_word_labels(w, num_frames(len(x), cfg), cfg) for x, w in zip(waves, words)]
    _, report = train_speech_tokenizer(waves, sargs, frame_labels=labels, **phones)
    p1, quant = report["pretrain1"], report["quantizer"]
    result = {"path": out, "units": num_units, "unit_kind": args.st_quantizer_targets,
              "pretrain_first_loss": p1["first_loss"], "pretrain_last_loss": p1["last_loss"],
              "pretrain_seconds": p1["seconds"], "kmeans1_word_pnmi": report["kmeans1"].get("metrics", {}).get("pnmi"),
              "units_word_pnmi": report.get("units", {}).get("pnmi"), "utterances": report["utterances"]}
    if args.st_quantizer_targets == "phones":
        losses = quant["epoch_losses"]
        result.update(ctc_first_loss=losses[0] if losses else None, ctc_last_loss=losses[-1] if losses else None,
                      ctc_seconds=quant["seconds"], ctc_epoch_losses=losses,
                      phone_error_rate=[e["per"] for e in quant["eval"]], phonemes=phones["unit_names"],
                      eval_utterances=len(phones["eval_set"][0]))
    else:
        result["quantizer_accuracy"] = quant["accuracy"]
    return result


def _phoneme_targets(args: ToyTrainingArguments, corpus: str, texts: Sequence[str]) -> Dict[str, Any]:
    """The CTC quantizer's targets: espeak-ng phonemes of ``texts`` as ids into the inventory of the whole train
    split, and a held-out set (validation rows whose phonemes are all in that inventory) for the phone error rate."""
    from datasets import load_from_disk  # optional extra (data)

    train_texts = sorted(set(load_from_disk(corpus)["train"]["text"]))
    phones_of = dict(zip(train_texts, phonemize(train_texts, voice=args.phoneme_voice)))  # one espeak-ng run
    inventory = phone_inventory(phones_of.values())
    targets = {"transcripts": phone_ids([phones_of[t] for t in texts], inventory), "unit_names": inventory}
    vwaves, _, vtexts = load_corpus(corpus, "validation", 150, args.seed, with_text=True)
    vphones = phonemize(vtexts, voice=args.phoneme_voice)
    known = set(inventory)
    keep = [i for i, p in enumerate(vphones) if set(p) <= known]
    targets["eval_set"] = ([vwaves[i] for i in keep], phone_ids([vphones[i] for i in keep], inventory))
    return targets


def _encode(args: ToyTrainingArguments, st: _Stages, corpus: str, tokenizer_path: str) -> Dict[str, Any]:
    from datasets import DatasetDict, load_from_disk  # optional extra (data)

    tokenizer = SpiritLMSpeechTokenizer.from_pretrained(tokenizer_path).eval()
    dd = load_from_disk(corpus)
    out, reports = {}, {}
    for split in dd:
        out[split], reports[split] = encode_dataset(dd[split], tokenizer, keep_audio=True, batch_size=16,
                                                    return_report=True, desc=f"Encoding {split}")
    path = st.path("encode", "data")
    DatasetDict(out).save_to_disk(path)
    return {"path": path, "rows": {k: len(v) for k, v in out.items()},
            "skipped": {k: r.get("num_skipped", r.get("skipped")) for k, r in reports.items()}}


def _num_hubert_units(tokenizer_path: str) -> int:
    """HuBERT unit ids the speech tokenizer can emit: its ``V`` units and the CTC blank ``V`` (an all-blank chunk stays
    blank, spec §3.4), as the original's 501 ``[Hu]`` tokens for 500 units (``processing.init_model`` likewise)."""
    with open(os.path.join(tokenizer_path, "config.json"), encoding="utf-8") as f:
        return int(json.load(f)["quantizer_vocab_size"]) + 1


def _vocoder(args: ToyTrainingArguments, st: _Stages, encoded: str, tokenizer_path: str) -> Dict[str, Any]:
    from datasets import load_from_disk  # optional extra (data)

    out = st.path("vocoder", "model")
    ds = load_from_disk(encoded)["train"]
    num_units = _num_hubert_units(tokenizer_path)
    report = train_vocoder(
        ds, out, config_kwargs={"upsample_initial_channel": args.vocoder_channels, "num_embeddings": num_units,
                           "resblock_kernel_sizes": [3, 7], "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]]},
        speakers=list(args.voices), variant="base", steps=args.vocoder_steps, batch_size=args.vocoder_batch_size,
        lr=args.vocoder_lr, lr_decay=args.vocoder_final_lr ** (1.0 / max(1, args.vocoder_steps)), seed=args.seed,
        save_every=max(100, args.vocoder_steps // 8), num_threads=args.threads, bf16=use_bf16(args),
        progress=args.progress,
    )
    history = report.get("history") or []
    k = max(1, len(history) // 10)
    return {"path": out, "report": {k_: v for k_, v in report.items() if k_ != "history"},
            "first_mel_loss": float(sum(h[1] for h in history[:k]) / k) if history else None,
            "last_mel_loss": float(sum(h[1] for h in history[-k:]) / k) if history else None,
            "first_dur_loss": float(sum(h[2] for h in history[:k]) / k) if history else None,
            "last_dur_loss": float(sum(h[2] for h in history[-k:]) / k) if history else None}


def _lm_init(args: ToyTrainingArguments, st: _Stages, corpus: str, tokenizer_path: str, vocoder_path: str) -> Dict[str, Any]:
    from datasets import load_from_disk  # optional extra (data)

    out = st.path("lm_init", "model")
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    texts = sorted(set(load_from_disk(corpus)["train"]["text"]))
    sp_model = train_text_sentencepiece(texts, args.text_vocab_size, st.path("lm_init", "text"))
    text_vocab = spm.SentencePieceProcessor(model_file=sp_model).get_piece_size()
    num_units = _num_hubert_units(tokenizer_path)
    config = SpiritLMConfig(
        variant="base", text_vocab_size=text_vocab, num_hubert_units=num_units, hidden_size=args.lm_hidden_size,
        intermediate_size=args.lm_intermediate_size, num_hidden_layers=args.lm_layers,
        num_attention_heads=args.lm_heads, num_key_value_heads=args.lm_heads,
        max_position_embeddings=args.lm_context, tie_word_embeddings=False, default_speaker=0,
    )
    tokenizer = write_spirit_tokenizer(sp_model, config, out)
    config.pad_token_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else config.eos_token_id
    torch.manual_seed(_lm_seed(args))
    model = SpiritLMForCausalLM(config)
    model.generation_config.max_new_tokens = 200
    model.save_pretrained(out)
    shutil.copytree(tokenizer_path, os.path.join(out, SPEECH_TOKENIZER_SUBFOLDER),
                    ignore=shutil.ignore_patterns("work", "training_report.json"))
    shutil.copytree(vocoder_path, os.path.join(out, VOCODER_SUBFOLDER),
                    ignore=shutil.ignore_patterns("checkpoint", "train_vocoder.json"))
    make_hub_ready(out)
    n_params = sum(p.numel() for p in model.parameters())
    return {"path": out, "text_vocab_size": text_vocab, "vocab_size": config.vocab_size, "parameters": n_params,
            "distinct_train_texts": len(texts)}


def _lm_seed(args: ToyTrainingArguments) -> int:
    return args.seed if args.lm_seed is None else args.lm_seed


def _group(strings: List[str], k: int, rng: random.Random) -> List[str]:
    order = list(range(len(strings)))
    rng.shuffle(order)
    return ["".join(strings[j] for j in order[i : i + k]) for i in range(0, len(order), k)]


def _lm_data(args: ToyTrainingArguments, st: _Stages, encoded: str, model_path: str) -> Dict[str, Any]:
    from datasets import load_from_disk  # optional extra (data)

    ds = load_from_disk(encoded)["train"].remove_columns(["audio"])
    out_dir = st.path("lm_data", "data")
    os.makedirs(out_dir, exist_ok=True)
    counts, files = {}, {}
    rng = random.Random(f"toy-lm-data/{args.seed}")
    for kind in LM_KINDS:
        if kind == "interleaved":
            texts = []
            for rep in range(2):  # two span plans per row
                built = build_training_texts(
                    ds, "interleaved", "base", seed=args.seed * 1000 + rep, expected_speech_tokenizer=model_path,
                    text_span_words=tuple(args.text_span_words), speech_span_words=tuple(args.speech_span_words),
                )
                texts += built["text"]
        elif kind == "text":
            texts = [TEXT_MARKER + t for t in sorted(set(ds["text"]))]
        else:
            texts = build_training_texts(ds, kind, "base", seed=args.seed, expected_speech_tokenizer=model_path)["text"]
            if kind in ("asr", "tts") and args.pairs_per_sequence > 1:
                texts = _group(texts, args.pairs_per_sequence, rng)
        path = os.path.join(out_dir, f"{kind}.jsonl")
        with open(path, "w", encoding="utf-8") as f:
            for t in texts:
                f.write(json.dumps({"text": t}) + "\n")
        counts[kind], files[kind] = len(texts), path
    return {"files": files, "sequences": counts}


def _lm(args: ToyTrainingArguments, st: _Stages, model_path: str, files: Dict[str, str]) -> Dict[str, Any]:
    work = st.path("lm")
    weights = mixture_weights(args)
    config = {
        "model_name_or_path": model_path,
        "dtype": "float32",
        "dataset_mixture": {k: {"path": files[k], "weight": w} for k, w in weights.items()},
        "dataset_text_field": "text",
        "packing": True,
        "packing_strategy": "wrapped",
        "max_length": args.lm_max_length,
        "learning_rate": args.lm_learning_rate,
        "lr_scheduler_type": "cosine",
        "warmup_steps": args.lm_warmup_steps,
        "weight_decay": 0.01,
        "max_steps": args.lm_steps,
        "per_device_train_batch_size": args.lm_batch_size,
        "gradient_accumulation_steps": 1,
        # TRL's SFTConfig turns activation checkpointing on by default; a model this small needs no memory saving and
        # the recomputed forward costs ~30% of every step on a CPU (measured: 1.33 -> 0.95 s/step)
        "activation_checkpointing": False,
        "bf16": use_bf16(args),  # autocast; the weights stay float32 (measured in this recipe: 0.95 -> 0.81 s/step)
        "use_cpu": True,
        "logging_steps": max(1, min(25, args.lm_steps // 20)),
        "logging_first_step": True,
        "save_strategy": "steps",
        "save_steps": args.lm_save_steps,
        "save_total_limit": 1,
        "eval_strategy": "no",
        "report_to": "none",
        "seed": _lm_seed(args),
        "data_seed": _lm_seed(args),
        "output_dir": os.path.join(work, "trainer"),
        "final_dir": os.path.join(work, "final"),
        "disable_tqdm": not args.progress,
        "dataloader_num_workers": 0,
    }
    cfg_path = os.path.join(work, "config.yaml")
    with open(cfg_path, "w", encoding="utf-8") as f:
        f.write("# Written by recipes/toy/stages.py: the toy Spirit LM's pretraining run (recipes/scripts/pretrain.py)\n")
        yaml.safe_dump(config, f, sort_keys=False)
    argv = [cfg_path]
    trainer_dir = config["output_dir"]
    if os.path.isdir(trainer_dir) and any(n.startswith("checkpoint-") for n in os.listdir(trainer_dir)):
        argv += ["--resume_from_checkpoint", "true"]
    from recipes.scripts.pretrain import main as pretrain_main  # heavy optional dependency: trl (`train` extra)

    result = pretrain_main(argv)
    losses = [(h["step"], h["loss"]) for h in result["log_history"] if "loss" in h]
    return {"final_dir": result["final_dir"], "config": cfg_path, "weights": weights, "losses": losses,
            "first_loss": losses[0][1] if losses else None, "last_loss": losses[-1][1] if losses else None,
            "train_runtime": result["metrics"].get("train_runtime")}


def _evaluate(args: ToyTrainingArguments, corpus: str) -> Dict[str, Any]:
    kwargs = {}
    if args.eval_tasks:
        kwargs["tasks"] = tuple(args.eval_tasks)
    return evaluate_toy(args.output_dir, corpus, split="test", output=os.path.join(args.output_dir, "evaluation.json"),
                        limit=args.eval_limit, seed=args.seed, progress=args.progress,
                        work_dir=os.path.join(args.work_dir, "evaluate"), **kwargs)


# ----------------------------------------------------------------------------------------------------------------
# The pipeline
# ----------------------------------------------------------------------------------------------------------------
def stage_settings(args: ToyTrainingArguments) -> Dict[str, Dict[str, Any]]:
    """The settings of each stage, in order (``args`` with its preset applied): a stage is redone when they change,
    and with them every later stage."""
    common = {"seed": args.seed}
    return dict([
        ("corpus", dict(common, num_sentences=args.num_sentences, voices=list(args.voices), dir=args.corpus_dir)),
        ("speech_tokenizer", dict(common, utterances=args.st_utterances, steps=args.st_steps, hidden=args.st_hidden_size,
                                  layers=args.st_layers, conv=args.st_conv_dim, clusters=args.st_clusters,
                                  lr=args.st_learning_rate, mask=args.st_mask_prob,
                                  targets=args.st_quantizer_targets, nomask=args.st_pred_nomask_weight,
                                  features=[args.st_features, args.st_n_mels, args.st_win_length],
                                  ctc=[args.st_ctc_epochs, args.st_ctc_encoder_lr, args.phoneme_voice],
                                  bf16=use_bf16(args))),
        ("encode", dict(common)),
        ("vocoder", dict(common, steps=args.vocoder_steps, channels=args.vocoder_channels,
                         batch=args.vocoder_batch_size, lr=args.vocoder_lr, final_lr=args.vocoder_final_lr,
                         bf16=use_bf16(args))),
        ("lm_init", dict(common, lm_seed=_lm_seed(args), text_vocab=args.text_vocab_size, hidden=args.lm_hidden_size, layers=args.lm_layers,
                         heads=args.lm_heads, ffn=args.lm_intermediate_size, context=args.lm_context)),
        ("lm_data", dict(common, text_spans=list(args.text_span_words), speech_spans=list(args.speech_span_words),
                         pairs=args.pairs_per_sequence)),
        ("lm", dict(common, lm_seed=_lm_seed(args), weights=mixture_weights(args), steps=args.lm_steps, batch=args.lm_batch_size,
                    max_length=args.lm_max_length, lr=args.lm_learning_rate, warmup=args.lm_warmup_steps,
                    bf16=use_bf16(args))),
        ("evaluate", dict(common, limit=args.eval_limit, tasks=args.eval_tasks, enabled=args.evaluate)),
    ])


def train_toy(args: ToyTrainingArguments) -> Dict[str, Any]:
    """Run (or resume) every stage; returns the report (also ``output_dir/toy_training.json``)."""
    args = apply_preset(args)
    if args.work_dir is None:
        args = dataclasses.replace(args, work_dir=args.output_dir.rstrip("/") + "-work")
    _set_threads(args.threads)
    os.makedirs(args.work_dir, exist_ok=True)
    st = _Stages(args.work_dir)
    report: Dict[str, Any] = {"format_version": FORMAT_VERSION, "settings": asdict(args), "stages": {}}
    timings = report["timings_seconds"] = {}
    plan = list(stage_settings(args).items())
    report["stage_settings"] = json.loads(json.dumps(dict(plan)))  # what each stage's marker holds
    results: Dict[str, Dict[str, Any]] = {}
    bar = tqdm(total=len(plan), desc="train-toy", disable=not args.progress, position=0)
    t_all = time.perf_counter()
    for name, settings in plan:
        bar.set_postfix_str(name)
        done = st.done(name, settings)
        if done is not None:
            results[name] = done
            logger.info("stage %s: already done (%s)", name, st.path(name, "stage.json"))
            bar.update(1)
            if args.stop_after == name:
                break
            continue
        if name == "evaluate" and not args.evaluate:
            bar.update(1)
            continue
        logger.info("stage %s: starting", name)
        st.start(name, settings)
        t0 = time.perf_counter()
        if name == "corpus":
            res = _corpus(args, st)
        elif name == "speech_tokenizer":
            res = _speech_tokenizer(args, st, results["corpus"]["path"])
        elif name == "encode":
            res = _encode(args, st, results["corpus"]["path"], results["speech_tokenizer"]["path"])
        elif name == "vocoder":
            res = _vocoder(args, st, results["encode"]["path"], results["speech_tokenizer"]["path"])
        elif name == "lm_init":
            res = _lm_init(args, st, results["corpus"]["path"], results["speech_tokenizer"]["path"],
                           results["vocoder"]["path"])
        elif name == "lm_data":
            res = _lm_data(args, st, results["encode"]["path"], results["lm_init"]["path"])
        elif name == "lm":
            res = _lm(args, st, results["lm_init"]["path"], results["lm_data"]["files"])
            _publish(res["final_dir"], args.output_dir)
            res["examples"] = write_examples(results["corpus"]["path"], args.output_dir, voice=args.voices[0])
        else:
            res = _evaluate(args, results["corpus"]["path"])
        res["seconds"] = time.perf_counter() - t0
        results[name] = st.finish(name, settings, res)
        timings[name] = res["seconds"]
        bar.update(1)
        if args.stop_after == name:
            break
    bar.close()
    for name, res in results.items():
        timings.setdefault(name, res.get("seconds"))
    report["stages"] = results
    report["wall_seconds_this_run"] = time.perf_counter() - t_all
    report["training_seconds"] = sum(results[n].get("seconds") or 0 for n in STAGES[:-1] if n in results)
    if os.path.isdir(args.output_dir):
        with open(os.path.join(args.output_dir, REPORT_FILE), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1, default=str)
    return report


def _publish(final_dir: str, output_dir: str) -> None:
    """Copy the recipe's Hub-ready folder to ``output_dir`` (replacing it)."""
    if os.path.isdir(output_dir):
        shutil.rmtree(output_dir)
    shutil.copytree(final_dir, output_dir)


def write_examples(corpus: str, output_dir: str, voice: str, num_shots: int = 4, num_queries: int = 2) -> Dict[str, Any]:
    """``output_dir/examples/``: ``num_shots`` train recordings and ``num_queries`` test recordings of ``voice``
    (FLAC) with their text, listed in ``examples.json`` (``{"shots": [{"audio", "text"}], "queries": [...]}``): the
    speech the demo hears and the few-shot examples it gives."""
    from datasets import Audio, load_from_disk  # optional extra (data)

    dd = load_from_disk(corpus)
    folder = os.path.join(output_dir, "examples")
    os.makedirs(folder, exist_ok=True)
    meta: Dict[str, Any] = {"voice": voice, "source": "the toy corpus (processing/toy_corpus.py)"}
    for key, split, n in (("shots", "train", num_shots), ("queries", "test", num_queries)):
        ds = dd[split].cast_column("audio", Audio(sampling_rate=SAMPLING_RATE))
        idx = [i for i, v in enumerate(ds["speaker"]) if v == voice][:n]
        if len(idx) < n:
            raise ValueError(f"The {split} split has {len(idx)} rows of voice {voice!r}; {n} are needed.")
        rows = []
        for i in idx:
            row = ds[i]
            name = f"{key}-{i}.flac"
            sf.write(os.path.join(folder, name), row["audio"]["array"], SAMPLING_RATE, format="FLAC")
            rows.append({"audio": name, "text": row["text"], "split": split, "row": i})
        meta[key] = rows
    with open(os.path.join(folder, "examples.json"), "w", encoding="utf-8") as f:
        json.dump(meta, f, indent=1)
    return meta



__all__ = ["train_toy", "stage_settings", "use_bf16", "write_examples", "STAGES", "REPORT_FILE", "FORMAT_VERSION"]
