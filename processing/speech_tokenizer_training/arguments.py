# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The settings of speech-tokenizer training and the freshly initialised model they describe.

:class:`SpeechTokenizerTrainingArguments` is every setting of
:func:`processing.train_speech_tokenizer.train_speech_tokenizer` (and of its command line);
:func:`build_speech_tokenizer` makes the seeded :class:`SpiritLMSpeechTokenizer` the stages train.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import torch

from modeling_spirit.configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig, default_hubert_config
from modeling_spirit.modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer


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


def _hubert_config(args: SpeechTokenizerTrainingArguments) -> dict:
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


__all__ = ["SpeechTokenizerTrainingArguments", "build_speech_tokenizer"]
