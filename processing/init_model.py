# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Start a Spirit LM from a Llama-family text model: add the speech tokens with the exact Spirit LM layout.

```python
from processing.init_model import init_spirit_lm
init_spirit_lm("meta-llama/Llama-2-7b-hf", "expressive", "spirit-lm-init", speech_components="spirit-lm-expressive-7b")
```

Command line (registered as ``spirit-lm init``; also ``python -m processing.init_model``)::

    spirit-lm init --text-model PATH --variant base|expressive --output-dir OUT [--speech-components FOLDER]

What it does:

* **Layout.** ``text_vocab_size`` = the text model's SentencePiece piece count (32000 for Llama-2), then ``[Text]``,
  ``[Speech]``, ``[Hu0..500]`` and, for ``expressive``, ``[Pi0..63]`` and ``[St0..99]``, padded to a multiple of 64
  (base) / 256 (expressive) rows: exactly :class:`SpiritLMConfig`'s layout, so a Llama-2 start gives the released
  ids (32000, 32001, 32002-32502, ...). The speech tokens become SentencePiece ``USER_DEFINED`` pieces of
  ``tokenizer.model`` (:func:`add_layout_pieces`), and the slow and fast Spirit LM tokenizers are written.
* **Supported text models.** ``model_type == "llama"`` checkpoints with a SentencePiece BPE ``tokenizer.model``
  (Llama-1/2, TinyLlama, Vicuna, CodeLlama, OpenLLaMA...). Models whose tokenizer is only a ``tokenizer.json``
  (Llama-3 tiktoken-style BPE, most newer models) are refused with an explanation: Spirit LM's tokenizers are
  SentencePiece-exact by design. If the text model has more embedding rows than pieces, the extra rows stay in place
  as unused pieces (``<unusedN>``), so every text id keeps its row.
* **New embedding rows** (input embeddings and, when untied, the output head): each marker/unit row is the mean of
  the text rows plus Gaussian noise with ``noise_scale`` (default 0.1) times the per-dimension standard deviation of
  the text rows, seeded (``seed``). The mean keeps the new tokens' initial logits at the level of an average text
  token (no row starts out dominating the softmax, as random rows at ``initializer_range`` can do in large models);
  the noise breaks the symmetry between the 500+ unit tokens so they can specialise. Padding rows get the mean only.
  ``init="normal"`` instead draws ``N(0, initializer_range)`` as a freshly initialised model would.
* **RoPE θ = 100 000** (paper App. A), other rotary settings kept; ``rope_theta=None`` keeps the text model's.
* **Speech components.** ``speech_components`` (a Spirit LM folder, or any folder with ``speech_tokenizer/`` and
  ``vocoder/``) are copied in, after checking that the speech tokenizer's variant and HuBERT codebook fit the layout.
* ``spirit_lm_init.json`` records the text model, the init settings, and the speech tokenizer's fingerprint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from typing import Any, Dict, Optional, Sequence

from modeling_spirit.configuration_spirit_lm import VARIANTS, SpiritLMConfig
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM
from modeling_spirit.tokenization_spirit_lm import _sp_model_proto, write_spirit_tokenizer

from .encode_units import load_speech_tokenizer, speech_tokenizer_fingerprint

SPIRIT_TOKEN_EXAMPLES = ("[Text]", "[Speech]", "[Hu0]", "[Pi0]", "[St0]")
_LLAMA_KEYS = (
    "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
    "hidden_act", "max_position_embeddings", "initializer_range", "rms_norm_eps", "use_cache", "bos_token_id",
    "eos_token_id", "pad_token_id", "pretraining_tp", "tie_word_embeddings", "attention_bias", "attention_dropout",
    "mlp_bias", "head_dim",
)
INIT_FILE = "spirit_lm_init.json"


class InitError(ValueError):
    """The text model cannot be turned into a Spirit LM as asked."""


def _resolve(path: str) -> str:
    if os.path.isdir(path):
        return path
    from huggingface_hub import snapshot_download

    return snapshot_download(path, allow_patterns=["*.json", "*.model", "*.safetensors", "*.bin", "*.txt"])


def _read_json(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _check_tokenizer(text_dir: str) -> "Any":
    """The text model's SentencePiece proto; refuses unsupported tokenizers and existing Spirit LM tokens."""
    sp_path = os.path.join(text_dir, "tokenizer.model")
    if not os.path.isfile(sp_path):
        has_json = os.path.isfile(os.path.join(text_dir, "tokenizer.json"))
        raise InitError(
            f"{text_dir} has no SentencePiece `tokenizer.model`"
            + (" (only a `tokenizer.json`, e.g. a Llama-3-style tiktoken BPE)" if has_json else "")
            + ". Spirit LM's tokenizers are SentencePiece-exact (the speech tokens are USER_DEFINED pieces of the "
            "Llama-2 SentencePiece model), so `spirit-lm init` supports Llama-family text models that ship a "
            "SentencePiece BPE tokenizer.model (Llama-1/2, TinyLlama, Vicuna, CodeLlama, OpenLLaMA, ...)."
        )
    with open(sp_path, "rb") as f:
        proto = _sp_model_proto(f.read())
    if proto.trainer_spec.model_type != 2:
        raise InitError(
            f"{sp_path} is a SentencePiece model of type {proto.trainer_spec.model_type}, not BPE (2); Spirit LM's "
            "tokenizers reproduce Llama's SentencePiece BPE. Use a text model with a BPE tokenizer.model."
        )
    pieces = {p.piece: i for i, p in enumerate(proto.pieces)}
    added = set()
    for name in ("tokenizer_config.json",):
        for tok in (_read_json(os.path.join(text_dir, name)).get("added_tokens_decoder") or {}).values():
            added.add(tok["content"] if isinstance(tok, dict) else str(tok))
    added |= set(_read_json(os.path.join(text_dir, "added_tokens.json")))
    for tok in _read_json(os.path.join(text_dir, "tokenizer.json")).get("added_tokens") or []:
        added.add(tok.get("content"))
    clash = [t for t in SPIRIT_TOKEN_EXAMPLES if t in pieces or t in added]
    if clash:
        where = f"id {pieces[clash[0]]} of tokenizer.model" if clash[0] in pieces else "its added tokens"
        raise InitError(
            f"The text model at {text_dir} already has the Spirit LM token {clash[0]!r} ({where}); tokens found: "
            f"{clash}. It is probably a Spirit LM already (load it with SpiritLMForCausalLM), or its vocabulary "
            "uses these names for something else; start from the plain text model."
        )
    return proto


def _rope_parameters(text_config, rope_theta: Optional[float]) -> dict:
    params = dict(getattr(text_config, "rope_parameters", None) or {})
    if not params:
        params = {"rope_type": "default", "rope_theta": float(getattr(text_config, "rope_theta", 10000.0))}
    params.setdefault("rope_type", "default")
    if rope_theta is not None:
        params["rope_theta"] = float(rope_theta)
    return params


def _check_speech_components(folder: str, variant: str, config) -> Dict[str, Any]:
    st_dir = os.path.join(folder, "speech_tokenizer")
    voc_dir = os.path.join(folder, "vocoder")
    missing = [d for d in (st_dir, voc_dir) if not os.path.isfile(os.path.join(d, "config.json"))]
    if missing:
        raise InitError(
            f"--speech-components {folder} must hold speech_tokenizer/ and vocoder/ (as a Spirit LM folder does); "
            f"missing: {missing}."
        )
    st_cfg = _read_json(os.path.join(st_dir, "config.json"))
    st_variant = st_cfg.get("variant", "base")
    if st_variant != variant:
        raise InitError(
            f"The speech tokenizer in {st_dir} is {st_variant!r} but the Spirit LM is {variant!r}: a {variant} model "
            f"needs a {variant} speech tokenizer{' (pitch and style units)' if variant == 'expressive' else ''}."
        )
    tok = load_speech_tokenizer(folder)
    n_hu = int(tok.config.quantizer_vocab_size) + 1 if hasattr(tok.config, "quantizer_vocab_size") else None
    if n_hu is not None and n_hu != config.num_hubert_units:
        raise InitError(
            f"The speech tokenizer in {st_dir} makes {n_hu} HuBERT units but the layout has {config.num_hubert_units}."
        )
    return speech_tokenizer_fingerprint(tok)


def init_spirit_lm(
    text_model_path: str,
    variant: str = "base",
    output_dir: str = "spirit-lm-init",
    *,
    speech_components: Optional[str] = None,
    rope_theta: Optional[float] = 100000.0,
    init: str = "mean",
    noise_scale: float = 0.1,
    seed: int = 0,
    dtype: Optional[str] = None,
    overwrite: bool = False,
) -> str:
    """Write a Spirit LM folder initialised from a Llama-family text model (see the module docstring).

    Args:
        text_model_path (`str`): a local folder or Hub id of a ``LlamaForCausalLM`` with a SentencePiece
            ``tokenizer.model``.
        variant (`str`): ``"base"`` or ``"expressive"``.
        output_dir (`str`): the Spirit LM folder to write (must not exist or be empty, unless ``overwrite``).
        speech_components (`str`, *optional*): a folder with ``speech_tokenizer/`` and ``vocoder/`` to copy in.
        rope_theta (`float`, *optional*, defaults to 100000): RoPE base (paper App. A); ``None`` keeps the text
            model's.
        init (`str`): ``"mean"`` (mean of the text rows + ``noise_scale`` × per-dimension std noise) or ``"normal"``
            (``N(0, initializer_range)``).
        noise_scale (`float`): noise relative to the text rows' per-dimension standard deviation (``init="mean"``).
        seed (`int`): seed of the noise.
        dtype (`str`, *optional*): ``"float32"``, ``"bfloat16"``...; default: the text model's stored dtype.

    Returns:
        `str`: ``output_dir``.
    """
    import torch
    from transformers import AutoConfig, GenerationConfig, LlamaForCausalLM

    if variant not in VARIANTS:
        raise InitError(f"`variant` is {variant!r}; allowed: {VARIANTS}.")
    if init not in ("mean", "normal"):
        raise InitError(f"`init` is {init!r}; allowed: 'mean' or 'normal'.")
    if os.path.isdir(output_dir) and os.listdir(output_dir) and not overwrite:
        raise InitError(f"{output_dir} exists and is not empty; choose another --output-dir or pass --overwrite.")
    text_dir = _resolve(text_model_path)
    text_config = AutoConfig.from_pretrained(text_dir)
    if text_config.model_type != "llama":
        raise InitError(
            f"{text_model_path} is a {text_config.model_type!r} model; Spirit LM is a Llama model "
            "(`model_type: llama`, e.g. Llama-2, TinyLlama). Other architectures are not supported."
        )
    proto = _check_tokenizer(text_dir)
    n_pieces = len(proto.pieces)
    n_rows = int(text_config.vocab_size)
    if n_rows < n_pieces:
        raise InitError(
            f"{text_model_path}'s tokenizer.model has {n_pieces} pieces but the model only {n_rows} embedding rows."
        )
    kwargs = {k: getattr(text_config, k) for k in _LLAMA_KEYS if getattr(text_config, k, None) is not None}
    config = SpiritLMConfig(
        variant=variant, text_vocab_size=n_rows, rope_parameters=_rope_parameters(text_config, rope_theta), **kwargs
    )
    fingerprint = _check_speech_components(speech_components, variant, config) if speech_components else None

    text_model = LlamaForCausalLM.from_pretrained(text_dir, dtype=getattr(torch, dtype) if dtype else "auto")
    old_in = text_model.get_input_embeddings().weight.detach()  # (n_rows, H)
    tied = bool(config.tie_word_embeddings)
    old_out = None if tied else text_model.get_output_embeddings().weight.detach()
    gen = torch.Generator().manual_seed(seed)
    layout_ids = sorted(i for i, _ in config.layout_tokens())

    def grow(old: torch.Tensor) -> torch.Tensor:
        text = old[:n_rows].float()  # (n_rows, H)
        new = torch.empty(config.vocab_size, old.shape[1], dtype=torch.float32)
        new[:n_rows] = text
        mean = text.mean(dim=0)  # (H,)
        new[n_rows:] = mean
        idx = torch.tensor(layout_ids)
        if init == "mean":
            std = text.std(dim=0)  # (H,)
            noise = torch.randn(len(layout_ids), old.shape[1], generator=gen)
            new[idx] = mean + noise_scale * std * noise
        else:
            new[idx] = torch.randn(len(layout_ids), old.shape[1], generator=gen) * config.initializer_range
        return new.to(old.dtype)

    state = {k: v for k, v in text_model.state_dict().items() if not k.endswith(".rotary_emb.inv_freq")}
    state["model.embed_tokens.weight"] = grow(old_in)
    if tied:
        state.pop("lm_head.weight", None)
    else:
        state["lm_head.weight"] = grow(old_out)
    target_dtype = old_in.dtype
    del text_model
    with torch.device("meta"):
        model = SpiritLMForCausalLM(config)
    model.load_state_dict(state, strict=not tied, assign=True)
    if tied:
        model.tie_weights()
    model.model.rotary_emb = type(model.model.rotary_emb)(config=config)
    model.config.dtype = target_dtype
    gen_path = os.path.join(text_dir, "generation_config.json")
    model.generation_config = GenerationConfig.from_pretrained(text_dir) if os.path.isfile(gen_path) else \
        GenerationConfig.from_model_config(config)
    if os.path.isdir(output_dir) and overwrite:
        shutil.rmtree(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    SpiritLMForCausalLM.register_for_auto_class("AutoModelForCausalLM")
    config.register_for_auto_class()
    model.save_pretrained(output_dir)
    write_spirit_tokenizer(
        os.path.join(text_dir, "tokenizer.model"), config, output_dir,
        pad_text_to=n_rows if n_rows > n_pieces else None,
    )
    if speech_components:
        for sub in ("speech_tokenizer", "vocoder"):
            shutil.copytree(os.path.join(speech_components, sub), os.path.join(output_dir, sub))
    record = {
        "text_model": text_model_path,
        "variant": variant,
        "text_vocab_size": n_rows,
        "text_pieces": n_pieces,
        "vocab_size": config.vocab_size,
        "rope_parameters": config.rope_parameters,
        "init": init,
        "noise_scale": noise_scale if init == "mean" else None,
        "seed": seed,
        "speech_components": speech_components,
        "speech_tokenizer": fingerprint,
    }
    with open(os.path.join(output_dir, INIT_FILE), "w", encoding="utf-8") as f:
        json.dump(record, f, indent=2)
    return output_dir


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spirit-lm init",
                                description="Start a Spirit LM from a Llama-family text model (adds the speech tokens).")
    p.add_argument("--text-model", required=True, help="Folder or Hub id of a Llama model with a SentencePiece "
                   "tokenizer.model.")
    p.add_argument("--variant", choices=VARIANTS, required=True)
    p.add_argument("--output-dir", required=True)
    p.add_argument("--speech-components", default=None, help="Folder with speech_tokenizer/ and vocoder/ to copy in "
                   "(e.g. a converted Spirit LM).")
    p.add_argument("--rope-theta", type=float, default=100000.0, help="RoPE base (paper: 100000); 0 keeps the text "
                   "model's.")
    p.add_argument("--init", choices=("mean", "normal"), default="mean")
    p.add_argument("--noise-scale", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", default=None, help="float32, bfloat16, float16 (default: as stored).")
    p.add_argument("--overwrite", action="store_true")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        out = init_spirit_lm(
            args.text_model, args.variant, args.output_dir, speech_components=args.speech_components,
            rope_theta=args.rope_theta or None, init=args.init, noise_scale=args.noise_scale, seed=args.seed,
            dtype=args.dtype, overwrite=args.overwrite,
        )
    except InitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Spirit LM ({args.variant}) initialised from {args.text_model} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
