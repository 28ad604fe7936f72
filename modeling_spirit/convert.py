# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Convert Meta's original Spirit LM checkpoints into one Hub-ready folder.

```
python -m modeling_spirit.convert --checkpoints-dir CKPT --variant {base,expressive} --output-dir OUT
```

``CKPT`` has the original ``checkpoints/`` layout (spec §0, §9.2)::

    spiritlm_model/spirit-lm-{base,expressive}-7b/{config.json, pytorch_model.bin, tokenizer.model, ...}
    speech_tokenizer/hubert_25hz/..., vqvae_f0_quantizer/..., style_encoder_w2v2/...,
    speech_tokenizer/hifigan_spiritlm_base/... or hifigan_spiritlm_expressive_w2v2/...

The speech tokenizer goes to ``OUT/speech_tokenizer/`` and the vocoder to ``OUT/vocoder/`` (see
:mod:`.convert_speech_tokenizer` and :mod:`.convert_hifigan`). The language model part writes ``OUT/{config.json, model*.safetensors, generation_config.json, tokenizer.model,
tokenizer.json, tokenizer_config.json, *.py}``. Every original key must be consumed and every parameter filled: a
missing or unexpected key is an error (the original would silently keep random weights). Pickles are read with
``torch.load(..., weights_only=True)``; nothing pickled is written.
"""

import argparse
import json
import logging
from pathlib import Path
from typing import Dict, Optional

logger = logging.getLogger(__name__)

# Buffers that older transformers versions saved in Llama checkpoints and that carry no information.
_IGNORED_KEY_SUFFIXES = (".self_attn.rotary_emb.inv_freq",)

_LLAMA_CONFIG_KEYS = (
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps", "use_cache", "bos_token_id",
    "eos_token_id", "pad_token_id", "pretraining_tp", "tie_word_embeddings", "rope_theta", "rope_scaling",
    "rope_parameters", "attention_bias", "attention_dropout", "mlp_bias", "head_dim", "vocab_size",
)


class ConversionError(ValueError):
    """An original checkpoint does not have the expected content."""


def lm_checkpoint_dir(checkpoints_dir, variant: str) -> Path:
    ckpt = Path(checkpoints_dir)
    path = ckpt / "spiritlm_model" / f"spirit-lm-{variant}-7b"
    if not path.is_dir():
        raise ConversionError(
            f"No language model at {path}. --checkpoints-dir must be the original `checkpoints/` folder holding "
            f"spiritlm_model/spirit-lm-{variant}-7b/ (config.json, pytorch_model.bin, tokenizer.model)."
        )
    return path


def _load_state_dict(lm_dir: Path) -> Dict:
    import torch

    bins = sorted(lm_dir.glob("pytorch_model*.bin"))
    sts = sorted(lm_dir.glob("model*.safetensors"))
    state: Dict = {}
    if sts:
        from safetensors.torch import load_file

        for f in sts:
            state.update(load_file(str(f)))
    elif bins:
        for f in bins:
            state.update(torch.load(str(f), map_location="cpu", weights_only=True, mmap=True))
    else:
        raise ConversionError(f"No weights in {lm_dir}: expected pytorch_model.bin (or model*.safetensors).")
    return state


def build_config(lm_dir: Path, variant: str):
    from .configuration_spirit_lm import SpiritLMConfig

    cfg_path = lm_dir / "config.json"
    if not cfg_path.is_file():
        raise ConversionError(f"Missing {cfg_path}.")
    with open(cfg_path) as f:
        raw = json.load(f)
    kwargs = {k: raw[k] for k in _LLAMA_CONFIG_KEYS if k in raw}
    expected = SpiritLMConfig(variant=variant, num_hidden_layers=1, hidden_size=64, intermediate_size=64,
                              num_attention_heads=1).vocab_size
    if kwargs.get("vocab_size", expected) != expected:
        raise ConversionError(
            f"{cfg_path} has vocab_size={kwargs['vocab_size']} but a {variant} Spirit LM has {expected} embedding rows. "
            "Is --variant right?"
        )
    try:
        return SpiritLMConfig(variant=variant, **kwargs)
    except ValueError as err:
        raise ConversionError(f"{cfg_path} does not describe a {variant} Spirit LM: {err}") from err


def convert_tokenizer(lm_dir: Path, config, output_dir: Path) -> None:
    """Write the Spirit LM tokenizer, checking (or restoring) the speech tokens' positions in ``tokenizer.model``."""
    from .tokenization_spirit_lm import (
        SpiritLMTokenizer,
        SpiritLMTokenizerFast,
        _sp_model_proto,
        _write_tokenizer_auto_map,
        add_layout_pieces,
    )

    sp_path = lm_dir / "tokenizer.model"
    if not sp_path.is_file():
        raise ConversionError(f"Missing {sp_path} (the SentencePiece model).")
    data = sp_path.read_bytes()
    proto = _sp_model_proto(data)
    layout = config.layout_tokens()
    n = len(proto.pieces)
    if n == config.text_vocab_size:
        # Speech tokens were HF "added tokens": check their ids, then make them SentencePiece pieces.
        added = _added_tokens(lm_dir)
        wrong = [(i, t, added.get(t)) for i, t in layout if added.get(t) != i]
        if wrong:
            i, t, got = wrong[0]
            raise ConversionError(
                f"{sp_path} has only the {n} text pieces and the speech tokens are not declared at their ids in "
                f"tokenizer_config.json/added_tokens.json: {t!r} should be id {i}, found {got} ({len(wrong)} such)."
            )
        data = add_layout_pieces(data, layout)
    else:
        for i, t in layout:
            if i >= n or proto.pieces[i].piece != t:
                got = proto.pieces[i].piece if i < n else None
                raise ConversionError(
                    f"{sp_path}: id {i} should be {t!r} for the {config.variant} layout, found {got!r}."
                )
    output_dir.mkdir(parents=True, exist_ok=True)
    out_model = output_dir / "tokenizer.model"
    out_model.write_bytes(data)
    slow = SpiritLMTokenizer(str(out_model))
    slow.save_pretrained(str(output_dir))
    SpiritLMTokenizerFast(vocab_file=str(out_model)).save_pretrained(str(output_dir))
    _write_tokenizer_auto_map(str(output_dir))


def _added_tokens(lm_dir: Path) -> Dict[str, int]:
    out: Dict[str, int] = {}
    p = lm_dir / "added_tokens.json"
    if p.is_file():
        out.update(json.loads(p.read_text()))
    p = lm_dir / "tokenizer_config.json"
    if p.is_file():
        for i, tok in (json.loads(p.read_text()).get("added_tokens_decoder") or {}).items():
            content = tok["content"] if isinstance(tok, dict) else str(tok)
            out[content] = int(i)
    return out


def convert_language_model(checkpoints_dir, variant: str, output_dir, dtype: Optional[str] = None) -> Path:
    """Convert ``spiritlm_model/spirit-lm-<variant>-7b`` into ``output_dir`` (safetensors, config, tokenizer)."""
    import torch

    from .modeling_spirit_lm import SpiritLMForCausalLM

    output_dir = Path(output_dir)
    lm_dir = lm_checkpoint_dir(checkpoints_dir, variant)
    config = build_config(lm_dir, variant)
    state = _load_state_dict(lm_dir)
    state = {k: v for k, v in state.items() if not k.endswith(_IGNORED_KEY_SUFFIXES)}

    with torch.device("meta"):
        model = SpiritLMForCausalLM(config)
    expected = model.state_dict()
    missing = sorted(set(expected) - set(state))
    if config.tie_word_embeddings:
        missing = [k for k in missing if k != "lm_head.weight"]
    unexpected = sorted(set(state) - set(expected))
    if missing or unexpected:
        raise ConversionError(
            f"{lm_dir}: the checkpoint does not match a {variant} Spirit LM with this config.json. "
            f"Missing keys ({len(missing)}): {missing[:5]}; unexpected keys ({len(unexpected)}): {unexpected[:5]}."
        )
    for k, v in state.items():
        if tuple(v.shape) != tuple(expected[k].shape):
            raise ConversionError(f"{lm_dir}: {k} has shape {tuple(v.shape)}, expected {tuple(expected[k].shape)}.")
    target_dtype = getattr(torch, dtype) if dtype else next(iter(state.values())).dtype
    state = {k: v.to(target_dtype) for k, v in state.items()}
    model.load_state_dict(state, strict=not config.tie_word_embeddings, assign=True)
    if config.tie_word_embeddings:
        model.tie_weights()
    model.config.dtype = target_dtype
    # Rotary inverse frequencies are non-persistent buffers: rebuild them for real (they stay float32).
    model.model.rotary_emb = type(model.model.rotary_emb)(config=config)
    gen_path = lm_dir / "generation_config.json"
    if gen_path.is_file():
        from transformers import GenerationConfig

        model.generation_config = GenerationConfig.from_pretrained(str(lm_dir))
    output_dir.mkdir(parents=True, exist_ok=True)
    SpiritLMForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    config.register_for_auto_class()
    model.save_pretrained(str(output_dir))
    convert_tokenizer(lm_dir, config, output_dir)
    return output_dir


def convert_all(checkpoints_dir, variant: str, output_dir, dtype: Optional[str] = None) -> Path:
    """Language model into ``output_dir``, speech tokenizer into ``output_dir/speech_tokenizer``, vocoder into
    ``output_dir/vocoder``."""
    from .convert_hifigan import convert_hifigan
    from .convert_speech_tokenizer import convert_speech_tokenizer

    if variant not in ("base", "expressive"):
        raise ConversionError(f"--variant is {variant!r}; allowed: 'base', 'expressive'.")
    out = convert_language_model(checkpoints_dir, variant, output_dir, dtype=dtype)
    logger.info("language model -> %s", out)
    logger.info("speech tokenizer -> %s", convert_speech_tokenizer(checkpoints_dir, variant, output_dir))
    logger.info("vocoder -> %s", convert_hifigan(checkpoints_dir, variant, output_dir))
    from .hub_folder import make_hub_ready

    return make_hub_ready(output_dir)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m modeling_spirit.convert",
        description="Convert Meta's original Spirit LM checkpoints (the `checkpoints/` folder of the original release) "
        "into one Hub-ready folder of safetensors, configs, tokenizer files and remote code.",
    )
    parser.add_argument("--checkpoints-dir", required=True, help="the original `checkpoints/` folder")
    parser.add_argument("--variant", required=True, choices=["base", "expressive"])
    parser.add_argument("--output-dir", required=True, help="where to write the converted folder")
    parser.add_argument("--dtype", default=None, choices=["float32", "bfloat16", "float16"],
                        help="weight dtype of the language model (default: as stored, bfloat16 for the 7B)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = convert_all(args.checkpoints_dir, args.variant, args.output_dir, dtype=args.dtype)
    print(f"Converted the {args.variant} Spirit LM (language model, speech tokenizer, vocoder) into {out}")


if __name__ == "__main__":
    main()
