# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Shared code of the Spirit LM training recipes (``pretrain.py``, ``sft.py``, ``dpo.py``).

* :class:`SpiritLMScriptArguments`: the data arguments (TRL's ``ScriptArguments`` plus how to read or build Spirit LM
  training text), parsed with ``TrlParser((SpiritLMScriptArguments, SFTConfig | DPOConfig, ModelConfig))``.
* :func:`load_training_data`: a local ``datasets`` folder / jsonl / json / parquet / csv file (or a Hub id) of
  already-built text, or an encoded dataset (``spirit-lm encode-dataset`` output) turned into text with
  :func:`processing.interleave.build_training_texts`; a weighted mixture of such sources (``dataset_mixture``).
  Units from another speech tokenizer than the model's are refused.
* :func:`load_spirit_model` / :func:`load_spirit_tokenizer`: the Spirit LM class and the folder's own tokenizer
  (exact ids; pad token ``</s>``, else EOS, when the folder has none).
* :func:`save_hub_ready`: ``trainer.save_model(out)``, the tokenizer, ``speech_tokenizer/`` and ``vocoder/`` copied
  from the starting folder, LoRA adapters merged into the saved weights (the adapter itself kept in ``out/adapter/``),
  :func:`modeling_spirit.hub_folder.make_hub_ready`.
* :func:`push_trained`: :func:`hub_cards.push.push_spirit_lm` with a card giving the base model, datasets, licence,
  training hyper-parameters and results. The Trainer's own push is switched off (``push_to_hub`` is taken over).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

from transformers import TrainerCallback
from trl import ScriptArguments

import modeling_spirit  # noqa: F401  (registers spirit_lm with the Auto classes)
from hub_cards.push import push_spirit_lm
from modeling_spirit.constants import (
    INIT_RECORD_FILE, SPEECH_MARKER, SPEECH_TOKENIZER_SUBFOLDER, TEXT_MARKER, VARIANTS, VOCODER_SUBFOLDER,
)
from modeling_spirit.configuration_spirit_lm import SPIRIT_LM_MODEL_TYPES
from modeling_spirit.hub_folder import make_hub_ready, pickle_kind
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM
from processing.encode_units import (
    check_speech_tokenizer, load_encoded_dataset, load_speech_tokenizer, speech_tokenizer_fingerprint,
)
from processing.interleave import KINDS, build_training_texts, mix_sources

logger = logging.getLogger("spirit_lm.recipes")

ROOT = Path(__file__).resolve().parents[2]
STAGES = ("pretrain", "sft", "dpo")
FINGERPRINT_COLUMN = "speech_tokenizer"


@dataclass
class SpiritLMScriptArguments(ScriptArguments):
    """Data and output arguments of the Spirit LM recipes (on top of TRL's ``ScriptArguments``).

    ``dataset_name`` is a local ``save_to_disk`` folder, a folder of encoded shards (``spirit-lm encode-dataset``), a
    ``.jsonl``/``.json``/``.parquet``/``.csv`` file, or a Hub dataset id.

    Args:
        dataset_kind (`str`, *optional*): ``None``: the dataset already holds training text (``text``, or
            ``prompt``/``completion``, or ``prompt``/``chosen``/``rejected``). Otherwise it is an encoded dataset and
            the text is built with :func:`processing.interleave.build_training_texts` (``speech``, ``text``,
            ``interleaved``, ``asr``, ``tts``); for SFT, ``asr`` and ``tts`` become prompt/completion pairs
            (``[Speech]<units>[Text]`` → ``<transcript>``, ``[Text]<text>[Speech]`` → ``<units>``).
        dataset_variant (`str`, *optional*): ``base`` or ``expressive`` sequences (default: the model's variant).
        dataset_seed (`int`, defaults to 0): seed of the interleaving span plans.
        dataset_text_column / dataset_words_column: transcript and word-alignment columns of an encoded dataset.
        dataset_mixture (`dict`, *optional*): ``{name: {path, weight, kind, split, config}}``: sources sampled with
            weights (:func:`processing.interleave.mix_sources`, seeded by ``seed``); replaces ``dataset_name`` for
            training. Text-column stages (pretraining) only.
        eval_split_size (`float`, *optional*): hold out this fraction (or number of rows, if >= 1) of the training rows
            for evaluation when the dataset has no ``dataset_test_split``.
        max_train_samples (`int`, *optional*): keep the first N training rows (quick runs).
        final_dir (`str`, *optional*): where the Hub-ready folder is written (default ``<output_dir>/final``; the
            ``output_dir`` itself holds checkpoints, which contain pickles and are never pushed).
        base_model_id (`str`, *optional*): Hub id of the starting model, for the card's ``base_model`` (default:
            ``model_name_or_path`` when it is a Hub id).
        card_datasets (`list[str]`, *optional*): Hub dataset ids for the card (default: ``dataset_name`` and the
            mixture paths that are Hub ids).
    """

    dataset_kind: Optional[str] = field(
        default=None,
        metadata={"help": "None: the dataset already holds training text. Else build it from an encoded dataset: "
                          "speech, text, interleaved, asr or tts.", "choices": list(KINDS)},
    )
    dataset_variant: Optional[str] = field(
        default=None, metadata={"help": "base or expressive sequences (default: the model's variant).",
                                "choices": list(VARIANTS)},
    )
    dataset_seed: int = field(default=0, metadata={"help": "Seed of the interleaving span plans."})
    dataset_text_column: str = field(default="text", metadata={"help": "Transcript column of an encoded dataset."})
    dataset_words_column: str = field(default="words", metadata={"help": "Word-alignment column of an encoded dataset."})
    # Typed `str` for argparse (a JSON string on the command line); a YAML mapping arrives as a dict.
    dataset_mixture: Optional[str] = field(
        default=None,
        metadata={"help": "Weighted sources {name: {path, weight, kind, split, config}} (YAML mapping or JSON)."},
    )
    eval_split_size: Optional[float] = field(
        default=None, metadata={"help": "Fraction (< 1) or number of training rows held out for evaluation."},
    )
    max_train_samples: Optional[int] = field(default=None, metadata={"help": "Keep the first N training rows."})
    final_dir: Optional[str] = field(
        default=None, metadata={"help": "Where the Hub-ready folder is written (default <output_dir>/final)."},
    )
    base_model_id: Optional[str] = field(
        default=None, metadata={"help": "Hub id of the starting model, for the card's base_model."},
    )
    card_datasets: Optional[List[str]] = field(
        default=None, metadata={"help": "Hub dataset ids for the model card."},
    )

    def __post_init__(self):
        if isinstance(self.dataset_mixture, str):
            self.dataset_mixture = json.loads(self.dataset_mixture)


# ----------------------------------------------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------------------------------------------
def config_first(argv=None) -> List[str]:
    """``sys.argv[1:]`` (or ``argv``) with a leading ``recipe.yaml`` turned into ``--config recipe.yaml``
    (``script.py recipe.yaml --max_steps 10`` equals ``script.py --config recipe.yaml --max_steps 10``); each script
    parses the result with ``TrlParser((SpiritLMScriptArguments, SFTConfig | DPOConfig, ModelConfig))``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0].endswith((".yaml", ".yml")) and "--config" not in argv:
        argv = ["--config", argv[0], *argv[1:]]
    return argv


# ----------------------------------------------------------------------------------------------------------------
# Model and tokenizer
# ----------------------------------------------------------------------------------------------------------------
def resolve_model_folder(name_or_path: str, revision: Optional[str] = None) -> Path:
    """A local Spirit LM folder, or a Hub repository downloaded (or taken from the cache) as one."""
    if not name_or_path:
        raise ValueError("`model_name_or_path` is required: a Spirit LM folder (spirit-lm convert / init) or Hub id.")
    if os.path.isdir(name_or_path):
        folder = Path(name_or_path)
    else:
        from huggingface_hub import snapshot_download

        folder = Path(snapshot_download(name_or_path, revision=revision))
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise ValueError(f"{name_or_path} has no config.json: not a model folder.")
    model_type = json.loads(cfg_path.read_text()).get("model_type")
    if model_type not in SPIRIT_LM_MODEL_TYPES:
        raise ValueError(
            f"{name_or_path} is a {model_type!r} model, not a Spirit LM (model_type 'spirit_lm' or another of "
            f"{SPIRIT_LM_MODEL_TYPES}). Start from a Spirit LM folder: `spirit-lm convert` (Meta's checkpoints) or "
            "`spirit-lm init --text-model ...` (a Llama, Qwen2... text model)."
        )
    return folder


def load_spirit_model(folder, model_args=None, training: bool = False):
    """``SpiritLMForCausalLM.from_pretrained(folder)`` with the ``ModelConfig``'s dtype and attention.

    ``training=True`` turns the KV cache off (``config.use_cache = False``; :func:`save_hub_ready` turns it back on):
    a cache is useless in training and, with it, transformers skips the per-document mask that padding-free packing
    (``bfd_split`` / ``bfd``) needs under ``sdpa``/``eager``, letting packed documents attend to each other."""
    kwargs: Dict[str, Any] = {}
    if model_args is not None:
        if model_args.dtype:
            kwargs["dtype"] = model_args.dtype
        if model_args.attn_implementation:
            kwargs["attn_implementation"] = model_args.attn_implementation
    model = SpiritLMForCausalLM.from_pretrained(str(folder), **kwargs)
    if training:
        model.config.use_cache = False
    return model


def load_spirit_tokenizer(folder):
    """The folder's own tokenizer (exact Spirit LM ids); ``</s>`` (else the EOS token) becomes the pad token when there
    is none."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(folder))
    if tok.pad_token is None:
        pad = "</s>" if "</s>" in tok.get_vocab() else tok.eos_token
        if pad is None:
            raise ValueError(f"The tokenizer of {folder} has no pad token, no '</s>' and no EOS token to pad with.")
        tok.pad_token = pad
    return tok


def model_variant(folder) -> str:
    return json.loads((Path(folder) / "config.json").read_text()).get("variant", "base")


# ----------------------------------------------------------------------------------------------------------------
# Data
# ----------------------------------------------------------------------------------------------------------------
_FILE_BUILDERS = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}


def load_any(path: str, config: Optional[str] = None, streaming: bool = False):
    """A ``Dataset`` or ``DatasetDict`` from a ``save_to_disk`` folder, an encoded-shards folder, a data file, a
    folder of data files, or a Hub id."""
    from datasets import load_dataset, load_from_disk

    p = Path(path)
    if p.is_dir():
        if (p / "dataset_dict.json").is_file() or (p / "state.json").is_file():
            return load_from_disk(str(p))
        if any(c.name.startswith("shard-") for c in p.iterdir()):
            return load_encoded_dataset(str(p))
        return load_dataset(str(p), name=config, streaming=streaming)
    if p.is_file():
        builder = _FILE_BUILDERS.get(p.suffix.lower())
        if builder is None:
            raise ValueError(f"Don't know how to read {path}: give a .jsonl/.json/.parquet/.csv file or a folder.")
        return load_dataset(builder, data_files=str(p))
    if path.startswith((".", "/")) or "/" in path.rstrip("/").split("/", 1)[-1] or p.suffix.lower() in _FILE_BUILDERS:
        raise FileNotFoundError(f"Dataset {path} does not exist.")
    return load_dataset(path, name=config, streaming=streaming)


def _split(ds, split: str, required: bool):
    from datasets import DatasetDict, IterableDatasetDict

    if isinstance(ds, (DatasetDict, IterableDatasetDict)):
        if split in ds:
            return ds[split]
        if required:
            raise ValueError(f"The dataset has splits {sorted(ds)}, not {split!r} (set dataset_train_split).")
        return None
    return ds if required else None


def split_prompt_completion(text: str, kind: str) -> Tuple[str, str]:
    """``[Speech]<units>[Text]`` + ``<transcript>`` (asr) or ``[Text]<text>[Speech]`` + ``<units>`` (tts)."""
    if kind == "asr":
        i = text.index(TEXT_MARKER) + len(TEXT_MARKER)  # unit strings hold no [Text]
    elif kind == "tts":
        i = text.rindex(SPEECH_MARKER) + len(SPEECH_MARKER)  # unit strings hold no [Speech]
    else:
        raise ValueError(f"Only asr and tts sequences split into prompt/completion; got {kind!r}.")
    return text[:i], text[i:]


class SpeechTokenizerCheck:
    """Refuses units made by another speech tokenizer than the model folder's (fingerprint computed once)."""

    def __init__(self, model_folder):
        self.model_folder = Path(model_folder)
        self._fingerprint = None

    @property
    def fingerprint(self) -> str:
        if self._fingerprint is None:
            sub = self.model_folder / SPEECH_TOKENIZER_SUBFOLDER
            if not (sub / "config.json").is_file():
                raise ValueError(
                    f"The dataset holds speech units, but the model folder {self.model_folder} has no speech_tokenizer/ "
                    "to check them against. Use a complete Spirit LM folder (spirit-lm convert / init "
                    "--speech-components)."
                )
            self._fingerprint = speech_tokenizer_fingerprint(load_speech_tokenizer(str(sub)))["fingerprint"]
        return self._fingerprint

    def __call__(self, ds, name: str) -> None:
        if FINGERPRINT_COLUMN in ds.column_names:
            try:
                check_speech_tokenizer(ds, self.fingerprint)
            except ValueError as err:
                raise ValueError(f"Dataset {name}: {err}") from None


def prepare_source(ds, name: str, kind: Optional[str], stage: str, args: SpiritLMScriptArguments, variant: str,
                   check: SpeechTokenizerCheck):
    """Check the units' speech tokenizer, build text from encoded rows if ``kind``, keep the stage's columns."""
    check(ds, name)
    if kind is not None:
        if kind not in KINDS:
            raise ValueError(f"Dataset {name}: kind {kind!r} is not one of {KINDS}.")
        if stage == "dpo":
            raise ValueError("DPO needs preference pairs (prompt/chosen/rejected columns); it cannot build them from "
                             "an encoded dataset. Leave dataset_kind unset.")
        if kind != "text" and FINGERPRINT_COLUMN not in ds.column_names:
            raise ValueError(f"Dataset {name} has no {FINGERPRINT_COLUMN!r} column: it was not made by `spirit-lm "
                             "encode-dataset`, so its units cannot be checked against the model's speech tokenizer.")
        built, report = build_training_texts(
            ds, kind, args.dataset_variant or variant, args.dataset_seed, text_column=args.dataset_text_column,
            words_column=args.dataset_words_column, return_report=True,
        )
        logger.info("%s: %d %s sequences from %d rows (skipped %s)", name, report["num_sequences"], kind,
                    report["num_rows"], report["skipped_by_reason"] or 0)
        if stage == "sft" and kind in ("asr", "tts"):
            built = built.map(lambda row: dict(zip(("prompt", "completion"), split_prompt_completion(row["text"], kind))),
                              remove_columns=["text"], desc=f"Splitting {kind} prompt/completion")
        ds = built
    cols = set(ds.column_names)
    if stage == "dpo":
        need = ["prompt", "chosen", "rejected"]
    elif stage == "sft" and {"prompt", "completion"} <= cols:
        need = ["prompt", "completion"]
    else:
        need = ["text"]
    missing = [c for c in need if c not in cols]
    if missing:
        hint = {"dpo": "preference pairs: prompt, chosen, rejected",
                "sft": "text, or prompt and completion (or set dataset_kind to build them from an encoded dataset)",
                "pretrain": "text (or set dataset_kind to build it from an encoded dataset)"}[stage]
        raise ValueError(f"Dataset {name} has columns {sorted(cols)}; {stage} needs {hint}.")
    return ds.select_columns(need)


def load_training_data(args: SpiritLMScriptArguments, stage: str, model_folder, seed: int = 0):
    """``(train, eval_or_None, dataset_names)`` for ``stage`` (see :class:`SpiritLMScriptArguments`)."""
    variant = model_variant(model_folder)
    check = SpeechTokenizerCheck(model_folder)
    names: List[str] = []
    eval_ds = None
    if args.dataset_mixture:
        if stage != "pretrain":
            raise ValueError("dataset_mixture mixes text-column sources (pretraining); for SFT/DPO give dataset_name.")
        sources, weights = {}, {}
        for name, spec in dict(args.dataset_mixture).items():
            if isinstance(spec, str):
                spec = {"path": spec}
            if "path" not in spec:
                raise ValueError(f"dataset_mixture[{name!r}] needs a 'path'; got {spec!r}.")
            raw = _split(load_any(spec["path"], spec.get("config")), spec.get("split", "train"), required=True)
            sources[name] = prepare_source(raw, f"{name} ({spec['path']})", spec.get("kind"), stage, args, variant, check)
            weights[name] = float(spec.get("weight", 1.0))
            names.append(spec["path"])
        train = mix_sources(sources, weights, seed=seed, source_column=None)
    elif args.dataset_name:
        raw = load_any(args.dataset_name, args.dataset_config, args.dataset_streaming)
        train = prepare_source(_split(raw, args.dataset_train_split, True), args.dataset_name, args.dataset_kind,
                               stage, args, variant, check)
        test = _split(raw, args.dataset_test_split, False)
        if test is not None:
            eval_ds = prepare_source(test, f"{args.dataset_name}[{args.dataset_test_split}]", args.dataset_kind,
                                     stage, args, variant, check)
        names.append(args.dataset_name)
    else:
        raise ValueError("Give dataset_name (a folder, a data file or a Hub id) or dataset_mixture.")
    if args.eval_split_size and eval_ds is None:
        size = args.eval_split_size
        size = int(size) if size >= 1 else size
        parts = train.train_test_split(test_size=size, seed=seed)
        train, eval_ds = parts["train"], parts["test"]
    if args.max_train_samples is not None:
        train = train.select(range(min(args.max_train_samples, len(train))))
    return train, eval_ds, names


# ----------------------------------------------------------------------------------------------------------------
# Saving, card, push
# ----------------------------------------------------------------------------------------------------------------
def _value(v):
    v = getattr(v, "value", v)
    if isinstance(v, (list, tuple)):
        return ", ".join(str(x) for x in v)
    return v


def training_hyperparameters(training_args, model_args, stage: str) -> Dict[str, Any]:
    """The hyper-parameters shown on the card (from the parsed config)."""
    world = max(1, int(getattr(training_args, "world_size", 1) or 1))
    h: Dict[str, Any] = {
        "stage": stage,
        "learning_rate": training_args.learning_rate,
        "lr_scheduler_type": _value(training_args.lr_scheduler_type),
        "warmup_steps": training_args.warmup_steps,
        "per_device_train_batch_size": training_args.per_device_train_batch_size,
        "gradient_accumulation_steps": training_args.gradient_accumulation_steps,
        "num_processes": world,
        "total_train_batch_size": training_args.per_device_train_batch_size
        * training_args.gradient_accumulation_steps * world,
        "optimizer": _value(training_args.optim),
        "weight_decay": training_args.weight_decay,
        "max_grad_norm": training_args.max_grad_norm,
        "seed": training_args.seed,
        "precision": "bf16" if training_args.bf16 else ("fp16" if training_args.fp16 else "fp32"),
        "max_length": getattr(training_args, "max_length", None),
    }
    if training_args.max_steps and training_args.max_steps > 0:
        h["max_steps"] = training_args.max_steps
    else:
        h["num_train_epochs"] = training_args.num_train_epochs
    if stage in ("pretrain", "sft"):
        h["packing"] = training_args.packing
        if training_args.packing:
            h["packing_strategy"] = training_args.packing_strategy
        h["completion_only_loss"] = training_args.completion_only_loss
    if stage == "dpo":
        h["beta"] = training_args.beta
        h["loss_type"] = _value(training_args.loss_type)
    if model_args is not None and model_args.use_peft:
        h.update(peft="LoRA", lora_r=model_args.lora_r, lora_alpha=model_args.lora_alpha,
                 lora_dropout=model_args.lora_dropout, lora_target_modules=_value(model_args.lora_target_modules))
    return {k: _value(v) for k, v in h.items() if v is not None}


def _is_hub_id(name: Optional[str]) -> bool:
    if not name or os.path.exists(name) or name.startswith((".", "/", "~")):
        return False
    from huggingface_hub.utils import HFValidationError, validate_repo_id

    try:
        validate_repo_id(name)
    except HFValidationError:
        return False
    return name.count("/") == 1


TOKENIZER_FILES = ("tokenizer.model", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                   "added_tokens.json")
_PROBE = "[Text]the cat sat[Speech][Hu12][Hu7][Hu99][Text] on the mat.</s>"


def copy_tokenizer(model_folder, final, tokenizer) -> None:
    """The starting folder's tokenizer files, verbatim (exact ids), with the pad token written in when it had none;
    checked by loading it back."""
    from transformers import AutoTokenizer

    final = Path(final)
    for name in TOKENIZER_FILES:
        if (Path(model_folder) / name).is_file():
            shutil.copyfile(Path(model_folder) / name, final / name)
    for name in ("tokenizer_config.json", "special_tokens_map.json"):
        path = final / name
        if path.is_file() and tokenizer.pad_token is not None:
            data = json.loads(path.read_text())
            if data.get("pad_token") is None:
                data["pad_token"] = tokenizer.pad_token
                path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    saved = AutoTokenizer.from_pretrained(str(final))
    if saved(_PROBE).input_ids != tokenizer(_PROBE).input_ids or saved.pad_token_id != tokenizer.pad_token_id:
        raise RuntimeError(f"The tokenizer saved in {final} does not give the starting tokenizer's ids.")


def save_hub_ready(trainer, tokenizer, model_folder, final_dir, model_args=None, summary=None) -> Path:
    """Save the trained model as a Hub-ready Spirit LM folder at ``final_dir`` (every process must call this).

    ``trainer.save_model`` (gathers sharded weights under FSDP/ZeRO-3), then on the main process: the tokenizer;
    ``speech_tokenizer/`` and ``vocoder/`` copied from the starting folder; with LoRA, the adapter moved to
    ``final_dir/adapter/`` and merged into the starting weights, which are saved as the folder's model; the Trainer's
    pickled ``training_args.bin`` replaced by ``training_args.json``; ``make_hub_ready``; ``spirit_lm_training.json``.
    """
    final = Path(final_dir)
    acc = trainer.accelerator
    try:
        from peft import PeftModel

        is_peft = isinstance(trainer.model, PeftModel)
    except ImportError:  # pragma: no cover
        PeftModel, is_peft = None, False
    unwrapped = acc.unwrap_model(trainer.model)
    base = unwrapped.get_base_model() if is_peft else unwrapped
    base.config.use_cache = True  # training turns the cache off; generation wants it back
    trainer.save_model(str(final))
    acc.wait_for_everyone()
    if acc.is_main_process:
        args_bin = final / "training_args.bin"
        if args_bin.exists():
            args_bin.unlink()
        (final / "training_args.json").write_text(trainer.args.to_json_string())
        if is_peft:
            adapter = final / "adapter"
            adapter.mkdir(exist_ok=True)
            for name in ("adapter_config.json", "adapter_model.safetensors", "README.md"):
                if (final / name).exists():
                    shutil.move(str(final / name), str(adapter / name))
            merged = PeftModel.from_pretrained(load_spirit_model(model_folder, model_args), str(adapter))
            merged = merged.merge_and_unload()
            merged.config.pad_token_id = tokenizer.pad_token_id
            merged.generation_config.pad_token_id = tokenizer.pad_token_id
            merged.config.use_cache = True
            merged.save_pretrained(str(final))
        copy_tokenizer(model_folder, final, tokenizer)
        if (Path(model_folder) / INIT_RECORD_FILE).is_file():  # where the weights started (base text model, its licence)
            shutil.copyfile(Path(model_folder) / INIT_RECORD_FILE, final / INIT_RECORD_FILE)
        for sub in (SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER):
            src = Path(model_folder) / sub
            if src.is_dir():
                shutil.copytree(src, final / sub, dirs_exist_ok=True)
            else:
                logger.warning("%s has no %s/: the saved folder cannot %s.", model_folder, sub,
                               "read speech" if sub == SPEECH_TOKENIZER_SUBFOLDER else "speak")
        for p in [p for p in final.rglob("*") if p.is_file() and pickle_kind(p)]:
            p.unlink()  # trainer state (training_args.bin, optimizer.pt, ...): judged by content, not by name
        speech_parts = all((final / sub).is_dir() for sub in (SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER))
        make_hub_ready(final, require_speech_components=speech_parts)
        if summary is not None:
            (final / "spirit_lm_training.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    acc.wait_for_everyone()
    return final


def card_inputs(stage, script_args, training_args, model_args, dataset_names, metrics, eval_dataset_name=None):
    """``(card_data, card_vars)`` for :func:`hub_cards.push.push_spirit_lm`."""
    base = script_args.base_model_id or (model_args.model_name_or_path
                                         if _is_hub_id(model_args.model_name_or_path) else None)
    datasets = list(script_args.card_datasets or [d for d in dataset_names if _is_hub_id(d)])
    data: Dict[str, Any] = {"tags": ["trl", stage, *(["lora"] if model_args.use_peft else [])]}
    if base:
        data["base_model"] = base
    if datasets:
        data["datasets"] = datasets
    eval_loss = (metrics or {}).get("eval_loss")
    if eval_loss is not None:
        name = eval_dataset_name or (datasets[0] if datasets else "held-out split")
        data["eval_results"] = [{
            "task_type": "text-generation", "dataset_type": name if _is_hub_id(name) else "local",
            "dataset_name": name, "dataset_split": script_args.dataset_test_split, "metric_type": "loss",
            "metric_name": "eval loss", "metric_value": round(float(eval_loss), 4),
        }]
    what = {"pretrain": "continued pretraining on interleaved speech/text", "sft": "supervised fine-tuning",
            "dpo": "direct preference optimisation"}[stage]
    variables = {
        "description": f"A Spirit LM trained by the Spirit LM Hub-native recipes ({what}, TRL"
                       f"{' + LoRA, merged' if model_args.use_peft else ''}).",
        "training_hyperparameters": training_hyperparameters(training_args, model_args, stage),
    }
    return data, variables


def push_trained(final_dir, stage, script_args, training_args, model_args, dataset_names, metrics):
    """Push the Hub-ready folder with a rendered card (main process only). Returns the ``CommitInfo``."""
    from huggingface_hub import HfApi

    repo_id = training_args.hub_model_id or Path(training_args.output_dir).name
    if "/" not in repo_id:
        repo_id = f"{HfApi(token=training_args.hub_token).whoami()['name']}/{repo_id}"
    card_data, card_vars = card_inputs(stage, script_args, training_args, model_args, dataset_names, metrics)
    info = push_spirit_lm(final_dir, repo_id, revision=training_args.hub_revision,
                          private=training_args.hub_private_repo, card_data=card_data, card_vars=card_vars,
                          token=training_args.hub_token,
                          commit_message=f"Spirit LM {stage} (TRL recipe)")
    logger.info("Pushed %s to https://huggingface.co/%s (commit %s)", final_dir, repo_id, info.oid)
    return info


def setup_logging(training_args) -> None:
    import datasets
    import transformers

    logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s", level=logging.INFO,
                        handlers=[logging.StreamHandler(sys.stdout)])
    level = training_args.get_process_log_level()
    logger.setLevel(level)
    datasets.utils.logging.set_verbosity(level)
    transformers.utils.logging.set_verbosity(level)


# ----------------------------------------------------------------------------------------------------------------
# The runs
# ----------------------------------------------------------------------------------------------------------------
class TrainingDivergedError(RuntimeError):
    """The weights hold NaN or infinite values: the run diverged (raised by :class:`DivergenceGuard`)."""


class DivergenceGuard(TrainerCallback):
    """Stops a run with :class:`TrainingDivergedError` as soon as the weights hold NaN or inf, instead of training on
    (the Trainer's ``logging_nan_inf_filter`` hides a NaN loss behind the previous average, so the log shows loss 0
    and ``grad_norm`` nan while every later step is garbage). The weights are checked after the optimizer step of
    every step that logs or saves, and of the last step, before the Trainer logs or saves: a diverged state is never
    written as a checkpoint or as the final folder. One pass over the weights at those steps only."""

    def __init__(self):
        self.last_finite_step = 0

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if model is None or not (control.should_log or control.should_save or state.global_step >= state.max_steps):
            return control
        import torch

        with torch.no_grad():
            bad = next((n for n, p in model.named_parameters() if not bool(torch.isfinite(p).all())), None)
        if bad is not None:
            last = [h for h in state.log_history if "loss" in h]
            raise TrainingDivergedError(
                f"Training diverged: after step {state.global_step} the weight {bad!r} holds NaN or inf (the last "
                f"check, after step {self.last_finite_step}, was finite; learning rate {args.learning_rate}, warm-up "
                f"{args.warmup_steps} steps, bf16={args.bf16}, fp16={args.fp16}"
                + (f"; last logged loss {last[-1]['loss']}" if last else "") + "). Nothing was saved from the "
                "diverged weights. Lower learning_rate, raise warmup_steps, keep max_grad_norm > 0 or train in "
                f"float32 (bf16: false), then start again or resume from a checkpoint in {args.output_dir} "
                "(resume_from_checkpoint).")
        self.last_finite_step = state.global_step
        return control


def run(stage: str, script_args: SpiritLMScriptArguments, training_args, model_args) -> Dict[str, Any]:
    """Train ``stage`` (``pretrain``/``sft`` with ``SFTTrainer``, ``dpo`` with ``DPOTrainer``), save the Hub-ready
    folder, push it if ``push_to_hub``. Returns ``{"final_dir", "metrics", "log_history", "commit", "trainer"}``."""
    from trl import get_peft_config

    if stage not in STAGES:
        raise ValueError(f"stage {stage!r}; allowed {STAGES}.")
    setup_logging(training_args)
    folder = resolve_model_folder(model_args.model_name_or_path, model_args.model_revision)
    push = bool(training_args.push_to_hub)
    training_args.push_to_hub = False  # the recipe pushes the Hub-ready folder itself (push_spirit_lm, one commit)
    if stage == "pretrain":
        if not training_args.packing:
            logger.warning("Continued pretraining without packing: every sequence is padded (see bench_training.py).")
        if training_args.completion_only_loss:
            raise ValueError("Pretraining trains on every token; unset completion_only_loss.")

    tokenizer = load_spirit_tokenizer(folder)
    with training_args.main_process_first(desc="preparing the training text"):
        train, eval_ds, dataset_names = load_training_data(script_args, stage, folder, seed=training_args.seed)
    if training_args.eval_strategy != "no" and eval_ds is None:
        raise ValueError("eval_strategy is set but there is no evaluation data: give a dataset with a "
                         f"{script_args.dataset_test_split!r} split or set eval_split_size.")
    model = load_spirit_model(folder, model_args, training=True)
    peft_config = get_peft_config(model_args)
    if stage == "dpo":
        from trl import DPOTrainer

        ref = None
        if peft_config is None and not training_args.precompute_ref_log_probs:
            ref = load_spirit_model(folder, model_args, training=True)
        trainer = DPOTrainer(model=model, ref_model=ref, args=training_args, train_dataset=train, eval_dataset=eval_ds,
                             processing_class=tokenizer, peft_config=peft_config)
    else:
        from trl import SFTTrainer

        trainer = SFTTrainer(model=model, args=training_args, train_dataset=train, eval_dataset=eval_ds,
                             processing_class=tokenizer, peft_config=peft_config)

    trainer.add_callback(DivergenceGuard())
    result = trainer.train(resume_from_checkpoint=training_args.resume_from_checkpoint)
    metrics = dict(result.metrics)
    trainer.log_metrics("train", metrics)
    trainer.save_metrics("train", metrics)
    if eval_ds is not None:
        eval_metrics = trainer.evaluate()
        trainer.log_metrics("eval", eval_metrics)
        trainer.save_metrics("eval", eval_metrics)
        metrics.update(eval_metrics)
    trainer.save_state()

    final_dir = script_args.final_dir or os.path.join(training_args.output_dir, "final")
    summary = {
        "stage": stage,
        "start_model": model_args.model_name_or_path,
        "datasets": dataset_names,
        "training_hyperparameters": training_hyperparameters(training_args, model_args, stage),
        "metrics": metrics,
        "lora_adapter": "adapter/ (merged into model.safetensors)" if peft_config is not None else None,
    }
    save_hub_ready(trainer, tokenizer, folder, final_dir, model_args, summary)
    commit = None
    if push and trainer.accelerator.is_main_process:
        commit = push_trained(final_dir, stage, script_args, training_args, model_args, dataset_names, metrics)
    trainer.accelerator.wait_for_everyone()
    out = {"final_dir": final_dir, "metrics": metrics, "log_history": list(trainer.state.log_history),
           "commit": commit, "trainer": trainer}
    training_args.push_to_hub = push
    if hasattr(trainer, "end"):
        trainer.end()
    return out
