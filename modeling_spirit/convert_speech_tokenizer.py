# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Convert the original Spirit LM speech-tokenizer checkpoints into a :class:`SpiritLMSpeechTokenizer` folder.

Original layout (spec §3.3, §3.4, §4.3, §4.4, §9.2)::

    CKPT/speech_tokenizer/hubert_25hz/mhubert_base_25hz.pt      {"model_cfg", "task_cfg", "model_weight", "dictionaries_symbols"}
    CKPT/speech_tokenizer/hubert_25hz/L11_quantizer_500.pt      {"model_cfg": {vocab_size, dim, upstream_dim}, "model_weight"}
    CKPT/speech_tokenizer/vqvae_f0_quantizer/{config.yaml, model.pt}      (expressive)
    CKPT/speech_tokenizer/style_encoder_w2v2/{config.json, pytorch_model.bin | model.safetensors}   (expressive)

Unlike the original (which loads HuBERT with ``strict=False`` and silently keeps random weights for missing keys),
every checkpoint key must map to a parameter and every parameter must be filled; anything else raises, naming the
keys. Keys the tokenizer never uses are dropped *by name* and listed in the returned report: HuBERT's
``label_embs_concat`` / ``final_proj.*`` (the original pops them too) and the F0 VQ-VAE decoder (``decoder.*``,
only used to resynthesise F0). Unreadable files (truncated checkpoints, bad YAML or JSON, missing config fields) are
:class:`CheckpointFormatError` naming the file; NaN/inf weights are refused unless ``allow_nonfinite=True``.
"""

from __future__ import annotations

import ast
import json
import os
from pathlib import Path
from typing import Dict, Union

import torch

from .configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig, default_hubert_config
from .constants import SPEECH_TOKENIZER_SUBFOLDER, VARIANTS
from .convert_common import ConversionError, check_finite, load_safetensors_file, load_torch_file, read_json_file
from .modeling_spirit_speech_tokenizer import SpiritLMSpeechTokenizer

try:  # optional: the VQ-VAE config.yaml
    import yaml
except ImportError:  # pragma: no cover
    yaml = None

HUBERT_DIR = "hubert_25hz"
HUBERT_FILE = "mhubert_base_25hz.pt"
QUANTIZER_FILE = "L11_quantizer_500.pt"
VQVAE_DIR = "vqvae_f0_quantizer"
STYLE_DIR = "style_encoder_w2v2"


class CheckpointFormatError(ConversionError):
    """An original speech-tokenizer checkpoint does not have the expected structure."""


def _torch_load(path: Path) -> dict:
    try:
        obj = load_torch_file(path)
    except ConversionError as e:
        raise CheckpointFormatError(str(e)) from e
    if not isinstance(obj, dict):
        raise CheckpointFormatError(f"{str(path)!r} holds a {type(obj).__name__}; expected a dict.")
    return obj


def _require_keys(obj: dict, keys, path: Path) -> None:
    missing = [k for k in keys if k not in obj]
    if missing:
        raise CheckpointFormatError(f"{str(path)!r} lacks the keys {missing}; it has {sorted(obj)}.")


def parse_conv_feature_layers(spec: str) -> list:
    """Safely evaluate fairseq's ``conv_feature_layers`` string, e.g. ``"[(512,10,5)] + [(512,3,2)] * 4"``."""

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, (ast.List, ast.Tuple)):
            items = [ev(e) for e in node.elts]
            return items if isinstance(node, ast.List) else tuple(items)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mult)):
            left, right = ev(node.left), ev(node.right)
            return left + right if isinstance(node.op, ast.Add) else left * right
        raise CheckpointFormatError(f"Unsupported expression in conv_feature_layers: {spec!r}.")

    layers = ev(ast.parse(spec, mode="eval"))
    if not isinstance(layers, list) or not all(isinstance(t, tuple) and len(t) == 3 for t in layers):
        raise CheckpointFormatError(f"conv_feature_layers must be a list of (dim, kernel, stride); got {spec!r}.")
    return layers


def hubert_config_from_fairseq(model_cfg: dict, task_cfg: dict) -> dict:
    """transformers ``HubertConfig`` fields for a fairseq/s3prl HuBERT ``model_cfg`` (spec §3.2 defaults)."""
    get = lambda k, d: model_cfg.get(k, d)  # noqa: E731
    if get("extractor_mode", "default") != "default":
        raise CheckpointFormatError(
            f"HuBERT extractor_mode={get('extractor_mode', None)!r} is not supported; the Spirit LM HuBERT uses "
            "'default' (GroupNorm in the first conv only)."
        )
    if get("layer_norm_first", False):
        raise CheckpointFormatError("HuBERT layer_norm_first=True (pre-LN) is not supported; Spirit LM's is post-LN.")
    if get("layer_type", "transformer") != "transformer":
        raise CheckpointFormatError(f"HuBERT layer_type={get('layer_type', None)!r} is not supported ('transformer').")
    if get("activation_fn", "gelu") != "gelu":
        raise CheckpointFormatError(f"HuBERT activation_fn={get('activation_fn', None)!r} is not supported ('gelu').")
    if get("conv_pos_batch_norm", False):
        raise CheckpointFormatError("HuBERT conv_pos_batch_norm=True is not supported.")
    if task_cfg.get("normalize", False):
        raise CheckpointFormatError(
            "task_cfg.normalize=True: the original crashes on this path (spec §3.1), so no usable checkpoint has it."
        )
    if int(task_cfg.get("sample_rate", 16000)) != 16000:
        raise CheckpointFormatError(f"task_cfg.sample_rate={task_cfg.get('sample_rate')}; expected 16000.")
    layers = parse_conv_feature_layers(get("conv_feature_layers", "[(512,10,5)] + [(512,3,2)] * 4 + [(512,2,2)] * 2"))
    cfg = default_hubert_config()
    cfg.update(
        conv_dim=[int(d) for d, _, _ in layers],
        conv_kernel=[int(k) for _, k, _ in layers],
        conv_stride=[int(s) for _, _, s in layers],
        conv_bias=bool(get("conv_bias", False)),
        num_hidden_layers=int(get("encoder_layers", 12)),
        hidden_size=int(get("encoder_embed_dim", 768)),
        intermediate_size=int(get("encoder_ffn_embed_dim", 3072)),
        num_attention_heads=int(get("encoder_attention_heads", 12)),
        num_conv_pos_embeddings=int(get("conv_pos", 128)),
        num_conv_pos_embedding_groups=int(get("conv_pos_groups", 16)),
    )
    return cfg


def map_hubert_state_dict(sd: Dict[str, torch.Tensor], num_conv_layers: int) -> tuple[dict, list]:
    """fairseq HuBERT keys -> ``hubert.*`` keys of transformers' ``HubertModel`` (spec §10b). Returns
    ``(mapped, dropped)``; raises on keys it does not know."""
    mapped, dropped, unknown = {}, [], []
    for key, value in sd.items():
        if key == "label_embs_concat" or key.startswith("final_proj."):
            dropped.append(key)
            continue
        new = None
        parts = key.split(".")
        if key.startswith("feature_extractor.conv_layers."):
            i, sub = parts[2], ".".join(parts[3:])
            if sub in ("0.weight", "0.bias"):
                new = f"feature_extractor.conv_layers.{i}.conv.{parts[-1]}"
            elif sub in ("2.weight", "2.bias") and i == "0":
                new = f"feature_extractor.conv_layers.0.layer_norm.{parts[-1]}"
        elif key in ("layer_norm.weight", "layer_norm.bias"):
            new = f"feature_projection.layer_norm.{parts[-1]}"
        elif key.startswith("post_extract_proj."):
            new = f"feature_projection.projection.{parts[-1]}"
        elif key == "mask_emb":
            new = "masked_spec_embed"
        elif key == "encoder.pos_conv.0.weight_g":
            new = "encoder.pos_conv_embed.conv.parametrizations.weight.original0"
        elif key == "encoder.pos_conv.0.weight_v":
            new = "encoder.pos_conv_embed.conv.parametrizations.weight.original1"
        elif key == "encoder.pos_conv.0.bias":
            new = "encoder.pos_conv_embed.conv.bias"
        elif key in ("encoder.layer_norm.weight", "encoder.layer_norm.bias"):
            new = key
        elif key.startswith("encoder.layers.") and len(parts) >= 5:
            i, rest = parts[2], ".".join(parts[3:])
            table = {
                "self_attn.q_proj": "attention.q_proj",
                "self_attn.k_proj": "attention.k_proj",
                "self_attn.v_proj": "attention.v_proj",
                "self_attn.out_proj": "attention.out_proj",
                "self_attn_layer_norm": "layer_norm",
                "fc1": "feed_forward.intermediate_dense",
                "fc2": "feed_forward.output_dense",
                "final_layer_norm": "final_layer_norm",
            }
            module, leaf = rest.rsplit(".", 1)
            if module in table and leaf in ("weight", "bias"):
                new = f"encoder.layers.{i}.{table[module]}.{leaf}"
        if new is None:
            unknown.append(key)
        else:
            mapped["hubert." + new] = value
    if unknown:
        raise CheckpointFormatError(f"Unexpected keys in the HuBERT checkpoint (no mapping): {unknown}.")
    return mapped, dropped


def map_style_state_dict(sd: Dict[str, torch.Tensor]) -> tuple[dict, list]:
    """HF ``Wav2Vec2ForSequenceClassification`` keys (either weight-norm naming) -> ``style_encoder.*``."""
    mapped, dropped = {}, []
    for key, value in sd.items():
        if key == "_float_tensor":  # the original subclass's device-tracking buffer
            dropped.append(key)
            continue
        new = key.replace(".conv.weight_g", ".conv.parametrizations.weight.original0").replace(
            ".conv.weight_v", ".conv.parametrizations.weight.original1"
        )
        mapped["style_encoder." + new] = value
    return mapped, dropped


def _load_yaml(path: Path) -> dict:
    if yaml is None:
        raise ImportError("Converting the F0 VQ-VAE needs PyYAML to read config.yaml: `pip install pyyaml`.")
    if not path.is_file():
        raise FileNotFoundError(f"Missing original checkpoint file {str(path)!r}.")
    try:
        with open(path, encoding="utf-8") as f:
            cfg = yaml.safe_load(f)
    except (yaml.YAMLError, UnicodeDecodeError) as err:
        raise CheckpointFormatError(f"{str(path)!r} is not valid YAML ({err}). Re-download it.") from err
    if not isinstance(cfg, dict):
        raise CheckpointFormatError(f"{str(path)!r} does not hold a YAML mapping.")
    return cfg


def _vqvae_config(cfg: dict, path: Path) -> tuple[dict, str]:
    try:
        return _vqvae_config_fields(cfg, path)
    except (KeyError, TypeError, ValueError) as err:
        if isinstance(err, CheckpointFormatError):
            raise
        raise CheckpointFormatError(
            f"{str(path)!r} does not describe the F0 VQ-VAE as expected ({type(err).__name__}: {err}); "
            "encoder_params needs input_emb_width, output_emb_width, levels, downs_t, strides_t, width, depth and "
            "vq_params needs l_bins."
        ) from err


def _vqvae_config_fields(cfg: dict, path: Path) -> tuple[dict, str]:
    _require_keys(cfg, ["encoder_params", "vq_params"], path)
    enc, vq = dict(cfg["encoder_params"]), dict(cfg["vq_params"])
    if enc.get("checkpoint_res"):
        raise CheckpointFormatError(f"{str(path)!r}: encoder_params.checkpoint_res is not supported by the original.")
    if int(vq.get("emb_width", enc["output_emb_width"])) != int(enc["output_emb_width"]):
        raise CheckpointFormatError(f"{str(path)!r}: vq_params.emb_width must equal encoder_params.output_emb_width.")
    out = {
        "input_emb_width": int(enc["input_emb_width"]),
        "output_emb_width": int(enc["output_emb_width"]),
        "levels": int(enc["levels"]),
        "downs_t": [int(x) for x in enc["downs_t"]],
        "strides_t": list(enc["strides_t"]),
        "width": int(enc["width"]),
        "depth": int(enc["depth"]),
        "m_conv": float(enc.get("m_conv", 1.0)),
        "dilation_growth_rate": int(enc.get("dilation_growth_rate", 1)),
        "dilation_cycle": enc.get("dilation_cycle"),
        "res_scale": bool(enc.get("res_scale", False)),
        "l_bins": int(vq["l_bins"]),
    }
    features = cfg.get("features", "f0_interp,vuv")
    if cfg.get("speaker_norm") and "norm_" not in features:
        features = "norm_" + features  # speaker_norm without stats file = per-utterance mean normalisation
    return out, features


_STYLE_CONFIG_DROP = {"architectures", "transformers_version", "model_type", "_name_or_path", "torch_dtype", "dtype", "auto_map"}


def convert_speech_tokenizer(
    checkpoints_dir: Union[str, os.PathLike],
    variant: str,
    output_dir: Union[str, os.PathLike],
    allow_nonfinite: bool = False,
) -> Path:
    """Convert the original speech tokenizer of ``variant`` and ``save_pretrained`` it.

    Args:
        checkpoints_dir: the original ``checkpoints`` folder (holding ``speech_tokenizer/...``) or its
            ``speech_tokenizer`` folder itself.
        variant (`str`): ``"base"`` (HuBERT + quantizer) or ``"expressive"`` (+ F0 VQ-VAE and style encoder).
        output_dir: the converted model is written to ``output_dir / "speech_tokenizer"``.
        allow_nonfinite (`bool`): convert NaN/inf weights with a warning instead of refusing them.

    Returns:
        `Path` of the written folder. Raises ``FileNotFoundError`` / ``CheckpointFormatError`` (a ``ValueError``)
        naming missing files, missing or unexpected keys and shape mismatches.
    """
    if variant not in VARIANTS:
        raise ValueError(f"`variant` is {variant!r}; allowed: {', '.join(map(repr, VARIANTS))}.")
    root = Path(checkpoints_dir)
    st = root / "speech_tokenizer" if (root / "speech_tokenizer").is_dir() else root
    if not (st / HUBERT_DIR).is_dir():
        raise FileNotFoundError(
            f"No {HUBERT_DIR}/ folder under {str(st)!r}; pass the original checkpoints folder (the one holding "
            "speech_tokenizer/hubert_25hz/...)."
        )
    # HuBERT
    hubert_path = st / HUBERT_DIR / HUBERT_FILE
    hub = _torch_load(hubert_path)
    _require_keys(hub, ["model_cfg", "task_cfg", "model_weight", "dictionaries_symbols"], hubert_path)
    try:
        hubert_config = hubert_config_from_fairseq(dict(hub["model_cfg"]), dict(hub["task_cfg"]))
        seq_mult = int(hub["model_cfg"].get("required_seq_len_multiple", 2))
        weights = dict(hub["model_weight"])
    except (TypeError, ValueError, AttributeError, SyntaxError) as err:
        if isinstance(err, CheckpointFormatError):
            raise
        raise CheckpointFormatError(f"{str(hubert_path)!r}: model_cfg/task_cfg/model_weight are not as expected "
                                    f"({type(err).__name__}: {err}).") from err
    try:
        state, dropped = map_hubert_state_dict(weights, len(hubert_config["conv_dim"]))
    except CheckpointFormatError as err:
        raise CheckpointFormatError(f"{str(hubert_path)!r}: {err}") from err
    # The file each converted key came from, so that key, shape and NaN errors name it.
    sources = {"hubert.": hubert_path, "quantizer.": st / HUBERT_DIR / QUANTIZER_FILE}
    # Quantizer
    q_path = st / HUBERT_DIR / QUANTIZER_FILE
    q = _torch_load(q_path)
    _require_keys(q, ["model_cfg", "model_weight"], q_path)
    qcfg = q["model_cfg"]
    if not isinstance(qcfg, dict) or not isinstance(q["model_weight"], dict):
        raise CheckpointFormatError(f"{str(q_path)!r}: model_cfg and model_weight must be dicts.")
    _require_keys(qcfg, ["vocab_size", "dim", "upstream_dim"], q_path)
    try:
        vocab, dim, upstream = int(qcfg["vocab_size"]), int(qcfg["dim"]), int(qcfg["upstream_dim"])
    except (TypeError, ValueError) as err:
        raise CheckpointFormatError(f"{str(q_path)!r}: vocab_size, dim and upstream_dim must be integers; got "
                                    f"{qcfg!r}.") from err
    if dim != hubert_config["hidden_size"]:
        raise CheckpointFormatError(
            f"{str(q_path)!r}: quantizer dim={dim} does not match the HuBERT hidden size "
            f"{hubert_config['hidden_size']} of {str(hubert_path)!r}; the files do not belong together."
        )
    mid = upstream - (vocab + 1)
    hidden_sizes = [dim - mid // 4, dim - mid // 2]
    q_keys = {"0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"}
    if set(q["model_weight"]) != q_keys:
        raise CheckpointFormatError(
            f"{str(q_path)!r}: quantizer keys missing {sorted(q_keys - set(q['model_weight']))}, unexpected "
            f"{sorted(set(q['model_weight']) - q_keys)}."
        )
    for k, v in q["model_weight"].items():
        state[f"quantizer.encoder.{k}"] = v
    kwargs = dict(
        variant=variant,
        hubert_config=hubert_config,
        hubert_seq_len_multiple=seq_mult,
        quantizer_vocab_size=vocab,
        quantizer_hidden_sizes=hidden_sizes,
        quantizer_upstream_dim=upstream,
    )
    if variant == "expressive":
        vq_dir = st / VQVAE_DIR
        vq_yaml = _load_yaml(vq_dir / "config.yaml")
        f0_cfg, features = _vqvae_config(vq_yaml, vq_dir / "config.yaml")
        vq_ckpt = _torch_load(vq_dir / "model.pt")
        sources["f0_vqvae."] = vq_dir / "model.pt"
        _require_keys(vq_ckpt, ["model"], vq_dir / "model.pt")
        if not isinstance(vq_ckpt["model"], dict):
            raise CheckpointFormatError(f"{str(vq_dir / 'model.pt')!r}: 'model' must be a state dict.")
        for k, v in vq_ckpt["model"].items():
            if k.startswith("decoder."):
                dropped.append(f"vqvae:{k}")
            else:
                state[f"f0_vqvae.{k}"] = v
        style_dir = st / STYLE_DIR
        cfg_path = style_dir / "config.json"
        try:
            style_cfg = read_json_file(cfg_path, "the style encoder's Wav2Vec2 config")
        except ConversionError as err:
            raise CheckpointFormatError(str(err)) from err
        style_cfg = {k: v for k, v in style_cfg.items() if k not in _STYLE_CONFIG_DROP}
        if style_cfg.get("do_stable_layer_norm"):
            raise CheckpointFormatError("Style encoder with do_stable_layer_norm=True is not supported (post-LN only).")
        if (style_dir / "model.safetensors").is_file():
            try:
                style_sd = load_safetensors_file(style_dir / "model.safetensors")
            except ConversionError as err:
                raise CheckpointFormatError(str(err)) from err
            sources["style_encoder."] = style_dir / "model.safetensors"
        else:
            style_sd = _torch_load(style_dir / "pytorch_model.bin")
            sources["style_encoder."] = style_dir / "pytorch_model.bin"
        try:
            mapped, style_dropped = map_style_state_dict(style_sd)
        except CheckpointFormatError as err:
            raise CheckpointFormatError(f"{str(sources['style_encoder.'])!r}: {err}") from err
        state.update(mapped)
        dropped.extend(f"style:{k}" for k in style_dropped)
        kwargs.update(f0_vqvae_config=f0_cfg, f0_features=features, style_config=style_cfg)
    try:
        config = SpiritLMSpeechTokenizerConfig(**kwargs)
        model = SpiritLMSpeechTokenizer(config)
    except (TypeError, ValueError, KeyError) as err:
        raise CheckpointFormatError(
            f"The configs under {str(st)!r} do not describe a {variant} speech tokenizer this port supports: "
            f"{type(err).__name__}: {err}"
        ) from err
    configs = "the configs inside " + ", ".join(repr(str(p)) for p in (hubert_path, q_path))
    if variant == "expressive":
        configs += f", {str(st / VQVAE_DIR / 'config.yaml')!r} and {str(st / STYLE_DIR / 'config.json')!r}"

    def files_of(keys) -> str:
        """The checkpoint files the converted ``keys`` come from, quoted, for error messages."""
        files = sorted({str(path) for k in keys for prefix, path in sources.items() if k.startswith(prefix)})
        return ", ".join(map(repr, files)) or repr(str(st))

    expected = set(model.state_dict())
    missing = sorted(expected - set(state))
    unexpected = sorted(set(state) - expected)
    if missing or unexpected:
        raise CheckpointFormatError(
            f"{files_of(missing + unexpected)}: checkpoint/model key mismatch for the {variant} speech tokenizer: "
            f"missing (never filled) {missing}; unexpected (no parameter) {unexpected}. The model was built from "
            f"{configs}; re-download the files."
        )
    not_tensors = sorted(k for k, v in state.items() if not torch.is_tensor(v))
    if not_tensors:
        raise CheckpointFormatError(f"{files_of(not_tensors)}: checkpoint values that are not tensors: "
                                    f"{not_tensors[:5]}.")
    not_float = [k for k, v in model.state_dict().items() if v.is_floating_point() and not state[k].is_floating_point()]
    if not_float:
        raise CheckpointFormatError(f"{files_of(not_float)}: weights that are not floating point: {not_float[:5]} "
                                    f"({state[not_float[0]].dtype}). Re-download the file.")
    bad = [k for k, v in model.state_dict().items() if tuple(state[k].shape) != tuple(v.shape)]
    if bad:
        shapes = "; ".join(f"{k}: checkpoint {tuple(state[k].shape)} vs model {tuple(model.state_dict()[k].shape)}"
                           for k in bad)
        raise CheckpointFormatError(f"{files_of(bad)}: shape mismatches with the model built from {configs}: "
                                    f"{shapes}. Re-download the files.")
    for prefix, path in sources.items():
        try:
            check_finite({k: v for k, v in state.items() if k.startswith(prefix)}, path, allow_nonfinite)
        except ConversionError as err:
            raise CheckpointFormatError(str(err)) from err
    model.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()}, strict=True)
    model.eval()
    out = Path(output_dir) / SPEECH_TOKENIZER_SUBFOLDER
    out.mkdir(parents=True, exist_ok=True)
    SpiritLMSpeechTokenizer.register_for_auto_class("AutoModel")
    SpiritLMSpeechTokenizerConfig.register_for_auto_class()
    model.save_pretrained(out)  # safetensors (the only format transformers 5 writes)
    (out / "conversion_report.json").write_text(
        json.dumps({"variant": variant, "dropped_keys": dropped}, indent=1), encoding="utf-8"
    )
    return out


__all__ = ["convert_speech_tokenizer", "CheckpointFormatError", "ConversionError", "hubert_config_from_fairseq", "parse_conv_feature_layers"]
