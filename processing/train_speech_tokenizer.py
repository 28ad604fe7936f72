# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Train the project's own phonetic speech tokenizer (a small :class:`SpiritLMSpeechTokenizer`) from raw audio.

The original ships a trained 25 Hz mHuBERT + linear CTC quantizer (spec §3); this module makes one from scratch,
HuBERT style, so that a corpus the project builds itself (``processing.toy_corpus``) can be tokenised by a model the
project trained. Stages, each resumable and saved under ``output_dir/work/``:

1. ``kmeans1`` -- acoustic frames on the HuBERT frame grid (MFCC + deltas, or log-mel; window centred on each
   conv frame's receptive field, hop 640 = 25 Hz, exactly ``conv_output_lengths`` frames per utterance), clustered
   with a seeded k-means in torch (k-means++ init; Lloyd when the data fits one batch, Sculley mini-batch
   updates otherwise).
2. ``pretrain1`` -- HuBERT masked prediction: spans of conv frames are replaced by ``masked_spec_embed``, the
   encoder output at ``hubert_output_layer`` goes through a projection head (cosine similarity to one embedding
   per cluster / 0.1, fairseq HuBERT's ``final_proj`` + ``label_embs``) and cross-entropy on masked frames predicts
   the cluster of each masked frame. AdamW, linear warm-up then linear decay, random frame-aligned crops, seeded per
   step (so a resumed run equals an uninterrupted one); safetensors checkpoints every ``save_steps``.
3. ``kmeans2`` / ``pretrain2`` (when ``iterations == 2``) -- k-means on the trained model's layer
   ``kmeans2_layer`` features (the exact inference path), a fresh head, more masked-prediction steps.
4. ``quantizer`` -- the linear CTC quantizer (spec §3.4 layout: ``V + 1`` classes, ``V`` = blank), trained one of
   three ways (``quantizer_targets``):

   * ``"phones"`` -- **CTC on phoneme transcripts** (:func:`fit_ctc_quantizer`; phonemes from espeak-ng,
     :mod:`processing.phonemes`): the quantizer emits a phoneme at some frames and the blank elsewhere, and the
     original's blank-filling rule (:func:`fill_blanks`) holds each phoneme until the next, so the units are
     phonemes on the 25 Hz grid. The HuBERT is fine-tuned with it (``ctc_encoder_learning_rate``; 0 keeps it
     frozen, the original's arrangement). Speaker-independent units a small LM can learn from in minutes: the toy
     model's default. The original's quantizer is also CTC-trained, on targets that are not public.
   * ``"kmeans"`` -- cross-entropy fit to k-means (``V`` clusters) of the trained encoder's output-layer features
     computed by the exact inference path (:func:`encode_frames`). The blank class is never a target (its logit is
     trained down), so ``encode_units`` gives the (frame-wise) k-means unit of every frame through the original's
     quantizer architecture and the blank-filling rule never fires.
   * ``"head"`` -- the same fit to the masked-prediction head's class of every frame.
5. ``save_pretrained(output_dir)``: ``SpiritLMSpeechTokenizer.from_pretrained(output_dir)`` and the pipeline load
   it; ``training_report.json`` holds the losses, timings and (with labels) the unit metrics.

```python
from processing.train_speech_tokenizer import SpeechTokenizerTrainingArguments, phoneme_targets, train_speech_tokenizer
args = SpeechTokenizerTrainingArguments(output_dir="out/st", vocab_size=100, pretrain_steps=2000)
tokenizer, report = train_speech_tokenizer(waves, args)          # waves: list of 1-D 16 kHz float arrays
# phoneme units: CTC on espeak-ng phonemes of the transcripts
ph = phoneme_targets(texts)                                       # {"transcripts", "unit_names"}
args = SpeechTokenizerTrainingArguments(output_dir="out/st-phones", quantizer_targets="phones",
                                        vocab_size=len(ph["unit_names"]), learning_rate=2e-3, mask_prob=0.3)
tokenizer, report = train_speech_tokenizer(waves, args, **ph)
```

Command line (a ``save_to_disk`` corpus such as the toy corpus; metrics against its word times)::

    python -m processing.train_speech_tokenizer --dataset toy/ --output_dir out/st [--max_utterances 2000]
        [--vocab_size 100] [--pretrain_steps 2000] [--iterations 2] [--eval_split validation]
        [--quantizer_targets phones]          # CTC on espeak-ng phonemes of the `text` column (vocab_size = phonemes)

Metrics (:func:`unit_metrics`, :func:`word_probe`): cluster usage entropy / perplexity, frame purity (each unit
labelled by its majority label), label purity, PNMI (mutual information / label entropy, as in the HuBERT paper),
and a units -> words probe (nearest class mean of per-word unit histograms, train on one split, test on another).

This module is the recipe (:func:`train_speech_tokenizer`) and its command line; each stage lives in
:mod:`processing.speech_tokenizer_training`: ``arguments`` (settings, the model to train), ``features`` (frame grid,
acoustic and layer features), ``kmeans``, ``pretrain`` (masked prediction), ``quantizer`` (cross-entropy fit),
``ctc`` (CTC on phonemes, phone error rate), ``probes`` (unit metrics, word probe), ``data`` (corpus, phoneme
transcripts) and ``common`` (seeded steps, schedule, checkpoints shared by the loops).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from transformers import HfArgumentParser

from modeling_spirit.constants import SAMPLING_RATE

from .speech_tokenizer_training.arguments import SpeechTokenizerTrainingArguments, build_speech_tokenizer
from .speech_tokenizer_training.common import Interrupted
from .speech_tokenizer_training.ctc import check_transcripts, fit_ctc_quantizer
from .speech_tokenizer_training.data import load_corpus, phoneme_targets
from .speech_tokenizer_training.features import acoustic_features, layer_features, num_frames
from .speech_tokenizer_training.kmeans import KMeans, fit_kmeans
from .speech_tokenizer_training.pretrain import pretrain
from .speech_tokenizer_training.probes import evaluate_on_corpus, frame_word_labels, unit_metrics
from .speech_tokenizer_training.quantizer import QUANTIZER_TARGETS, fit_quantizer


def _stack_targets(feats: List[torch.Tensor], max_frames: int, seed: int) -> torch.Tensor:
    x = torch.cat(feats)
    if x.shape[0] > max_frames:
        x = x[torch.randperm(x.shape[0], generator=torch.Generator().manual_seed(seed))[:max_frames]]
    return x


def _kmeans_stage(path: str, feats: List[torch.Tensor], k: int, args, seed: int) -> KMeans:
    if os.path.isfile(path):
        return KMeans.load(path)
    km = fit_kmeans(_stack_targets(feats, args.kmeans_max_frames, seed), k, seed=seed,
                    batch_size=args.kmeans_batch_size, max_iter=args.kmeans_iters)
    km.save(path)
    return km


def train_speech_tokenizer(
    waves: Sequence[Any],
    args: SpeechTokenizerTrainingArguments,
    frame_labels: Optional[Sequence[Sequence[Any]]] = None,
    stop_after: Optional[Tuple[str, int]] = None,
    transcripts: Optional[Sequence[Sequence[int]]] = None,
    unit_names: Optional[Sequence[str]] = None,
    eval_set: Optional[Tuple[Sequence[Any], Sequence[Sequence[int]]]] = None,
):
    """Train a speech tokenizer on ``waves`` (1-D 16 kHz float arrays/tensors) and save it to ``args.output_dir``.

    Args:
        waves: training utterances (each at least one HuBERT frame long; at least ``crop_frames`` frames is best).
        args: :class:`SpeechTokenizerTrainingArguments`.
        frame_labels: optional reference label per HuBERT frame of each wave (phones, words, ...); when given, the
            report holds :func:`unit_metrics` of the k-means targets and of the final units.
        stop_after: ``(stage, step)``: stop (after a checkpoint) when that pretraining stage reaches ``step``, or
            ``("ctc", epoch)`` after that CTC epoch (to test resuming); the function then returns ``(None, None)``.
            Rerunning resumes.
        transcripts: with ``quantizer_targets="phones"``, the phoneme ids (``[0, vocab_size)``) of each wave
            (:mod:`processing.phonemes`): the CTC quantizer's targets.
        unit_names: optional name of each unit (the phonemes), saved as the config's ``unit_names``.
        eval_set: optional held-out ``(waves, transcripts)``: the report gets their phone error rate per CTC epoch.

    Returns:
        ``(tokenizer, report)``: the trained :class:`SpiritLMSpeechTokenizer` (eval mode) and the report dict (also
        written to ``output_dir/training_report.json``).
    """
    if args.iterations not in (1, 2):
        raise ValueError(f"`iterations` is {args.iterations}; allowed: 1 or 2.")
    if args.quantizer_targets not in QUANTIZER_TARGETS:
        raise ValueError(f"`quantizer_targets` is {args.quantizer_targets!r}; allowed: {QUANTIZER_TARGETS}.")
    if args.quantizer_targets == "phones":
        check_transcripts(transcripts, len(waves), args.vocab_size, unit_names)
    elif transcripts is not None:
        raise ValueError("`transcripts` are only used with quantizer_targets='phones'; drop them or set it.")
    if args.quantizer_targets == "head":
        last_k = args.kmeans2_clusters if args.iterations == 2 else args.kmeans1_clusters
        if last_k != args.vocab_size:
            raise ValueError(
                f"quantizer_targets='head' makes the units the last iteration's {last_k} clusters, but vocab_size is "
                f"{args.vocab_size}; set vocab_size={last_k} or use quantizer_targets='kmeans'."
            )
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    work = os.path.join(args.output_dir, "work")
    os.makedirs(work, exist_ok=True)
    with open(os.path.join(work, "args.json"), "w", encoding="utf-8") as f:
        json.dump(asdict(args), f, indent=1)
    model = build_speech_tokenizer(args)
    cfg = model.config.hubert_config
    waves = [torch.as_tensor(np.asarray(w, dtype=np.float32)).reshape(-1) for w in waves]
    keep = [num_frames(w.shape[0], cfg) >= 2 for w in waves]
    waves = [w for w, k in zip(waves, keep) if k]
    if frame_labels is not None:
        frame_labels = [list(l) for l, k in zip(frame_labels, keep) if k]
    if transcripts is not None:
        transcripts = [list(t) for t, k in zip(transcripts, keep) if k]
    if not waves:
        raise ValueError("No utterance is long enough for two HuBERT frames (1360 samples at 16 kHz).")
    report: Dict[str, Any] = {"utterances": len(waves), "audio_hours": sum(w.shape[0] for w in waves) / SAMPLING_RATE / 3600,
                              "config": {k: v for k, v in asdict(args).items() if k != "progress"}}

    # 1. acoustic k-means targets
    t0 = time.perf_counter()
    ac = [acoustic_features(w, cfg, args.features, args.n_mels, args.win_length) for w in waves]
    km1 = _kmeans_stage(os.path.join(work, "kmeans1.safetensors"), ac, args.kmeans1_clusters, args, args.seed)
    targets = [km1.predict(a) for a in ac]
    report["kmeans1"] = {"clusters": km1.n_clusters, "seconds": time.perf_counter() - t0}
    if frame_labels is not None:
        report["kmeans1"]["metrics"] = unit_metrics([t.tolist() for t in targets], frame_labels, km1.n_clusters)

    heads: Dict[str, nn.Module] = {}

    def run(stage: str, tgt, k: int, steps: int) -> dict:
        ckpt = os.path.join(work, stage)
        stop = stop_after[1] if stop_after and stop_after[0] == stage else None
        res = pretrain(model, waves, tgt, k, steps, args, ckpt, stage=stage, stop_after=stop)
        heads["last"] = res["head"]
        losses = res["losses"]
        w = max(1, min(20, len(losses) // 5))
        return {"steps": res["step"], "seconds": res["seconds"], "steps_per_second": res["step"] / max(res["seconds"], 1e-9),
                "first_loss": float(np.mean(losses[:w])), "last_loss": float(np.mean(losses[-w:])),
                "first_accuracy": float(np.mean(res["accuracies"][:w])), "last_accuracy": float(np.mean(res["accuracies"][-w:])),
                "losses": losses}

    try:
        report["pretrain1"] = run("pretrain1", targets, km1.n_clusters, args.pretrain_steps)
        if args.iterations == 2:
            t0 = time.perf_counter()
            layer = args.kmeans2_layer or model.config.hubert_output_layer
            feats = layer_features(model, waves, layer)
            km2 = _kmeans_stage(os.path.join(work, "kmeans2.safetensors"), feats, args.kmeans2_clusters, args, args.seed + 1)
            targets2 = [km2.predict(f) for f in feats]
            report["kmeans2"] = {"clusters": km2.n_clusters, "layer": layer, "seconds": time.perf_counter() - t0}
            if frame_labels is not None:
                report["kmeans2"]["metrics"] = unit_metrics([t.tolist() for t in targets2], frame_labels, km2.n_clusters)
            report["pretrain2"] = run("pretrain2", targets2, km2.n_clusters, args.pretrain2_steps or args.pretrain_steps)
    except Interrupted:
        return None, None

    # 4. quantizer: CTC on phoneme transcripts; or k-means (V) of the output-layer features (or the pretraining
    #    head's classes), then the MLP fit by cross-entropy
    if args.quantizer_targets == "phones":
        stop = stop_after[1] if stop_after and stop_after[0] == "ctc" else None
        try:
            report["quantizer"] = fit_ctc_quantizer(model, waves, transcripts, args, os.path.join(work, "ctc"),
                                                    stop_after=stop, eval_set=eval_set)
        except Interrupted:
            return None, None
    else:
        t0 = time.perf_counter()
        feats = layer_features(model, waves, model.config.hubert_output_layer)
        flat = torch.cat(feats)
        if args.quantizer_targets == "head":
            head = heads["last"].eval()
            with torch.no_grad():
                qlabels = torch.cat([head(flat[s : s + 65536]).argmax(-1) for s in range(0, flat.shape[0], 65536)])
        else:
            kmq = _kmeans_stage(os.path.join(work, "kmeans_units.safetensors"), feats, args.vocab_size, args,
                                args.seed + 2)
            qlabels = kmq.predict(flat)
        report["quantizer"] = fit_quantizer(model, flat, qlabels, args)
        report["quantizer"]["kmeans_seconds"] = time.perf_counter() - t0 - report["quantizer"]["seconds"]

    # 5. save
    model.eval()
    if unit_names is not None:
        model.config.unit_names = list(unit_names)
    model.save_pretrained(args.output_dir)
    if frame_labels is not None:
        units = [u["hubert"] for u in model.encode_units([w.numpy() for w in waves])]
        report["units"] = unit_metrics(units, frame_labels, args.vocab_size)
    with open(os.path.join(args.output_dir, "training_report.json"), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    return model, report


@dataclass
class DataArguments:
    """The command line's corpus settings (beside :class:`SpeechTokenizerTrainingArguments`)."""

    dataset: str = field(metadata={"help": "A `save_to_disk` DatasetDict folder with an `audio` column."})
    split: str = "train"
    max_utterances: Optional[int] = 2000
    eval_split: Optional[str] = field(default="validation", metadata={"help": "Split for the probe ('' to skip)."})
    eval_train_utterances: int = 400
    eval_utterances: int = 300


def main(argv: Optional[List[str]] = None) -> int:
    """``python -m processing.train_speech_tokenizer``: train on a corpus folder (:class:`DataArguments` +
    :class:`SpeechTokenizerTrainingArguments`), evaluate on ``eval_split``, print the report's summary."""
    data_args, args = HfArgumentParser((DataArguments, SpeechTokenizerTrainingArguments)).parse_args_into_dataclasses(argv)
    waves, words, texts = load_corpus(data_args.dataset, data_args.split, data_args.max_utterances, args.seed,
                                      with_text=True)
    phones = {}
    if args.quantizer_targets == "phones":
        phones = phoneme_targets(texts)
        print(f"CTC phone quantizer: {len(phones['unit_names'])} phonemes (vocab_size set to that)", file=sys.stderr)
        args.vocab_size = len(phones["unit_names"])
    labels = None
    if all(w for w in words):
        cfg = build_speech_tokenizer(args).config.hubert_config
        labels = [frame_word_labels(w, num_frames(len(x), cfg), cfg) for x, w in zip(waves, words)]
    tokenizer, report = train_speech_tokenizer(waves, args, frame_labels=labels, **phones)
    if data_args.eval_split and labels is not None:
        test = load_corpus(data_args.dataset, data_args.eval_split, data_args.eval_utterances, args.seed)
        k = data_args.eval_train_utterances
        report["eval"] = evaluate_on_corpus(tokenizer, (waves[:k], words[:k]), test, args.vocab_size)
        with open(os.path.join(args.output_dir, "training_report.json"), "w", encoding="utf-8") as f:
            json.dump(report, f, indent=1)
    summary = {k: ({kk: vv for kk, vv in v.items() if kk != "losses"} if isinstance(v, dict) else v) for k, v in report.items()}
    print(json.dumps(summary, indent=1, default=str))
    return 0


__all__ = ["DataArguments", "train_speech_tokenizer", "main"]

if __name__ == "__main__":
    sys.exit(main())
