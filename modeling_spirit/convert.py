# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Convert Meta's original Spirit LM checkpoints into one Hub-ready folder.

```
python -m modeling_spirit.convert --checkpoints-dir CKPT --variant {base,expressive} --output-dir OUT [--max-shard-size 5GB]
```

``CKPT`` has the original ``checkpoints/`` layout (spec §0, §9.2)::

    spiritlm_model/spirit-lm-{base,expressive}-7b/{config.json, pytorch_model.bin, tokenizer.model, ...}
    speech_tokenizer/hubert_25hz/..., vqvae_f0_quantizer/..., style_encoder_w2v2/...,
    speech_tokenizer/hifigan_spiritlm_base/... or hifigan_spiritlm_expressive_w2v2/...

The speech tokenizer goes to ``OUT/speech_tokenizer/`` and the vocoder to ``OUT/vocoder/`` (see
:mod:`.convert_speech_tokenizer` and :mod:`.convert_hifigan`). The language model part writes ``OUT/{config.json, model*.safetensors, generation_config.json, tokenizer.model,
tokenizer.json, tokenizer_config.json, *.py}``; its weights are safetensors shards of at most ``max_shard_size`` (default
5GB, ``model-0000i-of-0000n.safetensors`` + ``model.safetensors.index.json``, or one ``model.safetensors`` when they
fit), written shard by shard from the memory-mapped original (no second copy of the 13.5 GB checkpoint). Every original key must be consumed and every parameter filled: a
missing or unexpected key is an error (the original would silently keep random weights). Pickles are read with
``torch.load(..., weights_only=True)``; nothing pickled is written.

:func:`convert_all` is atomic: everything is built in a temporary folder beside ``OUT`` and renamed into place only
when every part converted and the folder passed :func:`~.hub_folder.check_spirit_folder`; a failed or interrupted
conversion leaves the previous complete ``OUT`` (or nothing). An unreadable file (truncated ``.bin`` or
``generator.pt``, bad ``config.json`` or YAML, garbage ``tokenizer.model``) is a :class:`ConversionError` naming it;
NaN or infinite weights are an error unless ``--allow-nonfinite`` (then a warning naming the tensors).
"""

import argparse
import logging
from pathlib import Path
from typing import Dict, Optional

import torch

from .configuration_spirit_lm import SpiritLMConfig
from .constants import VARIANTS
from .convert_common import (
    DEFAULT_MAX_SHARD_SIZE,
    ConversionError,
    atomic_output_dir,
    check_finite,
    load_safetensors_file,
    load_torch_file,
    parse_shard_size,
    read_json_file,
    write_safetensors_shards,
)
from .convert_hifigan import convert_hifigan
from .convert_speech_tokenizer import convert_speech_tokenizer
from .hub_folder import make_hub_ready
from .modeling_spirit_lm import SpiritLMForCausalLM
from .tokenization_spirit_lm import (
    SpiritLMTokenizer,
    SpiritLMTokenizerFast,
    _require_sentencepiece,
    _sp_model_proto,
    _write_tokenizer_auto_map,
    add_layout_pieces,
)

logger = logging.getLogger(__name__)

# Buffers that older transformers versions saved in Llama checkpoints and that carry no information.
_IGNORED_KEY_SUFFIXES = (".self_attn.rotary_emb.inv_freq",)

_LLAMA_CONFIG_KEYS = (
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps", "use_cache", "bos_token_id",
    "eos_token_id", "pad_token_id", "pretraining_tp", "tie_word_embeddings", "rope_theta", "rope_scaling",
    "rope_parameters", "attention_bias", "attention_dropout", "mlp_bias", "head_dim", "vocab_size",
)


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
    bins = sorted(lm_dir.glob("pytorch_model*.bin"))
    sts = sorted(lm_dir.glob("model*.safetensors"))
    state: Dict = {}
    if sts:
        for f in sts:
            state.update(load_safetensors_file(f))
    elif bins:
        for f in bins:
            part = load_torch_file(f, mmap=True)
            if not isinstance(part, dict) or not all(torch.is_tensor(v) for v in part.values()):
                raise ConversionError(f"{f} holds a {type(part).__name__}, not a state dict of tensors.")
            state.update(part)
    else:
        raise ConversionError(f"No weights in {lm_dir}: expected pytorch_model.bin (or model*.safetensors).")
    return state


def build_config(lm_dir: Path, variant: str):
    cfg_path = lm_dir / "config.json"
    if not cfg_path.is_file():
        raise ConversionError(f"Missing {cfg_path}.")
    raw = read_json_file(cfg_path, "the Llama config of the language model")
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


def spirit_sentencepiece_model(lm_dir: Path, config) -> bytes:
    """The Spirit LM ``tokenizer.model`` bytes: the original's, checked (or with the speech tokens restored as pieces
    at their layout ids). Raises :class:`ConversionError` naming the file when it is not a SentencePiece model."""
    sp_path = lm_dir / "tokenizer.model"
    if not sp_path.is_file():
        raise ConversionError(f"Missing {sp_path} (the SentencePiece model).")
    data = sp_path.read_bytes()
    spm = _require_sentencepiece()
    try:
        proto = _sp_model_proto(data)
        if not len(proto.pieces):
            raise ValueError("it holds no pieces")
        spm.SentencePieceProcessor(model_proto=data)
    except Exception as err:  # noqa: BLE001 - protobuf DecodeError, SentencePiece RuntimeError
        raise ConversionError(
            f"{sp_path} ({len(data)} bytes) is not a SentencePiece model ({type(err).__name__}: {str(err)[:200]}). "
            "Re-download it from the original release."
        ) from err
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
    return data


def convert_tokenizer(lm_dir: Path, config, output_dir: Path, data: Optional[bytes] = None) -> None:
    """Write the Spirit LM tokenizer, checking (or restoring) the speech tokens' positions in ``tokenizer.model``."""
    data = spirit_sentencepiece_model(lm_dir, config) if data is None else data
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
    try:
        if p.is_file():
            out.update({str(k): int(v) for k, v in read_json_file(p, "{token: id}").items()})
        p = lm_dir / "tokenizer_config.json"
        if p.is_file():
            for i, tok in (read_json_file(p, "the tokenizer config").get("added_tokens_decoder") or {}).items():
                content = tok["content"] if isinstance(tok, dict) else str(tok)
                out[content] = int(i)
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, ConversionError):
            raise
        raise ConversionError(f"{p} does not declare added tokens as expected ({type(err).__name__}: {err}).") from err
    return out


def convert_language_model(checkpoints_dir, variant: str, output_dir, dtype: Optional[str] = None,
                           allow_nonfinite: bool = False, max_shard_size=DEFAULT_MAX_SHARD_SIZE) -> Path:
    """Convert ``spiritlm_model/spirit-lm-<variant>-7b`` into ``output_dir`` (safetensors, config, tokenizer).

    Everything is read and checked before anything is written (use :func:`convert_all` for an atomic folder). The
    weights are written by :func:`~.convert_common.write_safetensors_shards` (shards of at most ``max_shard_size``,
    cast to ``dtype`` one shard at a time, with a progress bar).
    """
    parse_shard_size(max_shard_size)  # a bad size is an error before the long read
    output_dir = Path(output_dir)
    lm_dir = lm_checkpoint_dir(checkpoints_dir, variant)
    config = build_config(lm_dir, variant)
    sp_model = spirit_sentencepiece_model(lm_dir, config)
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
    not_float = sorted(k for k, v in state.items() if expected[k].is_floating_point() and not v.is_floating_point())
    if not_float:
        raise ConversionError(
            f"{lm_dir}: {len(not_float)} weights are not floating point ({', '.join(not_float[:5])}: "
            f"{state[not_float[0]].dtype}); a Spirit LM checkpoint holds float32/bfloat16/float16 weights. Re-download it."
        )
    check_finite(state, lm_dir, allow_nonfinite, release_pages=True)  # the mapped pages, read once, go back
    target_dtype = getattr(torch, dtype) if dtype else next(iter(state.values())).dtype
    if config.tie_word_embeddings:
        state.pop("lm_head.weight", None)  # tied to the embeddings: saved once, as save_pretrained does
    # The model stays on the meta device: it only carries the config, the generation config and the remote code;
    # the weights go from the (memory-mapped) checkpoint straight into the shards.
    gen_path = lm_dir / "generation_config.json"
    if gen_path.is_file():
        from transformers import GenerationConfig

        read_json_file(gen_path, "the generation config")
        try:
            model.generation_config = GenerationConfig.from_pretrained(str(lm_dir))
        except (OSError, ValueError, TypeError) as err:
            raise ConversionError(f"{gen_path} is not a valid generation config: {err}") from err
    output_dir.mkdir(parents=True, exist_ok=True)
    SpiritLMForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    config.register_for_auto_class()
    _save_config_and_code(model, output_dir, target_dtype)
    write_safetensors_shards(state, output_dir, max_shard_size=max_shard_size, dtype=target_dtype,
                             total_parameters=model.num_parameters(), desc="Writing language-model shards",
                             release_pages=True)
    convert_tokenizer(lm_dir, config, output_dir, data=sp_model)
    return output_dir


def _save_config_and_code(model, output_dir: Path, dtype: torch.dtype) -> None:
    """What ``save_pretrained`` writes besides the weights: the remote code beside an ``auto_map``, ``config.json``
    (``dtype``, ``architectures``) and ``generation_config.json``."""
    from transformers.dynamic_module_utils import custom_object_save

    model.config.dtype = str(dtype).split(".")[1]
    model.config.architectures = [type(model).__name__]
    custom_object_save(model, str(output_dir), config=model.config)
    model.config.save_pretrained(str(output_dir))
    model.generation_config.save_pretrained(str(output_dir))


def convert_all(checkpoints_dir, variant: str, output_dir, dtype: Optional[str] = None,
                allow_nonfinite: bool = False, max_shard_size=DEFAULT_MAX_SHARD_SIZE) -> Path:
    """Language model into ``output_dir``, speech tokenizer into ``output_dir/speech_tokenizer``, vocoder into
    ``output_dir/vocoder``, made Hub-ready; atomically (see the module docstring). Returns ``Path(output_dir)``.

    ``max_shard_size`` (bytes or e.g. ``"5GB"``, ``"200KB"``) bounds each language-model weight shard."""
    if variant not in VARIANTS:
        raise ConversionError(f"--variant is {variant!r}; allowed: {', '.join(map(repr, VARIANTS))}.")
    output_dir = Path(output_dir)
    with atomic_output_dir(output_dir) as work:
        convert_language_model(checkpoints_dir, variant, work, dtype=dtype, allow_nonfinite=allow_nonfinite,
                               max_shard_size=max_shard_size)
        logger.info("language model converted")
        convert_speech_tokenizer(checkpoints_dir, variant, work, allow_nonfinite=allow_nonfinite)
        logger.info("speech tokenizer converted")
        convert_hifigan(checkpoints_dir, variant, work, allow_nonfinite=allow_nonfinite)
        logger.info("vocoder converted")
        make_hub_ready(work)  # also checks the folder is complete and consistent
    logger.info("-> %s", output_dir)
    return output_dir


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
    parser.add_argument("--allow-nonfinite", action="store_true",
                        help="convert weights holding NaN or infinite values (with a warning) instead of refusing")
    parser.add_argument("--max-shard-size", default=DEFAULT_MAX_SHARD_SIZE,
                        help="largest language-model weight shard, e.g. 5GB (default), 2GB, 500MB; the shards get a "
                        "model.safetensors.index.json")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        out = convert_all(args.checkpoints_dir, args.variant, args.output_dir, dtype=args.dtype,
                          allow_nonfinite=args.allow_nonfinite, max_shard_size=args.max_shard_size)
    except (ValueError, OSError) as err:  # the message names the file; the output folder is untouched
        parser.exit(1, f"{parser.prog}: error: {err}\n")
    print(f"Converted the {args.variant} Spirit LM (language model, speech tokenizer, vocoder) into {out}")


if __name__ == "__main__":
    main()
