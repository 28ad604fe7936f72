# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The settings of the toy run (:class:`ToyTrainingArguments`, also ``spirit-lm train-toy``'s options), its presets
and the LM data mixture they imply. The stages that use them are :mod:`recipes.toy.stages`."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from processing.interleave import KINDS
from processing.speech_tokenizer_training.features import ACOUSTIC_FEATURES
from processing.speech_tokenizer_training.quantizer import QUANTIZER_TARGETS
from recipes.eval.toy import parse_tasks

STAGES = ("corpus", "speech_tokenizer", "encode", "vocoder", "lm_init", "lm_data", "lm", "evaluate")
TOY_VOICES = ("festival:cmu_us_slt_arctic_hts", "festival:kal_diphone", "espeak-ng:en-us+m3")
LM_KINDS = KINDS  # the training-text kinds of processing.interleave
# The default mixture: the paper's three sources (speech-only, text-only, word-interleaved) plus ASR/TTS pairs
# (a 7B model learns cross-modal transfer from scale; a 4M-parameter model trained for minutes needs the pairs to be
# usable for few-shot ASR/TTS at all). `interleave=False` sets the interleaved weight to 0 (the comparison).
DEFAULT_MIXTURE = {"speech": 0.2, "text": 0.1, "interleaved": 0.3, "asr": 0.2, "tts": 0.2}


@dataclass
class ToyTrainingArguments:
    """Settings of :func:`recipes.toy.stages.train_toy` (also the command line). ``preset="ci"`` shrinks every stage
    (see PRESETS)."""

    output_dir: str = field(default="out/toy-spirit-lm", metadata={"help": "The trained Hub-ready Spirit LM folder."})
    work_dir: Optional[str] = field(default=None, metadata={"help": "Stage outputs (default: <output_dir>-work)."})
    preset: str = field(default="default", metadata={"help": "'default' (46 min measured, 2 cores) or 'ci' (minutes)."})
    seed: int = 0
    threads: Optional[int] = field(default=2, metadata={"help": "torch threads (the budget is measured with 2)."})
    bf16: Optional[bool] = field(
        default=None,
        metadata={"help": "Train the speech tokenizer, the vocoder and the LM under bfloat16 autocast (weights, "
                          "optimizer and losses stay float32): 1.2-1.4x faster per step on CPUs with AVX512-BF16/AMX. "
                          "Default: on where the CPU has it (processing.train_vocoder.cpu_has_bf16); the stage markers "
                          "record the choice."},
    )
    progress: bool = True
    stop_after: Optional[str] = field(default=None, metadata={"help": f"Stop after this stage ({', '.join(STAGES)})."})
    # 1. corpus
    corpus_dir: Optional[str] = field(default=None, metadata={"help": "Default: <work_dir>/corpus."})
    num_sentences: int = 3000
    voices: List[str] = field(default_factory=lambda: list(TOY_VOICES))
    # 2. speech tokenizer
    st_utterances: int = 1500
    st_steps: int = field(default=3000, metadata={"help": "Masked-prediction steps of the HuBERT."})
    st_learning_rate: float = 2e-3
    st_mask_prob: float = 0.3
    st_hidden_size: int = 128
    st_layers: int = 4
    st_conv_dim: int = 64
    st_clusters: int = field(default=200, metadata={"help": "k-means classes of the masked-prediction targets (and "
                                                            "the number of units unless the units are phonemes)."})
    st_features: str = field(default="logmel", metadata={"help": "Targets: k-means of 'logmel' or 'mfcc' frames."})
    st_n_mels: int = 80
    st_win_length: int = 1024
    st_quantizer_targets: str = field(
        default="phones",
        metadata={"help": "'phones': the quantizer (and the HuBERT) trained with CTC on espeak-ng phonemes of the "
                          "transcripts, so the units are phonemes; 'head' / 'kmeans': unsupervised units (the "
                          "masked-prediction head's classes / k-means of the features), st_clusters of them."},
    )
    st_pred_nomask_weight: float = 1.0
    st_ctc_epochs: int = 16
    st_ctc_encoder_lr: float = field(default=5e-4, metadata={"help": "HuBERT learning rate during CTC (0: frozen)."})
    phoneme_voice: str = field(default="en-us", metadata={"help": "espeak-ng voice whose rules give the phonemes."})
    # 4. vocoder
    vocoder_steps: int = 2400
    vocoder_channels: int = 256
    vocoder_batch_size: int = 8
    vocoder_lr: float = 1e-3
    vocoder_final_lr: float = field(default=0.1, metadata={"help": "Learning rate at the last vocoder step, as a "
                                                                   "fraction of vocoder_lr (exponential decay)."})
    # 5. language model
    text_vocab_size: int = 700
    lm_hidden_size: int = 256
    lm_layers: int = 4
    lm_heads: int = 4
    lm_intermediate_size: int = 768
    lm_context: int = 1024
    # 6. data
    interleave: bool = field(default=True, metadata={"help": "False: no word-interleaved data (the comparison)."})
    mixture: Optional[Dict[str, float]] = field(default=None, metadata={"help": "Weights per kind (JSON)."})
    text_span_words: List[int] = field(default_factory=lambda: [2, 6])
    speech_span_words: List[int] = field(default_factory=lambda: [1, 4])
    pairs_per_sequence: int = 4
    # 7. LM training
    lm_seed: Optional[int] = field(default=None, metadata={"help": "Seed of the LM's init and training (default: seed)."})
    lm_steps: int = 1100
    lm_batch_size: int = 8
    lm_max_length: int = 512
    lm_learning_rate: float = 2e-3
    lm_warmup_steps: int = 100
    lm_save_steps: int = 250
    # 8. evaluation
    evaluate: bool = True
    eval_limit: Optional[int] = 90
    eval_tasks: Optional[List[str]] = None

    def __post_init__(self):
        if isinstance(self.mixture, str):
            self.mixture = json.loads(self.mixture)
        if self.preset not in PRESETS:
            raise ValueError(f"`preset` is {self.preset!r}; allowed: {sorted(PRESETS)}.")
        if self.st_features not in ACOUSTIC_FEATURES:
            raise ValueError(f"`st_features` is {self.st_features!r}; allowed: {ACOUSTIC_FEATURES}.")
        if self.st_quantizer_targets not in QUANTIZER_TARGETS:
            raise ValueError(f"`st_quantizer_targets` is {self.st_quantizer_targets!r}; allowed: {QUANTIZER_TARGETS}.")
        if self.stop_after is not None and self.stop_after not in STAGES:
            raise ValueError(f"`stop_after` is {self.stop_after!r}; allowed: {STAGES}.")
        if self.eval_tasks is not None:
            self.eval_tasks = parse_tasks(self.eval_tasks)  # raises on an unknown task, before hours of training
        if self.mixture is not None:
            unknown = set(self.mixture) - set(LM_KINDS)
            if unknown:
                raise ValueError(f"`mixture` names {sorted(unknown)}; allowed kinds: {LM_KINDS}.")


# Field overrides per preset, applied to the fields the caller left at their defaults.
PRESETS: Dict[str, Dict[str, Any]] = {
    "default": {},
    "ci": dict(num_sentences=60, voices=["espeak-ng:en-us+m3", "festival:kal_diphone"], st_utterances=100,
               st_steps=30, st_hidden_size=64, st_layers=2, st_conv_dim=32, st_clusters=32, st_ctc_epochs=3,
               vocoder_steps=30,
               vocoder_channels=32, vocoder_batch_size=4, text_vocab_size=400, lm_hidden_size=64, lm_layers=2,
               lm_intermediate_size=128, lm_steps=30, lm_batch_size=4, lm_max_length=256, lm_warmup_steps=3,
               lm_save_steps=1000, eval_limit=4, eval_tasks=["resynthesis", "asr", "storycloze"]),
}


def apply_preset(args: ToyTrainingArguments) -> ToyTrainingArguments:
    """``args`` with the preset's values for every field still at its default."""
    defaults = ToyTrainingArguments(preset="default")
    changes = {k: v for k, v in PRESETS[args.preset].items() if getattr(args, k) == getattr(defaults, k)}
    return dataclasses.replace(args, **changes)


def mixture_weights(args: ToyTrainingArguments) -> Dict[str, float]:
    """The LM data mixture: ``args.mixture`` or :data:`DEFAULT_MIXTURE`, without interleaving if ``interleave`` is
    off (its weight is dropped; the others keep their ratios)."""
    weights = dict(args.mixture or DEFAULT_MIXTURE)
    if not args.interleave:
        weights.pop("interleaved", None)
    weights = {k: float(v) for k, v in weights.items() if v > 0}
    if not weights:
        raise ValueError(f"The LM mixture {args.mixture} has no positive weight.")
    return weights


__all__ = ["ToyTrainingArguments", "PRESETS", "apply_preset", "mixture_weights", "STAGES", "TOY_VOICES", "LM_KINDS",
           "DEFAULT_MIXTURE"]
