# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Train a unit HiFi-GAN vocoder (:class:`SpiritLMHifiGan`) from speech units and their audio, on a CPU if need be.

```python
from processing.train_vocoder import train_vocoder
report = train_vocoder(ds, "out/vocoder", steps=3000, batch_size=8, segment_frames=25)   # ds: rows with hubert+audio
vocoder = SpiritLMHifiGan.from_pretrained("out/vocoder")
```

Command line (also ``python -m processing.train_vocoder``)::

    python -m processing.train_vocoder --dataset units/ --output-dir out/vocoder [--split train] [--steps 3000] \
        [--batch-size 8] [--segment-frames 25] [--lr 2e-4] [--speech-tokenizer MODEL] [--no-resume]

**Input rows.** Raw (not deduplicated) ``hubert`` units at 25 Hz (one unit per ``hop_length`` = 640 samples) and the
16 kHz audio they were computed from (``audio``: an ``Audio`` feature, ``{"array", "sampling_rate"}``, a path or
bytes; resampled to 16 kHz by ``datasets``), optionally a ``speaker`` name. The rows ``encode_dataset(...,
keep_audio=True)`` writes are exactly that. When the dataset also has raw ``pitch`` (12.5 Hz) and ``style`` (1 Hz)
columns (expressive speech tokenizer) the vocoder is an *expressive* one (``variant="auto"``): every hubert frame ``n``
is given ``pitch[n // 2]`` and ``style[n // 25]``, as :meth:`SpiritLMHifiGan.decode` aligns raw streams. Audio longer
than ``len(hubert) * 640`` samples is cut, shorter audio is zero-padded (more than 2 frames of difference is counted
and reported as ``misaligned_rows``).

**What is trained** (all parts jointly, one AdamW optimizer, one loss ``mel + dur_loss_weight * dur``):

* the generator (unit/pitch/style/speaker embeddings, ``conv_pre``, upsampling stages, ``conv_post``) on random
  aligned segments of ``segment_frames`` units and ``segment_frames * 640`` samples, with a **multi-resolution
  log-mel L1 loss** (STFT sizes 512/1024/2048, hops 128/256/512, 64/80/128 mel bins, ``log(clamp(mel, 1e-5))``);
  there is no discriminator (measured on 2 CPU cores, a GAN phase added nothing; see
  ``shared/reference/cpu-vocoder-feasibility.md``);
* the duration predictor on **deduplicated** units: each row's hubert units are run-length encoded
  (``[5, 5, 5, 9] -> units [5, 9], durations [3, 1]``); a random window of at most ``max_duration_units`` of them is
  the input and the target is ``log(1 + duration)``, MSE over the real (unpadded) units: the original's formulation,
  which :meth:`SpiritLMHifiGan.predict_durations` inverts with ``clamp(round(exp(log_d) - 1), min=1)``. The predictor
  reads the shared unit embedding, so its gradient also reaches that table (as in the original's joint training).
  ``dur_predictor_params["var_pred_dropout"]`` is stored in the config but not applied (the model's predictor has no
  dropout layer).

**Checkpoints and resuming.** Every ``save_every`` steps and at the end, ``OUTPUT_DIR/checkpoint/`` gets the model
(``save_pretrained``: ``config.json`` + ``model.safetensors``), ``training_state.safetensors`` (AdamW moments and
step counts per parameter, the torch RNG state and the segment sampler's RNG state, all tensors in safetensors: no
pickles) and ``trainer_state.json`` (step, loss history, settings). With ``resume=True`` (default) a new call with the
same ``output_dir`` continues from that step: the result equals an uninterrupted run (same sampled segments, same
optimizer moments; the tests check it). A checkpoint written for another config is refused. The finished vocoder is
``SpiritLMHifiGan.save_pretrained(output_dir)``, plus ``train_vocoder.json`` (settings, loss curve, speed).

**Size.** The default generator (``DEFAULT_CONFIG_KWARGS``): upsampling 8x5x4x4 = 640 with 128 initial channels,
residual kernels 3/7/11, embeddings of 64: about 1 M parameters. ``config_kwargs`` overrides any config field
(``upsample_initial_channel=64``, the released ``upsample_rates=[5, 4, 4, 2, 2, 2]`` ...).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import os
import shutil
import sys
import time
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from modeling_spirit.configuration_spirit_hifigan import SpiritLMHifiGanConfig
from modeling_spirit.constants import SAMPLES_PER_HUBERT_FRAME, SAMPLING_RATE, VARIANTS
from modeling_spirit.modeling_spirit_hifigan import SpiritLMHifiGan
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer

from .encode_units import _decode_row, _prepare_audio_column, encode_dataset

logger = logging.getLogger(__name__)

HOP_LENGTH = SAMPLES_PER_HUBERT_FRAME  # samples per 25 Hz HuBERT unit (640)
PITCH_RATIO = 2  # hubert frames per pitch unit (12.5 Hz)
STYLE_RATIO = 25  # hubert frames per style unit (1 Hz)
CHECKPOINT_DIR = "checkpoint"
STATE_FILE = "trainer_state.json"
TENSOR_STATE_FILE = "training_state.safetensors"
REPORT_FILE = "train_vocoder.json"
FORMAT_VERSION = 1

DEFAULT_CONFIG_KWARGS: Dict[str, Any] = dict(
    upsample_rates=[8, 5, 4, 4],
    upsample_kernel_sizes=[16, 11, 8, 8],
    upsample_initial_channel=128,
    resblock_kernel_sizes=[3, 7, 11],
    resblock_dilation_sizes=[[1, 3, 5], [1, 3, 5], [1, 3, 5]],
    num_embeddings=501,
    embedding_dim=64,
    code_hop_size=HOP_LENGTH,
    initializer_range=0.01,
)
# (n_fft, hop_length, n_mels) of the multi-resolution mel loss.
MEL_RESOLUTIONS: Tuple[Tuple[int, int, int], ...] = ((512, 128, 64), (1024, 256, 80), (2048, 512, 128))


class VocoderTrainingError(ValueError):
    """The data or the settings cannot train a vocoder as asked."""


# ----------------------------------------------------------------------------------------------------------------
# Config
# ----------------------------------------------------------------------------------------------------------------
def build_vocoder_config(variant: str = "base", speakers: Optional[Sequence[str]] = None,
                         config_kwargs: Optional[Dict[str, Any]] = None):
    """The :class:`SpiritLMHifiGanConfig` to train: ``DEFAULT_CONFIG_KWARGS`` < ``config_kwargs``, plus the streams.

    Args:
        variant (`str`): ``"base"`` (hubert + speaker) or ``"expressive"`` (hubert + pitch + style units + speaker).
        speakers (`list[str]`, *optional*): speaker names; a speaker embedding is added when given (``default_speaker``
            is 0). Without speakers the vocoder has no speaker embedding.
        config_kwargs (`dict`, *optional*): any config field; ``model_in_dim`` and ``dur_predictor_params`` are derived
            from ``embedding_dim`` and the streams unless given.
    """
    if variant not in VARIANTS:
        raise VocoderTrainingError(f"`variant` is {variant!r}; allowed: 'base', 'expressive' (or 'auto' in train).")
    kw = dict(DEFAULT_CONFIG_KWARGS)
    kw.update(multistyle=False, num_f0_tokens=0, num_style_tokens=0)
    if variant == "expressive":
        kw.update(num_f0_tokens=64, f0_hop_size=HOP_LENGTH * PITCH_RATIO, num_style_tokens=100,
                  style_hop_size=HOP_LENGTH * STYLE_RATIO)
    speakers = list(speakers or [])
    kw.update(multispkr=bool(speakers), num_speakers=max(len(speakers), 1), speakers=speakers, default_speaker=0)
    kw.update(config_kwargs or {})
    emb = int(kw["embedding_dim"])
    if "dur_predictor_params" not in (config_kwargs or {}):
        kw["dur_predictor_params"] = {"encoder_embed_dim": emb, "var_pred_hidden_dim": emb, "var_pred_kernel_size": 3,
                                      "var_pred_dropout": 0.5}
    if kw.get("dur_predictor_params") is None:
        raise VocoderTrainingError("`dur_predictor_params` is None; this trainer trains a duration predictor too.")
    if "model_in_dim" not in (config_kwargs or {}):
        streams = 1 + int(kw["num_f0_tokens"] > 0) + int(kw["num_style_tokens"] > 0) + int(kw["multispkr"]) + int(
            kw["multistyle"])
        kw["model_in_dim"] = emb * streams
    hop = int(np.prod(kw["upsample_rates"]))
    if hop != HOP_LENGTH:
        raise VocoderTrainingError(
            f"`upsample_rates` {list(kw['upsample_rates'])} multiply to {hop} samples per unit but 25 Hz units at "
            f"16 kHz need {HOP_LENGTH}; choose rates whose product is {HOP_LENGTH}."
        )
    return SpiritLMHifiGanConfig(**kw)


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------
def dedup_units(units: Sequence[int]) -> Tuple[np.ndarray, np.ndarray]:
    """Run-length encode raw units: ``[5, 5, 5, 9, 9, 5] -> ([5, 9, 5], [3, 2, 1])`` (units, durations in frames)."""
    u = np.asarray(units, dtype=np.int64).reshape(-1)
    if u.size == 0:
        return u, np.zeros(0, dtype=np.int64)
    starts = np.concatenate([[0], np.nonzero(u[1:] != u[:-1])[0] + 1])
    lengths = np.diff(np.concatenate([starts, [u.size]]))
    return u[starts], lengths.astype(np.int64)


def _aligned(stream: Sequence[int], n: int, ratio: int) -> np.ndarray:
    """Raw ``stream`` at 1/``ratio`` of the hubert rate -> one value per hubert frame (``v[min(i // ratio, K-1)]``)."""
    v = np.asarray(stream, dtype=np.int64).reshape(-1)
    if v.size == 0:
        raise VocoderTrainingError("an expressive row has an empty pitch/style stream")
    idx = np.minimum(np.arange(n) // ratio, v.size - 1)
    return v[idx]


def prepare_vocoder_data(dataset, variant: str = "base", audio_column: str = "audio", unit_column: str = "hubert",
                         speaker_column: Optional[str] = "speaker", speakers: Optional[Sequence[str]] = None,
                         min_frames: int = 1) -> Tuple[List[Dict[str, Any]], Dict[str, Any]]:
    """Decode every row once into memory: aligned units, audio cut/padded to ``len(units) * 640`` samples, speaker index,
    deduplicated units and their durations.

    Returns:
        ``(items, info)``: ``items`` a list of dicts (``hubert``, ``pitch``/``style`` for expressive, ``audio``,
        ``speaker``, ``dedup_units``, ``durations``); ``info`` counts (rows, kept, too_short, misaligned_rows,
        audio_seconds, frames, mean_run_length).
    """
    from datasets import Audio

    for col in (unit_column,) + (("pitch", "style") if variant == "expressive" else ()):
        if col not in dataset.column_names:
            raise VocoderTrainingError(
                f"The dataset has no {col!r} column (columns: {dataset.column_names}). Encode the audio first "
                "(`encode_dataset(ds, tokenizer, keep_audio=True)`, or pass `--speech-tokenizer`)."
            )
    ds = _prepare_audio_column(dataset, audio_column)
    feature = Audio(sampling_rate=SAMPLING_RATE)
    names = list(speakers or [])
    use_speakers = bool(names)
    items: List[Dict[str, Any]] = []
    info = {"rows": len(ds), "kept": 0, "too_short": 0, "misaligned_rows": 0, "audio_seconds": 0.0, "frames": 0}
    runs: List[int] = []
    cols = [unit_column, audio_column] + (["pitch", "style"] if variant == "expressive" else [])
    if use_speakers:
        if not speaker_column or speaker_column not in ds.column_names:
            raise VocoderTrainingError(
                f"`speakers` were given but the dataset has no speaker column {speaker_column!r}; columns: "
                f"{ds.column_names}."
            )
        cols.append(speaker_column)
    for row in ds.select_columns(cols):
        units = np.asarray(row[unit_column], dtype=np.int64).reshape(-1)
        n = units.size
        if n < min_frames:
            info["too_short"] += 1
            continue
        audio = _decode_row(row[audio_column], feature)
        want = n * HOP_LENGTH
        if abs(audio.size - want) > 2 * HOP_LENGTH:
            info["misaligned_rows"] += 1
        audio = audio[:want] if audio.size >= want else np.pad(audio, (0, want - audio.size))
        item: Dict[str, Any] = {"hubert": units, "audio": np.ascontiguousarray(audio, dtype=np.float32)}
        if variant == "expressive":
            item["pitch"] = _aligned(row["pitch"], n, PITCH_RATIO)
            item["style"] = _aligned(row["style"], n, STYLE_RATIO)
        if use_speakers:
            name = str(row[speaker_column])
            if name not in names:
                raise VocoderTrainingError(f"Row speaker {name!r} is not in `speakers` {names}; add it.")
            item["speaker"] = names.index(name)
        item["dedup_units"], item["durations"] = dedup_units(units)
        runs.extend(item["durations"].tolist())
        items.append(item)
        info["frames"] += n
    info["kept"] = len(items)
    info["audio_seconds"] = info["frames"] * HOP_LENGTH / SAMPLING_RATE
    info["mean_run_length"] = float(np.mean(runs)) if runs else 0.0
    if not items:
        raise VocoderTrainingError(
            f"No usable rows: all {info['rows']} rows have fewer than {min_frames} units (`segment_frames`); "
            "lower `segment_frames` or give longer audio."
        )
    if info["too_short"]:
        logger.warning("%d of %d rows are shorter than %d frames and are skipped.", info["too_short"], info["rows"],
                       min_frames)
    if info["misaligned_rows"]:
        logger.warning("%d rows have audio whose length differs from len(hubert) * 640 by more than 2 frames; check "
                       "that the units come from this audio.", info["misaligned_rows"])
    return items, info


class SegmentSampler:
    """Random aligned training batches from prepared items, driven by one seeded ``torch.Generator``.

    Rows are drawn with probability proportional to their number of frames; a segment start is uniform.
    """

    def __init__(self, items: List[Dict[str, Any]], segment_frames: int, max_duration_units: int, seed: int):
        self.items = items
        self.F = int(segment_frames)
        self.W = int(max_duration_units)
        self.generator = torch.Generator().manual_seed(int(seed))
        self.weights = torch.tensor([float(it["hubert"].size) for it in items], dtype=torch.float64)

    def batch(self, batch_size: int) -> Dict[str, torch.Tensor]:
        g = self.generator
        rows = torch.multinomial(self.weights, batch_size, replacement=True, generator=g).tolist()
        F_, hop = self.F, HOP_LENGTH
        keys = [k for k in ("hubert", "pitch", "style") if k in self.items[0]]
        seg = {k: torch.empty(batch_size, F_, dtype=torch.long) for k in keys}
        audio = torch.empty(batch_size, F_ * hop)
        speakers = torch.zeros(batch_size, dtype=torch.long)
        dd_len = [min(self.items[r]["dedup_units"].size, self.W) for r in rows]
        W = max(dd_len)
        dd_units = torch.zeros(batch_size, W, dtype=torch.long)
        dd_durs = torch.zeros(batch_size, W)
        dd_mask = torch.zeros(batch_size, W)
        for b, r in enumerate(rows):
            it = self.items[r]
            n = it["hubert"].size
            s = int(torch.randint(0, n - F_ + 1, (1,), generator=g))
            for k in keys:
                seg[k][b] = torch.from_numpy(it[k][s : s + F_])
            audio[b] = torch.from_numpy(it["audio"][s * hop : (s + F_) * hop])
            speakers[b] = int(it.get("speaker", 0))
            m = it["dedup_units"].size
            ds_ = int(torch.randint(0, m - dd_len[b] + 1, (1,), generator=g))
            dd_units[b, : dd_len[b]] = torch.from_numpy(it["dedup_units"][ds_ : ds_ + dd_len[b]])
            dd_durs[b, : dd_len[b]] = torch.from_numpy(it["durations"][ds_ : ds_ + dd_len[b]]).float()
            dd_mask[b, : dd_len[b]] = 1.0
        return {**{f"{k}_units": v for k, v in seg.items()}, "audio": audio, "speaker_ids": speakers,
                "dedup_units": dd_units, "durations": dd_durs, "dedup_mask": dd_mask}


# ----------------------------------------------------------------------------------------------------------------
# Losses
# ----------------------------------------------------------------------------------------------------------------
class MultiResolutionMelLoss(nn.Module):
    """Mean over resolutions of ``L1(log mel(pred), log mel(target))``, ``log(clamp(mel, 1e-5))``, Hann windows.

    Args:
        resolutions (`tuple[(n_fft, hop_length, n_mels)]`): defaults to ``MEL_RESOLUTIONS``.
        sampling_rate (`int`): 16000.
    """

    def __init__(self, resolutions=MEL_RESOLUTIONS, sampling_rate: int = SAMPLING_RATE):
        super().__init__()
        import torchaudio

        self.resolutions = [tuple(int(v) for v in r) for r in resolutions]
        for i, (n_fft, _, n_mels) in enumerate(self.resolutions):
            fb = torchaudio.functional.melscale_fbanks(n_fft // 2 + 1, 0.0, sampling_rate / 2, n_mels, sampling_rate,
                                                       norm="slaney", mel_scale="slaney")  # (n_freq, n_mels)
            self.register_buffer(f"fb{i}", fb, persistent=False)
            self.register_buffer(f"win{i}", torch.hann_window(n_fft), persistent=False)

    def log_mel(self, wav: torch.Tensor, i: int) -> torch.Tensor:
        n_fft, hop, _ = self.resolutions[i]
        spec = torch.stft(wav, n_fft, hop, n_fft, getattr(self, f"win{i}"), center=True, pad_mode="reflect",
                          return_complex=True).abs()  # (B, n_freq, frames)
        mel = torch.matmul(spec.transpose(1, 2), getattr(self, f"fb{i}"))  # (B, frames, n_mels)
        return torch.log(torch.clamp(mel, min=1e-5))

    def forward(self, pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        losses = [F.l1_loss(self.log_mel(pred, i), self.log_mel(target, i)) for i in range(len(self.resolutions))]
        return torch.stack(losses).mean()


def cpu_has_bf16() -> bool:
    """Whether this CPU computes bfloat16 natively (AVX512-BF16 or AMX): where it does, bfloat16 autocast speeds up
    the toy's training; where it does not, oneDNN emulates it and autocast is slower than float32."""
    import torch.cpu

    checks = ("_is_avx512_bf16_supported", "_is_amx_tile_supported")
    return any(bool(getattr(torch.cpu, name, lambda: False)()) for name in checks)


def duration_loss(model, units: torch.Tensor, durations: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """MSE between predicted log durations and ``log(1 + duration)`` over the real units (the original's target)."""
    x = model.unit_embedding(units)  # (B, N, E)
    log_d = model.duration_predictor(x, mask[:, None, :])  # (B, N)
    err = (log_d - torch.log1p(durations)) ** 2 * mask
    return err.sum() / mask.sum().clamp(min=1.0)


# ----------------------------------------------------------------------------------------------------------------
# Checkpoints (safetensors + json only)
# ----------------------------------------------------------------------------------------------------------------
def _optimizer_tensors(optimizer: torch.optim.Optimizer) -> Dict[str, torch.Tensor]:
    out = {}
    for idx, st in optimizer.state_dict()["state"].items():
        for name, value in st.items():
            t = value if isinstance(value, torch.Tensor) else torch.tensor(value)
            out[f"optimizer.{idx}.{name}"] = t.detach().clone().contiguous()
    return out


def _load_optimizer_tensors(optimizer: torch.optim.Optimizer, tensors: Dict[str, torch.Tensor]) -> None:
    state: Dict[int, Dict[str, torch.Tensor]] = {}
    for key, t in tensors.items():
        if not key.startswith("optimizer."):
            continue
        _, idx, name = key.split(".", 2)
        state.setdefault(int(idx), {})[name] = t
    sd = optimizer.state_dict()
    sd["state"] = state
    optimizer.load_state_dict(sd)


def save_checkpoint(path: str, model, optimizer, sampler: SegmentSampler, state: Dict[str, Any]) -> None:
    """Write ``path`` atomically (a temporary folder renamed over the old one)."""
    from safetensors.torch import save_file

    tmp, old = path + ".tmp", path + ".old"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tensors = _optimizer_tensors(optimizer)
    tensors["rng.torch"] = torch.get_rng_state().clone()
    tensors["rng.sampler"] = sampler.generator.get_state().clone()
    save_file(tensors, os.path.join(tmp, TENSOR_STATE_FILE))
    with open(os.path.join(tmp, STATE_FILE), "w", encoding="utf-8") as f:
        json.dump(state, f)
    shutil.rmtree(old, ignore_errors=True)
    if os.path.isdir(path):
        os.replace(path, old)
    os.replace(tmp, path)
    shutil.rmtree(old, ignore_errors=True)


def _config_signature(config) -> Dict[str, Any]:
    d = config.to_dict()
    skip = {"transformers_version", "auto_map", "architectures", "torch_dtype", "dtype", "_name_or_path"}
    return json.loads(json.dumps({k: v for k, v in d.items() if k not in skip}))


def load_checkpoint(path: str, model, optimizer, sampler: SegmentSampler) -> Dict[str, Any]:
    """Restore model, optimizer, RNGs from ``path``; returns the json state (``step``, ``history``...)."""
    from safetensors.torch import load_file

    saved = SpiritLMHifiGanConfig.from_pretrained(path)
    if _config_signature(saved) != _config_signature(model.config):
        a, b = _config_signature(saved), _config_signature(model.config)
        diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
        raise VocoderTrainingError(
            f"The checkpoint in {path} was trained with another vocoder config (differs in {diff}); resume with the "
            "same settings, or pass `resume=False` (`--no-resume`) / another `output_dir` to start over."
        )
    model.load_state_dict(load_file(os.path.join(path, "model.safetensors")))
    tensors = load_file(os.path.join(path, TENSOR_STATE_FILE))
    _load_optimizer_tensors(optimizer, tensors)
    torch.set_rng_state(tensors["rng.torch"])
    sampler.generator.set_state(tensors["rng.sampler"])
    with open(os.path.join(path, STATE_FILE), encoding="utf-8") as f:
        return json.load(f)


# ----------------------------------------------------------------------------------------------------------------
# Training
# ----------------------------------------------------------------------------------------------------------------
def init_for_training(model) -> None:
    """Re-initialise ``model`` for training from scratch with PyTorch's own ``reset_parameters`` of every layer
    (convolutions/linears Kaiming-uniform, embeddings N(0, 1) as in the original, LayerNorms (1, 0)).

    ``config.initializer_range`` (0.01, HiFi-GAN's normal init) is meant for converted weights and random test models:
    on a small generator it gives an output of about 1e-11 (every 0.01-std layer shrinks the signal), which the mel
    loss does not get out of (measured: 40 steps, mel loss 5.28 -> 5.24). He-normal init for LeakyReLU was also tried:
    the output saturates the tanh and the mel loss falls more slowly (5.9 -> 5.1 vs 2.3 -> 1.4 in 40 steps).
    """
    for mod in model.modules():
        if mod is not model and hasattr(mod, "reset_parameters"):
            mod.reset_parameters()


def _detect_variant(dataset, variant: str) -> str:
    if variant != "auto":
        return variant
    return "expressive" if {"pitch", "style"} <= set(dataset.column_names) else "base"


def _lr_at(step: int, lr: float, warmup_steps: int, lr_decay: float) -> float:
    warm = min(1.0, (step + 1) / warmup_steps) if warmup_steps > 0 else 1.0
    return lr * warm * (lr_decay ** step)


def train_vocoder(
    dataset,
    output_dir: str,
    config_kwargs: Optional[Dict[str, Any]] = None,
    speakers: Optional[Sequence[str]] = None,
    variant: str = "auto",
    steps: int = 3000,
    batch_size: int = 8,
    segment_frames: int = 25,
    lr: float = 2e-4,
    betas: Tuple[float, float] = (0.8, 0.99),
    weight_decay: float = 0.01,
    warmup_steps: int = 0,
    lr_decay: float = 1.0,
    dur_loss_weight: float = 1.0,
    max_duration_units: int = 64,
    max_grad_norm: Optional[float] = None,
    seed: int = 0,
    resume: bool = True,
    save_every: int = 500,
    keep_checkpoint: bool = True,
    audio_column: str = "audio",
    unit_column: str = "hubert",
    speaker_column: Optional[str] = "speaker",
    num_threads: Optional[int] = None,
    bf16: bool = False,
    progress: bool = True,
) -> Dict[str, Any]:
    """Train a :class:`SpiritLMHifiGan` (generator + duration predictor) and save it to ``output_dir``.

    Args:
        dataset (`datasets.Dataset`): rows with raw ``unit_column`` units (25 Hz), 16 kHz-decodable ``audio_column``,
            optionally ``speaker_column`` and raw ``pitch``/``style`` (expressive).
        output_dir (`str`): final vocoder (``save_pretrained``), ``train_vocoder.json``, ``checkpoint/``.
        config_kwargs (`dict`, *optional*): overrides of ``DEFAULT_CONFIG_KWARGS`` (any config field).
        speakers (`list[str]`, *optional*): speaker names (embedding rows, in this order, kept in ``config.speakers``);
            default: the sorted distinct values of ``speaker_column`` when present, else no speaker embedding.
            Pass ``[]`` to train without speakers.
        variant (`str`): ``"auto"`` (expressive when ``pitch`` and ``style`` columns exist), ``"base"`` or
            ``"expressive"``.
        steps (`int`): total optimizer steps (a resumed run goes on up to this number).
        batch_size (`int`), segment_frames (`int`): segments per step, units per segment (25 = 1 s).
        lr, betas, weight_decay: AdamW (HiFi-GAN's betas 0.8/0.99). ``warmup_steps`` (linear) and ``lr_decay``
            (multiplied every step) shape the learning rate; both are functions of the step, so resuming is exact.
        dur_loss_weight (`float`): weight of the duration loss in the joint loss (0 leaves the predictor untrained).
        max_duration_units (`int`): deduplicated units per duration-predictor window.
        max_grad_norm (`float`, *optional*): gradient clipping.
        seed (`int`): seeds the initialisation and the segment sampler.
        resume (`bool`): continue from ``output_dir/checkpoint`` when it exists.
        save_every (`int`): steps between checkpoints (and at the end).
        keep_checkpoint (`bool`): keep ``checkpoint/`` after the final save (needed to extend the run later).
        num_threads (`int`, *optional*): ``torch.set_num_threads`` for the run.
        bf16 (`bool`): run the generator's forward under ``torch.autocast("cpu", torch.bfloat16)``; the weights,
            the optimizer and both losses stay float32 (the waveform is cast back before the mel loss). About 1.3x
            faster on CPUs with AVX512-BF16 or AMX (measured: 0.50 -> 0.38 s/step for the toy's 2.2M-parameter
            generator, batch 8, 2 threads); slower where the CPU emulates bfloat16 (see :func:`cpu_has_bf16`).
        progress (`bool`): tqdm bar with the running losses.

    Returns:
        `dict`: the report also written to ``output_dir/train_vocoder.json``: settings, data info, number of
        parameters, ``history`` (``[step, mel_loss, dur_loss]`` per step), first/last losses (means over the first
        and last 10% of the steps of this call), ``steps_per_second`` and ``audio_seconds_per_second`` of this call.
    """
    from tqdm.auto import tqdm

    if steps < 0 or batch_size < 1 or segment_frames < 1 or max_duration_units < 1:
        raise VocoderTrainingError(
            f"Need steps >= 0, batch_size >= 1, segment_frames >= 1, max_duration_units >= 1; got {steps}, "
            f"{batch_size}, {segment_frames}, {max_duration_units}."
        )
    if num_threads:
        torch.set_num_threads(int(num_threads))
    variant = _detect_variant(dataset, variant)
    if speakers is None:
        if speaker_column and speaker_column in dataset.column_names:
            speakers = sorted({str(s) for s in dataset[speaker_column]})
        else:
            speakers = []
    speakers = [str(s) for s in speakers]

    t_data = time.time()
    items, data_info = prepare_vocoder_data(dataset, variant, audio_column, unit_column, speaker_column, speakers,
                                            min_frames=segment_frames)
    data_info["prepare_seconds"] = round(time.time() - t_data, 2)

    torch.manual_seed(seed)
    config = build_vocoder_config(variant, speakers, config_kwargs)
    model = SpiritLMHifiGan(config)
    init_for_training(model)
    model.train()
    mel_loss_fn = MultiResolutionMelLoss()
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=tuple(betas), weight_decay=weight_decay)
    sampler = SegmentSampler(items, segment_frames, max_duration_units, seed)

    settings = dict(variant=variant, steps=steps, batch_size=batch_size, segment_frames=segment_frames, lr=lr,
                    betas=list(betas), weight_decay=weight_decay, warmup_steps=warmup_steps, lr_decay=lr_decay,
                    dur_loss_weight=dur_loss_weight, max_duration_units=max_duration_units,
                    max_grad_norm=max_grad_norm, seed=seed, mel_resolutions=[list(r) for r in MEL_RESOLUTIONS],
                    bf16=bool(bf16))
    os.makedirs(output_dir, exist_ok=True)
    ckpt = os.path.join(output_dir, CHECKPOINT_DIR)
    step, history = 0, []
    if resume and os.path.isfile(os.path.join(ckpt, STATE_FILE)):
        state = load_checkpoint(ckpt, model, optimizer, sampler)
        step, history = int(state["step"]), [list(h) for h in state.get("history", [])]
        logger.info("Resuming vocoder training from step %d (%s).", step, ckpt)
    start_step = step

    def save(at_step: int) -> None:
        save_checkpoint(ckpt, model, optimizer, sampler, {"format_version": FORMAT_VERSION, "step": at_step,
                                                          "settings": settings, "history": history})

    bar = tqdm(total=steps, initial=step, desc="Training vocoder", unit="step", disable=not progress)
    t0 = time.time()
    while step < steps:
        for group in optimizer.param_groups:
            group["lr"] = _lr_at(step, lr, warmup_steps, lr_decay)
        batch = sampler.batch(batch_size)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bool(bf16)):
            out = model(batch["hubert_units"], batch.get("pitch_units"), batch.get("style_units"),
                        speaker_ids=batch["speaker_ids"] if config.multispkr else None)
        mel = mel_loss_fn(out.waveform.float(), batch["audio"])  # waveform (B, F * 640)
        dur = duration_loss(model, batch["dedup_units"], batch["durations"], batch["dedup_mask"])
        loss = mel + dur_loss_weight * dur
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if max_grad_norm:
            torch.nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
        optimizer.step()
        step += 1
        history.append([step, round(mel.item(), 5), round(dur.item(), 5)])
        bar.update(1)
        bar.set_postfix(mel=f"{history[-1][1]:.3f}", dur=f"{history[-1][2]:.3f}")
        if save_every and step % save_every == 0 and step < steps:
            save(step)
    bar.close()
    elapsed = time.time() - t0
    done = step - start_step
    if done or not os.path.isdir(ckpt):
        save(step)

    model.eval()
    model.save_pretrained(output_dir)
    if not keep_checkpoint:
        shutil.rmtree(ckpt, ignore_errors=True)

    this_call = history[len(history) - done:] if done else []
    k = max(1, len(this_call) // 10)
    report = {
        "format_version": FORMAT_VERSION,
        "settings": settings,
        "config": {k_: v for k_, v in _config_signature(config).items()
                   if k_ in ("upsample_rates", "upsample_initial_channel", "embedding_dim", "speakers",
                             "num_f0_tokens", "num_style_tokens", "resblock_kernel_sizes")},
        "data": data_info,
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "num_threads": torch.get_num_threads(),
        "start_step": start_step,
        "step": step,
        "history": history,
        "first_mel_loss": float(np.mean([h[1] for h in this_call[:k]])) if this_call else None,
        "last_mel_loss": float(np.mean([h[1] for h in this_call[-k:]])) if this_call else None,
        "first_dur_loss": float(np.mean([h[2] for h in this_call[:k]])) if this_call else None,
        "last_dur_loss": float(np.mean([h[2] for h in this_call[-k:]])) if this_call else None,
        "train_seconds": round(elapsed, 2),
        "steps_per_second": round(done / elapsed, 4) if done and elapsed > 0 else None,
        "audio_seconds_per_second": (
            round(done * batch_size * segment_frames * HOP_LENGTH / SAMPLING_RATE / elapsed, 3)
            if done and elapsed > 0 else None
        ),
    }
    with open(os.path.join(output_dir, REPORT_FILE), "w", encoding="utf-8") as f:
        json.dump(report, f, indent=1)
    return report


# ----------------------------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m processing.train_vocoder",
        description="Train a Spirit LM unit HiFi-GAN vocoder (generator + duration predictor) from units and audio.",
    )
    p.add_argument("--dataset", required=True, help="A `save_to_disk` folder (Dataset or DatasetDict).")
    p.add_argument("--split", default="train", help="Split of a DatasetDict (default: train).")
    p.add_argument("--output-dir", required=True)
    p.add_argument("--speech-tokenizer", default=None,
                   help="Encode the audio with this speech tokenizer first when the dataset has no unit column.")
    p.add_argument("--variant", default="auto", choices=["auto", *VARIANTS])
    p.add_argument("--steps", type=int, default=3000)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--segment-frames", type=int, default=25, help="Units per training segment (25 = 1 s).")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--warmup-steps", type=int, default=0)
    p.add_argument("--lr-decay", type=float, default=1.0, help="Per-step learning-rate factor.")
    p.add_argument("--dur-loss-weight", type=float, default=1.0)
    p.add_argument("--max-grad-norm", type=float, default=None)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--save-every", type=int, default=500)
    p.add_argument("--no-resume", action="store_true", help="Start over even if a checkpoint exists.")
    p.add_argument("--speakers", nargs="*", default=None, help="Speaker names in embedding order (default: sorted "
                   "distinct values of the speaker column).")
    p.add_argument("--config-json", default=None, help="JSON object of config overrides, e.g. "
                   "'{\"upsample_initial_channel\": 64}'.")
    p.add_argument("--audio-column", default="audio")
    p.add_argument("--speaker-column", default="speaker")
    p.add_argument("--num-threads", type=int, default=None)
    p.add_argument("--bf16", action="store_true", help="bfloat16 autocast for the generator's forward (faster on "
                                                       "CPUs with AVX512-BF16/AMX; weights and losses float32).")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    from datasets import DatasetDict, load_from_disk

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    ds = load_from_disk(args.dataset)
    if isinstance(ds, DatasetDict):
        if args.split not in ds:
            print(f"error: split {args.split!r} not in {list(ds)}; pass --split.", file=sys.stderr)
            return 2
        ds = ds[args.split]
    if "hubert" not in ds.column_names:
        if not args.speech_tokenizer:
            print(f"error: the dataset has no 'hubert' column (columns: {ds.column_names}); pass --speech-tokenizer "
                  "to encode it first.", file=sys.stderr)
            return 2
        tok = SpiritLMSpeechTokenizer.from_pretrained(args.speech_tokenizer)
        ds = encode_dataset(ds, tok, audio_column=args.audio_column, keep_audio=True)
    try:
        report = train_vocoder(
            ds, args.output_dir,
            config_kwargs=json.loads(args.config_json) if args.config_json else None,
            speakers=args.speakers, variant=args.variant, steps=args.steps, batch_size=args.batch_size,
            segment_frames=args.segment_frames, lr=args.lr, warmup_steps=args.warmup_steps, lr_decay=args.lr_decay,
            dur_loss_weight=args.dur_loss_weight, max_grad_norm=args.max_grad_norm, seed=args.seed,
            resume=not args.no_resume, save_every=args.save_every, audio_column=args.audio_column,
            speaker_column=args.speaker_column, num_threads=args.num_threads, bf16=args.bf16,
            progress=not args.no_progress,
        )
    except VocoderTrainingError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"vocoder -> {args.output_dir}: step {report['step']}, mel {report['last_mel_loss']}, "
          f"dur {report['last_dur_loss']}, {report['steps_per_second']} steps/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
