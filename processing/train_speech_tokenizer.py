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
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SAMPLING_RATE = 16000
SILENCE_LABEL = "<sil>"


# ----------------------------------------------------------------------------------------------------------------
# Arguments
# ----------------------------------------------------------------------------------------------------------------


@dataclass
class SpeechTokenizerTrainingArguments:
    """Every setting of :func:`train_speech_tokenizer` (also the command line, via ``HfArgumentParser``).

    Model (ignored for the HuBERT when ``model_name_or_path`` is given): ``hidden_size``, ``num_hidden_layers``,
    ``num_attention_heads``, ``intermediate_size``, ``conv_dim`` (channels of the 8 convs of the real 25 Hz stack),
    ``num_conv_pos_embeddings``, ``hubert_output_layer`` (layer feeding the quantizer, 1-based), ``vocab_size``
    (units ``V``; the quantizer has ``V + 1`` outputs), ``quantizer_hidden_sizes``.
    """

    output_dir: str = field(default="out/speech_tokenizer", metadata={"help": "Folder of the trained tokenizer."})
    model_name_or_path: Optional[str] = field(
        default=None, metadata={"help": "Start from this speech-tokenizer folder (config and HuBERT weights)."}
    )
    # model
    hidden_size: int = 128
    num_hidden_layers: int = 4
    num_attention_heads: int = 4
    intermediate_size: int = 256
    conv_dim: int = 64
    num_conv_pos_embeddings: int = 32
    num_conv_pos_embedding_groups: int = 16
    hubert_output_layer: int = 4
    vocab_size: int = field(default=100, metadata={"help": "Number of units V (quantizer predicts V + 1)."})
    quantizer_hidden_sizes: Optional[List[int]] = None
    # targets
    features: str = field(default="mfcc", metadata={"help": "'mfcc' (13 + deltas + delta-deltas) or 'logmel'."})
    n_mels: int = 40
    win_length: int = 800
    kmeans1_clusters: int = 50
    kmeans2_clusters: int = 100
    kmeans2_layer: Optional[int] = field(default=None, metadata={"help": "Default: hubert_output_layer."})
    kmeans_max_frames: int = 200_000
    kmeans_batch_size: int = 20_000
    kmeans_iters: int = 100
    # masked prediction
    iterations: int = field(default=1, metadata={"help": "1 or 2 HuBERT iterations."})
    pretrain_steps: int = 1000
    pretrain2_steps: Optional[int] = field(default=None, metadata={"help": "Default: pretrain_steps."})
    batch_size: int = 8
    crop_frames: int = 100
    mask_prob: float = 0.65
    mask_length: int = 5
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_fraction: float = 0.08
    max_grad_norm: float = 10.0
    pred_nomask_weight: float = field(
        default=0.0,
        metadata={"help": "Weight of the cross-entropy on unmasked frames (fairseq HuBERT's pred_nomask_weight; the "
                          "masked frames have weight 1). 0 = the paper's masked-only loss; > 0 trains the features to "
                          "classify every frame, which a short CPU budget needs."},
    )
    final_dim: int = 64
    logit_temp: float = 0.1
    save_steps: int = 200
    # quantizer
    quantizer_targets: str = field(
        default="kmeans",
        metadata={"help": "'kmeans': k-means (vocab_size clusters) of the trained output-layer features; 'head': the "
                          "masked-prediction head's class of every (unmasked) frame, so the units are the last "
                          "iteration's targets as the trained encoder predicts them in context (vocab_size must "
                          "equal that iteration's cluster count); 'phones': the quantizer is trained with CTC on "
                          "phoneme transcripts (vocab_size = number of phonemes), so the units are phones."},
    )
    quantizer_epochs: int = 20
    quantizer_batch_size: int = 1024
    quantizer_learning_rate: float = 2e-3
    # CTC quantizer (quantizer_targets='phones')
    ctc_epochs: int = field(default=8, metadata={"help": "Epochs of CTC training over the utterances."})
    ctc_batch_size: int = field(default=16, metadata={"help": "Utterances per CTC step (length-sorted batches)."})
    ctc_encoder_learning_rate: float = field(
        default=5e-4,
        metadata={"help": "Peak learning rate of the HuBERT during CTC training; 0 keeps it frozen (the quantizer is "
                          "then trained on fixed features, as the original's quantizer sits on a frozen HuBERT)."},
    )
    ctc_mask_prob: float = field(
        default=0.3,
        metadata={"help": "Fraction of frames replaced by the mask embedding during CTC training of the HuBERT (seeded "
                          "spans of mask_length, as fine-tuning HuBERT with SpecAugment); 0 = no masking."},
    )
    # misc
    seed: int = 0
    progress: bool = True
    torch_threads: Optional[int] = None
    bf16: bool = field(
        default=False,
        metadata={"help": "Run the HuBERT, head and quantizer forwards of masked-prediction and CTC training under "
                          "bfloat16 autocast (weights, optimizer and losses float32): ~1.4x faster per step on CPUs "
                          "with AVX512-BF16/AMX (measured here: 0.17 -> 0.12 s for a 0.65M-parameter HuBERT, batch "
                          "8 x 3 s); slower where bfloat16 is emulated. Feature extraction and evaluation stay "
                          "float32."},
    )


# Frame features whose k-means classes are the first masked-prediction targets (`acoustic_features`).
ACOUSTIC_FEATURES = ("mfcc", "logmel")
# What the quantizer learns to output (see `quantizer_targets`).
QUANTIZER_TARGETS = ("kmeans", "head", "phones")


def _hubert_config(args: SpeechTokenizerTrainingArguments) -> dict:
    from modeling_spirit.configuration_spirit_speech_tokenizer import default_hubert_config

    cfg = default_hubert_config()
    cfg.update(
        hidden_size=args.hidden_size,
        num_hidden_layers=args.num_hidden_layers,
        num_attention_heads=args.num_attention_heads,
        intermediate_size=args.intermediate_size,
        conv_dim=[args.conv_dim] * len(cfg["conv_kernel"]),
        num_conv_pos_embeddings=args.num_conv_pos_embeddings,
        num_conv_pos_embedding_groups=args.num_conv_pos_embedding_groups,
        mask_time_prob=args.mask_prob,
        mask_time_length=args.mask_length,
    )
    return cfg


def build_speech_tokenizer(args: SpeechTokenizerTrainingArguments):
    """A freshly initialised (seeded) :class:`SpiritLMSpeechTokenizer` for ``args``; with ``model_name_or_path`` its
    HuBERT config and weights are taken from that folder and a new quantizer of ``vocab_size + 1`` classes is made."""
    from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig
    from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer

    torch.manual_seed(args.seed)
    if args.model_name_or_path:
        base = SpiritLMSpeechTokenizer.from_pretrained(args.model_name_or_path)
        hubert_cfg = dict(base.config.hubert_config)
        hubert_cfg.setdefault("mask_time_prob", args.mask_prob)
        config = SpiritLMSpeechTokenizerConfig(
            hubert_config=hubert_cfg,
            hubert_output_layer=base.config.hubert_output_layer,
            hubert_seq_len_multiple=base.config.hubert_seq_len_multiple,
            quantizer_vocab_size=args.vocab_size,
            quantizer_hidden_sizes=args.quantizer_hidden_sizes,
        )
        model = SpiritLMSpeechTokenizer(config)
        model.hubert.load_state_dict(base.hubert.state_dict())
    else:
        config = SpiritLMSpeechTokenizerConfig(
            hubert_config=_hubert_config(args),
            hubert_output_layer=args.hubert_output_layer,
            quantizer_vocab_size=args.vocab_size,
            quantizer_hidden_sizes=args.quantizer_hidden_sizes,
        )
        model = SpiritLMSpeechTokenizer(config)
    if getattr(model.hubert, "masked_spec_embed", None) is None:
        raise ValueError("The HuBERT has no `masked_spec_embed`; its config needs `mask_time_prob > 0`.")
    return model


# ----------------------------------------------------------------------------------------------------------------
# Frame grid and acoustic features
# ----------------------------------------------------------------------------------------------------------------


def frame_geometry(hubert_config: dict) -> Tuple[int, int]:
    """``(hop, receptive_field)`` in samples of the HuBERT conv stack (640 and 720 for the 25 Hz stack)."""
    hop, rf = 1, 1
    for k, s in zip(hubert_config["conv_kernel"], hubert_config["conv_stride"]):
        rf += (k - 1) * hop
        hop *= s
    return hop, rf


def num_frames(num_samples: int, hubert_config: dict) -> int:
    """Frames the conv stack gives for ``num_samples`` samples (``conv_output_lengths``)."""
    from modeling_spirit.modeling_spirit_speech_tokenizer import conv_output_lengths

    n = conv_output_lengths(torch.tensor([num_samples]), hubert_config["conv_kernel"], hubert_config["conv_stride"])
    return int(n[0])


def frame_times(n: int, hubert_config: dict, sampling_rate: int = SAMPLING_RATE) -> np.ndarray:
    """Centre time (s) of each of ``n`` HuBERT frames: ``(i * hop + receptive_field / 2) / sampling_rate``."""
    hop, rf = frame_geometry(hubert_config)
    return (np.arange(n) * hop + rf / 2) / sampling_rate


def acoustic_features(
    wave: torch.Tensor, hubert_config: dict, kind: str = "mfcc", n_mels: int = 40, win_length: int = 800
) -> torch.Tensor:
    """Acoustic frames aligned with the HuBERT frames: ``(T, D)`` with ``T = num_frames(len(wave))``.

    Frame ``i`` is a Hann-windowed ``win_length``-sample window centred on the centre of conv frame ``i``'s receptive
    field (zero-padded at the edges); power spectrum -> ``n_mels`` mel bands -> log. ``kind="mfcc"``: 13 DCT
    coefficients + deltas + delta-deltas (39). Per-utterance mean subtracted (CMN).
    """
    import torchaudio.functional as AF

    if kind not in ACOUSTIC_FEATURES:
        raise ValueError(f"`features` is {kind!r}; allowed: {ACOUSTIC_FEATURES}.")
    wave = torch.as_tensor(wave, dtype=torch.float32).reshape(-1)
    hop, rf = frame_geometry(hubert_config)
    t = num_frames(wave.shape[0], hubert_config)
    out_dim = 39 if kind == "mfcc" else n_mels
    if t == 0:
        return torch.zeros(0, out_dim)
    left = max(0, win_length // 2 - rf // 2)
    padded = F.pad(wave, (left, win_length))
    offset = left - (win_length // 2 - rf // 2)  # 0 unless the window is shorter than the receptive field
    frames = padded[offset:].unfold(0, win_length, hop)[:t]  # (T, W)
    n_fft = 1 << (win_length - 1).bit_length()
    spec = torch.fft.rfft(frames * torch.hann_window(win_length), n=n_fft).abs() ** 2  # (T, n_fft/2+1)
    fb = AF.melscale_fbanks(n_fft // 2 + 1, 20.0, SAMPLING_RATE / 2, n_mels, SAMPLING_RATE)  # (F, M)
    feats = torch.log(spec @ fb + 1e-8)  # (T, M)
    if kind == "mfcc":
        dct = AF.create_dct(13, n_mels, "ortho")  # (M, 13)
        c = (feats @ dct).transpose(0, 1)  # (13, T)
        d1 = AF.compute_deltas(c, win_length=5)
        d2 = AF.compute_deltas(d1, win_length=5)
        feats = torch.cat([c, d1, d2], dim=0).transpose(0, 1)  # (T, 39)
    return feats - feats.mean(dim=0, keepdim=True)


# ----------------------------------------------------------------------------------------------------------------
# k-means (torch, seeded)
# ----------------------------------------------------------------------------------------------------------------


class KMeans:
    """Cluster centres in a standardised space: ``predict(x) = argmin_c |(x - mean) / std - centre_c|``."""

    def __init__(self, centers: torch.Tensor, mean: torch.Tensor, std: torch.Tensor):
        self.centers, self.mean, self.std = centers.float(), mean.float(), std.float()

    @property
    def n_clusters(self) -> int:
        return self.centers.shape[0]

    def predict(self, x: torch.Tensor, batch: int = 65536) -> torch.LongTensor:
        out = []
        for s in range(0, x.shape[0], batch):
            z = (x[s : s + batch].float() - self.mean) / self.std
            out.append(torch.cdist(z, self.centers).argmin(dim=1))
        return torch.cat(out) if out else torch.zeros(0, dtype=torch.long)

    def save(self, path: str) -> None:
        from safetensors.torch import save_file

        save_file({"centers": self.centers.contiguous(), "mean": self.mean, "std": self.std}, path)

    @classmethod
    def load(cls, path: str) -> "KMeans":
        from safetensors.torch import load_file

        d = load_file(path)
        return cls(d["centers"], d["mean"], d["std"])


def fit_kmeans(
    x: torch.Tensor, k: int, seed: int = 0, batch_size: int = 20_000, max_iter: int = 100, init_size: int = 20_000
) -> KMeans:
    """Seeded k-means of ``x`` ``(N, D)`` after per-dimension standardisation.

    k-means++ initialisation on at most ``init_size`` points; then Lloyd iterations when ``N <= batch_size`` (stops
    when assignments stop changing), else ``max_iter`` Sculley mini-batch updates (per-centre learning rate
    ``1 / count``). Empty clusters are re-seeded on random points.
    """
    x = x.float()
    n = x.shape[0]
    if n < k:
        raise ValueError(f"k-means with k={k} needs at least {k} frames; got {n}. Use more audio or fewer clusters.")
    g = torch.Generator().manual_seed(seed)
    mean, std = x.mean(0), x.std(0).clamp_min(1e-5)
    z = (x - mean) / std
    # k-means++
    sample = z[torch.randperm(n, generator=g)[: min(n, init_size)]]
    centers = [sample[torch.randint(sample.shape[0], (1,), generator=g)]]
    d2 = torch.cdist(sample, centers[0]).squeeze(1) ** 2
    for _ in range(1, k):
        probs = d2 / d2.sum() if float(d2.sum()) > 0 else torch.full_like(d2, 1.0 / d2.numel())
        c = sample[torch.multinomial(probs, 1, generator=g)]
        centers.append(c)
        d2 = torch.minimum(d2, torch.cdist(sample, c).squeeze(1) ** 2)
    centers = torch.cat(centers)  # (K, D)
    if n <= batch_size:
        prev = None
        for _ in range(max_iter):
            assign = torch.cdist(z, centers).argmin(1)
            if prev is not None and torch.equal(assign, prev):
                break
            prev = assign
            counts = torch.bincount(assign, minlength=k).float()
            sums = torch.zeros_like(centers).index_add_(0, assign, z)
            empty = counts == 0
            centers = torch.where(empty[:, None], centers, sums / counts.clamp_min(1)[:, None])
            if empty.any():
                centers[empty] = z[torch.randint(n, (int(empty.sum()),), generator=g)]
    else:
        counts = torch.zeros(k)
        for _ in range(max_iter):
            b = z[torch.randint(n, (batch_size,), generator=g)]
            assign = torch.cdist(b, centers).argmin(1)
            bc = torch.bincount(assign, minlength=k).float()
            sums = torch.zeros_like(centers).index_add_(0, assign, b)
            counts += bc
            hit = bc > 0
            centers[hit] += (sums[hit] - bc[hit, None] * centers[hit]) / counts[hit, None]
            dead = counts == 0
            if dead.any():
                centers[dead] = b[torch.randint(batch_size, (int(dead.sum()),), generator=g)]
    return KMeans(centers * 1.0, mean, std)


# ----------------------------------------------------------------------------------------------------------------
# Masked prediction
# ----------------------------------------------------------------------------------------------------------------


class SpiritLMHubertPretrainingHead(nn.Module):
    """fairseq HuBERT's prediction head: ``logits = cos(final_proj(h), label_embs) / logit_temp``."""

    def __init__(self, hidden_size: int, num_classes: int, final_dim: int = 64, logit_temp: float = 0.1):
        super().__init__()
        self.final_proj = nn.Linear(hidden_size, final_dim)
        self.label_embs = nn.Parameter(torch.empty(num_classes, final_dim).uniform_(-1, 1))
        self.logit_temp = logit_temp

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        """``(N, hidden)`` -> ``(N, num_classes)`` logits."""
        p = F.normalize(self.final_proj(hidden), dim=-1)
        e = F.normalize(self.label_embs, dim=-1)
        return p @ e.t() / self.logit_temp


def compute_span_mask(batch: int, frames: int, mask_prob: float, mask_length: int, generator: torch.Generator):
    """``(batch, frames)`` bool mask: ``round(mask_prob * frames / mask_length)`` spans of ``mask_length`` frames at
    distinct random starts per row (spans may overlap, as in HuBERT), at least one span."""
    mask = torch.zeros(batch, frames, dtype=torch.bool)
    span = min(mask_length, frames)
    n_starts = frames - span + 1
    n_spans = max(1, min(n_starts, int(mask_prob * frames / span + float(torch.rand(1, generator=generator)))))
    for b in range(batch):
        starts = torch.randperm(n_starts, generator=generator)[:n_spans]
        idx = (starts[:, None] + torch.arange(span)[None]).reshape(-1)
        mask[b, idx] = True
    return mask


def _step_generator(seed: int, stage: str, step: int) -> torch.Generator:
    tag = sum(ord(c) * 131**i for i, c in enumerate(stage)) % 1_000_003
    return torch.Generator().manual_seed(seed * 1_000_003 * 7919 + tag * 100_003 + step)


def _sample_batch(waves, targets, args, hubert_config, generator):
    """Random frame-aligned crops: ``(B, L)`` samples, ``(B, T)`` targets with ``num_frames(L) == T``."""
    hop, rf = frame_geometry(hubert_config)
    idx = torch.randint(len(waves), (args.batch_size,), generator=generator).tolist()
    t = min([args.crop_frames] + [targets[i].shape[0] for i in idx])
    t -= t % 2  # even frame counts: no fairseq odd-length padding difference between training and inference
    length = (t - 1) * hop + rf
    xs, ys = [], []
    for i in idx:
        j = int(torch.randint(targets[i].shape[0] - t + 1, (1,), generator=generator))
        w = waves[i][j * hop : j * hop + length]
        xs.append(F.pad(w, (0, length - w.shape[0])))
        ys.append(targets[i][j : j + t])
    return torch.stack(xs), torch.stack(ys)


def _lr_lambda(total: int, warmup_fraction: float):
    warm = max(1, int(total * warmup_fraction))

    def f(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.02, (total - step) / max(1, total - warm))

    return f


def _save_state(path: str, model, head, optimizer, state: dict) -> None:
    """Atomic checkpoint folder: ``model.safetensors`` (tokenizer + ``head.``), ``optimizer.safetensors``,
    ``trainer_state.json`` (step, losses, optimizer param groups)."""
    from safetensors.torch import save_file

    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    if head is not None:
        tensors.update({f"head.{k}": v.detach().contiguous().clone() for k, v in head.state_dict().items()})
    save_file(tensors, os.path.join(tmp, "model.safetensors"))
    opt = optimizer.state_dict()
    flat = {f"{i}.{k}": v.contiguous() for i, s in opt["state"].items() for k, v in s.items()}
    save_file(flat, os.path.join(tmp, "optimizer.safetensors"))
    state = dict(state, param_groups=opt["param_groups"])
    with open(os.path.join(tmp, "trainer_state.json"), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)


def _load_state(path: str, model, head, optimizer) -> dict:
    from safetensors.torch import load_file

    tensors = load_file(os.path.join(path, "model.safetensors"))
    if head is not None:
        head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("head.")})
    with open(os.path.join(path, "trainer_state.json"), encoding="utf-8") as f:
        state = json.load(f)
    if optimizer is not None:
        flat = load_file(os.path.join(path, "optimizer.safetensors"))
        opt_state: Dict[int, dict] = {}
        for key, v in flat.items():
            i, name = key.split(".", 1)
            opt_state.setdefault(int(i), {})[name] = v
        optimizer.load_state_dict({"state": opt_state, "param_groups": state["param_groups"]})
    return state


class _Interrupted(Exception):
    pass


def pretrain(
    model,
    waves: List[torch.Tensor],
    targets: List[torch.LongTensor],
    num_classes: int,
    steps: int,
    args: SpeechTokenizerTrainingArguments,
    checkpoint_dir: str,
    stage: str = "pretrain1",
    stop_after: Optional[int] = None,
) -> dict:
    """HuBERT masked prediction of ``targets`` (one cluster id per conv frame of each wave) for ``steps`` steps.

    Resumes from ``checkpoint_dir`` when it holds a checkpoint of this stage (same data and args give the same
    result as an uninterrupted run). ``stop_after`` (testing) stops, after checkpointing, once that many steps are done.

    Returns:
        ``{"losses": [...], "accuracies": [...], "steps": n, "seconds": s, "head": head}`` (masked-frame
        cross-entropy and accuracy per step).
    """
    from tqdm.auto import tqdm

    hubert = model.hubert
    cfg = model.config.hubert_config
    layer = model.config.hubert_output_layer
    head = SpiritLMHubertPretrainingHead(cfg["hidden_size"], num_classes, args.final_dim, args.logit_temp)
    torch.manual_seed(args.seed + 17)
    head.label_embs.data.uniform_(-1, 1)
    params = list(hubert.parameters()) + list(head.parameters())
    optimizer = torch.optim.AdamW(params, lr=args.learning_rate, betas=(0.9, 0.98), eps=1e-6, weight_decay=args.weight_decay)
    schedule = _lr_lambda(steps, args.warmup_fraction)
    state = {"stage": stage, "step": 0, "losses": [], "accuracies": [], "seconds": 0.0, "num_classes": num_classes}
    if os.path.isfile(os.path.join(checkpoint_dir, "trainer_state.json")):
        loaded = _load_state(checkpoint_dir, model, head, optimizer)
        if loaded.get("stage") == stage:
            state = {k: loaded[k] for k in state}
    waves = [torch.as_tensor(w, dtype=torch.float32) for w in waves]
    hubert.train()
    bar = tqdm(total=steps, initial=state["step"], desc=stage, disable=not args.progress, mininterval=2.0)
    t0 = time.perf_counter()
    seconds0 = state["seconds"]
    while state["step"] < steps:
        step = state["step"]
        g = _step_generator(args.seed, stage, step)
        x, y = _sample_batch(waves, targets, args, cfg, g)  # (B, L), (B, T)
        mask = compute_span_mask(y.shape[0], y.shape[1], args.mask_prob, args.mask_length, g)  # (B, T)
        for group in optimizer.param_groups:
            group["lr"] = args.learning_rate * schedule(step)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
            out = hubert(input_values=x, mask_time_indices=mask, output_hidden_states=True)
            h = out.hidden_states[layer]  # (B, T, hidden)
            if h.shape[1] != y.shape[1]:
                raise RuntimeError(f"HuBERT gave {h.shape[1]} frames for a crop whose targets have {y.shape[1]}.")
            logits = head(h[mask]).float()  # (N_masked, K)
            nomask_logits = (head(h[~mask]).float() if args.pred_nomask_weight > 0 and bool((~mask).any())
                             else None)
        loss = F.cross_entropy(logits, y[mask])
        if nomask_logits is not None:
            loss = loss + args.pred_nomask_weight * F.cross_entropy(nomask_logits, y[~mask])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
        optimizer.step()
        state["losses"].append(float(loss.detach()))
        state["accuracies"].append(float((logits.argmax(-1) == y[mask]).float().mean()))
        state["step"] = step + 1
        state["seconds"] = seconds0 + time.perf_counter() - t0
        bar.update(1)
        bar.set_postfix(loss=f"{state['losses'][-1]:.3f}", acc=f"{state['accuracies'][-1]:.2f}", refresh=False)
        done = state["step"] == steps
        if done or state["step"] % args.save_steps == 0 or (stop_after is not None and state["step"] >= stop_after):
            _save_state(checkpoint_dir, model, head, optimizer, state)
        if stop_after is not None and state["step"] >= stop_after and not done:
            bar.close()
            raise _Interrupted(stage)
    bar.close()
    hubert.eval()
    return dict(state, head=head)


# ----------------------------------------------------------------------------------------------------------------
# Features of the trained model (exact inference path) and the quantizer
# ----------------------------------------------------------------------------------------------------------------


@torch.no_grad()
def layer_features(model, waves: List[torch.Tensor], layer: int, max_batch_samples: int = 1_600_000) -> List[torch.Tensor]:
    """``(T_i, hidden)`` features after ``layer`` transformer layers for each wave, by the tokenizer's exact
    inference path (:func:`encode_frames`, fairseq attention and odd-length padding)."""
    from modeling_spirit.modeling_spirit_speech_tokenizer import encode_frames

    model.eval()
    out, batch, size = [], [], 0
    for w in waves:
        w = torch.as_tensor(w, dtype=torch.float32)
        batch.append(w)
        size += w.shape[0]
        if size >= max_batch_samples:
            out += encode_frames(model.hubert, batch, layer, "fairseq", model.config.hubert_seq_len_multiple)
            batch, size = [], 0
    if batch:
        out += encode_frames(model.hubert, batch, layer, "fairseq", model.config.hubert_seq_len_multiple)
    return out


def fit_quantizer(model, feats: torch.Tensor, labels: torch.LongTensor, args: SpeechTokenizerTrainingArguments) -> dict:
    """Cross-entropy fit of ``model.quantizer`` (``V + 1`` classes) to frame labels in ``[0, V)``; seeded shuffles.

    Returns ``{"epoch_losses": [...], "accuracy": a, "seconds": s}`` (accuracy of the argmax vs the labels)."""
    q = model.quantizer
    g = torch.Generator().manual_seed(args.seed + 29)
    torch.manual_seed(args.seed + 29)
    for m in q.encoder:
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    opt = torch.optim.AdamW(q.parameters(), lr=args.quantizer_learning_rate, weight_decay=0.0)
    n = feats.shape[0]
    total = args.quantizer_epochs * max(1, math.ceil(n / args.quantizer_batch_size))
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_lambda(total, 0.05))
    losses = []
    t0 = time.perf_counter()
    q.train()
    for _ in range(args.quantizer_epochs):
        perm = torch.randperm(n, generator=g)
        tot, cnt = 0.0, 0
        for s in range(0, n, args.quantizer_batch_size):
            idx = perm[s : s + args.quantizer_batch_size]
            loss = F.cross_entropy(q.encoder(feats[idx]), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            tot += float(loss.detach()) * idx.numel()
            cnt += idx.numel()
        losses.append(tot / cnt)
    q.eval()
    with torch.no_grad():
        pred = torch.cat([q(feats[s : s + 65536]) for s in range(0, n, 65536)])
    return {"epoch_losses": losses, "accuracy": float((pred == labels).float().mean()),
            "blank_fraction": float((pred == q.vocab_size).float().mean()), "seconds": time.perf_counter() - t0}


def _check_transcripts(transcripts, n_waves: int, vocab_size: int, unit_names) -> None:
    if transcripts is None:
        raise ValueError("quantizer_targets='phones' trains the quantizer with CTC on phoneme transcripts: pass "
                         "`transcripts` (phoneme ids per wave, e.g. from processing.phonemes).")
    if len(transcripts) != n_waves:
        raise ValueError(f"{len(transcripts)} transcripts for {n_waves} waves; give one per wave.")
    if unit_names is not None and len(unit_names) != vocab_size:
        raise ValueError(f"{len(unit_names)} unit names but vocab_size is {vocab_size}; they must be equal.")
    for i, t in enumerate(transcripts):
        bad = [int(p) for p in t if not 0 <= int(p) < vocab_size]
        if bad or not len(t):
            raise ValueError(f"Transcript {i} is empty or has ids {bad[:5]} outside [0, {vocab_size}); every "
                             "transcript needs at least one phoneme id below vocab_size (the blank is vocab_size).")


def ctc_collapse(codes: Sequence[int], blank: int) -> List[int]:
    """Greedy CTC read-out of frame codes: merge repeats, drop blanks (``[3, 3, B, 3, 5, B] -> [3, 3, 5]``)."""
    out, prev = [], None
    for c in codes:
        c = int(c)
        if c != prev and c != blank:
            out.append(c)
        prev = c
    return out


@torch.no_grad()
def phone_error_rate(model, waves: Sequence[Any], transcripts: Sequence[Sequence[int]]) -> dict:
    """Greedy CTC phone error rate of ``model``'s quantizer on ``waves`` against ``transcripts`` (edit distance /
    reference length, by the exact inference path), with the fraction of blank frames."""
    q = model.quantizer
    feats = layer_features(model, [torch.as_tensor(np.asarray(w, dtype=np.float32)).reshape(-1) for w in waves],
                           model.config.hubert_output_layer)
    import jiwer

    refs, hyps, blanks, frames = [], [], 0, 0
    for f, ref in zip(feats, transcripts):
        codes = q(f)  # (T,) with blanks
        refs.append(" ".join(str(int(p)) for p in ref))
        hyps.append(" ".join(map(str, ctc_collapse(codes.tolist(), q.vocab_size))))
        blanks += int((codes == q.vocab_size).sum())
        frames += codes.numel()
    # phoneme ids as words: jiwer's corpus word error rate is the phone error rate
    return {"per": jiwer.wer(refs, hyps), "blank_fraction": blanks / max(frames, 1), "utterances": len(feats)}


def fit_ctc_quantizer(
    model,
    waves: List[torch.Tensor],
    transcripts: Sequence[Sequence[int]],
    args: SpeechTokenizerTrainingArguments,
    checkpoint_dir: str,
    stop_after: Optional[int] = None,
    eval_set: Optional[Tuple[Sequence[Any], Sequence[Sequence[int]]]] = None,
) -> dict:
    """Train ``model.quantizer`` (``V + 1`` outputs, the blank is ``V``) with CTC on phoneme transcripts, the HuBERT
    fine-tuned with it at ``args.ctc_encoder_learning_rate`` (0: frozen, features computed once by the exact
    inference path). Whole utterances in length-sorted batches of ``ctc_batch_size``, seeded batch order per epoch,
    linear warm-up (10%) then linear decay, seeded span masking (``ctc_mask_prob``) of the HuBERT's frames; a
    checkpoint after every epoch (resumed like :func:`pretrain`). ``stop_after`` (testing) stops after that epoch.

    At inference the quantizer's argmax gives a phoneme at some frames and the blank elsewhere; the blank-filling rule
    of the original (:func:`fill_blanks`) then holds each phoneme until the next one, so every frame has a unit.

    Returns:
        ``{"epoch_losses", "eval" (per epoch, when ``eval_set``), "seconds", "steps", "impossible"}`` (``impossible``:
        utterances with more phonemes than frames, which CTC cannot align; their loss is zeroed).
    """
    from tqdm.auto import tqdm

    q, hubert = model.quantizer, model.hubert
    cfg, layer, blank = model.config.hubert_config, model.config.hubert_output_layer, model.quantizer.vocab_size
    torch.manual_seed(args.seed + 29)
    for m in q.encoder:
        if isinstance(m, nn.Linear):
            m.reset_parameters()
    frozen = args.ctc_encoder_learning_rate <= 0
    lengths = [num_frames(w.shape[0], cfg) for w in waves]
    targets = [torch.as_tensor([int(p) for p in t], dtype=torch.long) for t in transcripts]
    impossible = sum(int(t.numel() > n) for t, n in zip(targets, lengths))
    feats = layer_features(model, waves, layer) if frozen else None
    order = sorted(range(len(waves)), key=lambda i: (lengths[i], i))
    batches = [order[i : i + args.ctc_batch_size] for i in range(0, len(order), args.ctc_batch_size)]
    groups = [{"params": list(q.parameters()), "lr": args.quantizer_learning_rate}]
    if not frozen:
        groups.append({"params": list(hubert.parameters()), "lr": args.ctc_encoder_learning_rate})
    peaks = [g["lr"] for g in groups]
    params = [p for g in groups for p in g["params"]]
    optimizer = torch.optim.AdamW(groups, betas=(0.9, 0.98), eps=1e-6, weight_decay=args.weight_decay)
    total = args.ctc_epochs * len(batches)
    schedule = _lr_lambda(total, 0.1)
    state = {"stage": "ctc", "epoch": 0, "step": 0, "epoch_losses": [], "eval": [], "seconds": 0.0}
    if os.path.isfile(os.path.join(checkpoint_dir, "trainer_state.json")):
        loaded = _load_state(checkpoint_dir, model, None, optimizer)
        if loaded.get("stage") == "ctc":
            state = {k: loaded[k] for k in state}
    bar = tqdm(total=total, initial=state["step"], desc="ctc", disable=not args.progress, mininterval=2.0)
    t0, seconds0 = time.perf_counter(), state["seconds"]
    while state["epoch"] < args.ctc_epochs:
        g = _step_generator(args.seed, "ctc", state["epoch"])
        perm = torch.randperm(len(batches), generator=g).tolist()
        q.train()
        hubert.train(not frozen)
        total_loss = 0.0
        for j in perm:
            idx = batches[j]
            for group, peak in zip(optimizer.param_groups, peaks):
                group["lr"] = peak * schedule(state["step"])
            if frozen:
                t = max(lengths[i] for i in idx)
                h = torch.stack([F.pad(feats[i], (0, 0, 0, t - lengths[i])) for i in idx])  # (B, T, hidden)
            else:
                n = max(waves[i].shape[0] for i in idx)
                x = torch.stack([F.pad(waves[i], (0, n - waves[i].shape[0])) for i in idx])  # (B, L)
                t = num_frames(n, cfg)
                mask = (compute_span_mask(len(idx), t, args.ctc_mask_prob, args.mask_length, g)
                        if args.ctc_mask_prob > 0 else torch.zeros(len(idx), t, dtype=torch.bool))
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=args.bf16):
                if not frozen:
                    h = hubert(input_values=x, mask_time_indices=mask, output_hidden_states=True).hidden_states[layer]
                logits = q.encoder(h).float()
            log_probs = logits.log_softmax(-1).transpose(0, 1)  # (T, B, V + 1)
            loss = F.ctc_loss(log_probs, torch.cat([targets[i] for i in idx]),
                              torch.as_tensor([lengths[i] for i in idx]), torch.as_tensor([targets[i].numel() for i in idx]),
                              blank=blank, zero_infinity=True)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, args.max_grad_norm)
            optimizer.step()
            total_loss += float(loss.detach())
            state["step"] += 1
            bar.update(1)
            bar.set_postfix(loss=f"{float(loss.detach()):.3f}", refresh=False)
        state["epoch"] += 1
        state["epoch_losses"].append(total_loss / max(1, len(batches)))
        if eval_set is not None:
            state["eval"].append(phone_error_rate(model, *eval_set))
        state["seconds"] = seconds0 + time.perf_counter() - t0
        _save_state(checkpoint_dir, model, None, optimizer, state)
        if stop_after is not None and state["epoch"] >= stop_after and state["epoch"] < args.ctc_epochs:
            bar.close()
            raise _Interrupted("ctc")
    bar.close()
    q.eval()
    hubert.eval()
    return {"epoch_losses": state["epoch_losses"], "eval": state["eval"], "seconds": state["seconds"],
            "steps": state["step"], "impossible": impossible, "encoder_frozen": frozen}


# ----------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------


def unit_metrics(units: Sequence[Sequence[int]], labels: Sequence[Sequence[Any]], num_units: Optional[int] = None) -> dict:
    """Frame-level quality of units against reference labels (same length per utterance).

    Returns ``units_used``, ``usage_entropy_bits`` and ``usage_perplexity`` (of the unit distribution),
    ``frame_purity`` (accuracy when each unit predicts its majority label), ``label_purity`` (each label predicts
    its majority unit), ``pnmi`` (I(label; unit) / H(label)), ``chance_purity`` (majority-label frequency).
    """
    u = np.concatenate([np.asarray(x, dtype=np.int64) for x in units])
    names = {}
    lab = np.concatenate([np.asarray([names.setdefault(l, len(names)) for l in row], dtype=np.int64) for row in labels])
    if u.shape != lab.shape:
        raise ValueError(f"{u.shape[0]} units but {lab.shape[0]} labels; give one label per frame.")
    nu = int(max(u.max() + 1, num_units or 0))
    joint = np.zeros((nu, len(names)))
    np.add.at(joint, (u, lab), 1)
    p = joint / joint.sum()
    pu, pl = p.sum(1), p.sum(0)
    nz = p > 0
    mi = float((p[nz] * np.log(p[nz] / (pu[:, None] * pl[None, :])[nz])).sum())
    hl = float(-(pl[pl > 0] * np.log(pl[pl > 0])).sum())
    hu = float(-(pu[pu > 0] * np.log2(pu[pu > 0])).sum())
    return {
        "frames": int(u.size),
        "units_used": int((pu > 0).sum()),
        "usage_entropy_bits": hu,
        "usage_perplexity": float(2**hu),
        "max_entropy_bits": float(math.log2(nu)),
        "frame_purity": float(joint.max(1).sum() / joint.sum()),
        "label_purity": float(joint.max(0).sum() / joint.sum()),
        "pnmi": mi / hl if hl > 0 else 0.0,
        "chance_purity": float(pl.max()),
    }


def normalize_word(word: str) -> str:
    return re.sub(r"[^\w']", "", word.lower())


def frame_word_labels(words: Sequence[dict], n: int, hubert_config: dict) -> List[str]:
    """Word (normalised) whose ``[start, end)`` holds each frame centre, else ``"<sil>"``."""
    t = frame_times(n, hubert_config)
    out = [SILENCE_LABEL] * n
    for w in words:
        sel = np.nonzero((t >= w["start"]) & (t < w["end"]))[0]
        for i in sel:
            out[i] = normalize_word(w["word"])
    return out


def word_segments(units: Sequence[int], words: Sequence[dict], hubert_config: dict) -> List[Tuple[str, List[int]]]:
    """``(word, units of the frames whose centre lies in the word)`` for every word with at least one frame."""
    t = frame_times(len(units), hubert_config)
    out = []
    for w in words:
        sel = np.nonzero((t >= w["start"]) & (t < w["end"]))[0]
        if sel.size:
            out.append((normalize_word(w["word"]), [int(units[i]) for i in sel]))
    return out


def word_probe(
    train: List[Tuple[str, List[int]]], test: List[Tuple[str, List[int]]], num_units: int, k: int = 5
) -> dict:
    """Units -> word identity probe: each word token is the L2-normalised histogram of its units plus of its unit
    bigrams (hashed into ``num_units`` extra bins); a test token gets the similarity-weighted vote of its ``k``
    nearest training tokens (cosine). Reports accuracy on test tokens of words seen in training and the
    majority-word baseline."""

    def vec(us: List[int]) -> np.ndarray:
        v = np.zeros(2 * num_units)
        np.add.at(v, np.asarray(us), 1.0)
        if len(us) > 1:
            np.add.at(v, num_units + (np.asarray(us[:-1]) * 7919 + np.asarray(us[1:])) % num_units, 1.0)
        return v / max(np.linalg.norm(v), 1e-9)

    vocab = sorted({w for w, _ in train})
    index = {w: i for i, w in enumerate(vocab)}
    train_x = np.stack([vec(us) for _, us in train])
    train_y = np.asarray([index[w] for w, _ in train])
    test = [(w, us) for w, us in test if w in index]
    if not test:
        return {"accuracy": float("nan"), "test_tokens": 0}
    x = np.stack([vec(us) for _, us in test])
    sims = x @ train_x.T  # (N_test, N_train)
    kk = min(k, train_x.shape[0])
    nn_idx = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
    votes = np.zeros((len(test), len(vocab)))
    for j in range(kk):
        np.add.at(votes, (np.arange(len(test)), train_y[nn_idx[:, j]]), sims[np.arange(len(test)), nn_idx[:, j]])
    pred = votes.argmax(1)
    gold = np.asarray([index[w] for w, _ in test])
    majority = np.bincount(train_y, minlength=len(vocab)).argmax()
    return {"accuracy": float((pred == gold).mean()), "majority_baseline": float((gold == majority).mean()),
            "test_tokens": len(test), "word_types": len(vocab), "k": kk}


# ----------------------------------------------------------------------------------------------------------------
# The whole recipe
# ----------------------------------------------------------------------------------------------------------------


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
        _check_transcripts(transcripts, len(waves), args.vocab_size, unit_names)
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
    except _Interrupted:
        return None, None

    # 4. quantizer: CTC on phoneme transcripts; or k-means (V) of the output-layer features (or the pretraining
    #    head's classes), then the MLP fit by cross-entropy
    if args.quantizer_targets == "phones":
        stop = stop_after[1] if stop_after and stop_after[0] == "ctc" else None
        try:
            report["quantizer"] = fit_ctc_quantizer(model, waves, transcripts, args, os.path.join(work, "ctc"),
                                                    stop_after=stop, eval_set=eval_set)
        except _Interrupted:
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


# ----------------------------------------------------------------------------------------------------------------
# Datasets and command line
# ----------------------------------------------------------------------------------------------------------------


def load_corpus(path: str, split: str, max_utterances: Optional[int] = None, seed: int = 0,
                with_text: bool = False) -> Tuple[list, ...]:
    """``(waves, words)`` of a ``save_to_disk`` corpus split (toy-corpus layout: ``audio`` + optional ``words``);
    ``max_utterances`` rows picked with a seeded shuffle. ``with_text``: ``(waves, words, texts)`` (the ``text``
    column)."""
    from datasets import Audio, load_from_disk

    ds = load_from_disk(path)[split]
    if max_utterances and max_utterances < len(ds):
        ds = ds.shuffle(seed=seed).select(range(max_utterances))
    ds = ds.cast_column("audio", Audio(sampling_rate=SAMPLING_RATE, decode=False))
    feature = Audio(sampling_rate=SAMPLING_RATE)
    waves, words = [], []
    for row in ds:
        waves.append(np.asarray(feature.decode_example(row["audio"])["array"], dtype=np.float32).reshape(-1))
        words.append(row.get("words"))
    if with_text:
        return waves, words, list(ds["text"])
    return waves, words


def phoneme_targets(texts: Sequence[str], voice: str = "en-us", inventory: Optional[Sequence[str]] = None
                    ) -> Dict[str, Any]:
    """``{"transcripts", "unit_names"}`` for ``quantizer_targets="phones"``: espeak-ng phonemes of ``texts``
    (:func:`processing.phonemes.phonemize`) as ids into ``inventory`` (default: the phonemes of ``texts``, ``sil``
    first)."""
    from .phonemes import phone_ids, phone_inventory, phonemize

    ph = phonemize(texts, voice=voice)
    inventory = list(inventory) if inventory is not None else phone_inventory(ph)
    return {"transcripts": phone_ids(ph, inventory), "unit_names": inventory}


def evaluate_on_corpus(tokenizer, train: Tuple[list, list], test: Tuple[list, list], num_units: int) -> dict:
    """Unit metrics vs frame word labels on ``test`` and the units -> words probe (train -> test)."""
    cfg = tokenizer.config.hubert_config
    out = {}
    segs = {}
    for name, (waves, words) in (("train", train), ("test", test)):
        units = [u["hubert"] for u in tokenizer.encode_units(list(waves))]
        segs[name] = [s for u, w in zip(units, words) for s in word_segments(u, w, cfg)]
        if name == "test":
            labels = [frame_word_labels(w, len(u), cfg) for u, w in zip(units, words)]
            out["word_frame_metrics"] = unit_metrics(units, labels, num_units)
    out["word_probe"] = word_probe(segs["train"], segs["test"], num_units)
    return out


def main(argv: Optional[List[str]] = None) -> int:
    from transformers import HfArgumentParser

    @dataclass
    class DataArguments:
        dataset: str = field(metadata={"help": "A `save_to_disk` DatasetDict folder with an `audio` column."})
        split: str = "train"
        max_utterances: Optional[int] = 2000
        eval_split: Optional[str] = field(default="validation", metadata={"help": "Split for the probe ('' to skip)."})
        eval_train_utterances: int = 400
        eval_utterances: int = 300

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


__all__ = [
    "ACOUSTIC_FEATURES",
    "QUANTIZER_TARGETS",
    "SpeechTokenizerTrainingArguments",
    "SpiritLMHubertPretrainingHead",
    "KMeans",
    "acoustic_features",
    "build_speech_tokenizer",
    "compute_span_mask",
    "ctc_collapse",
    "fit_ctc_quantizer",
    "fit_kmeans",
    "fit_quantizer",
    "phone_error_rate",
    "phoneme_targets",
    "frame_geometry",
    "frame_word_labels",
    "layer_features",
    "load_corpus",
    "num_frames",
    "pretrain",
    "train_speech_tokenizer",
    "unit_metrics",
    "word_probe",
]

if __name__ == "__main__":
    sys.exit(main())
