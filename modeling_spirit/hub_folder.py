# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Make a saved Spirit LM folder Hub-ready: remote code for every class, the processor, and the custom pipeline.

After :func:`make_hub_ready`, in a fresh process with no network and this package *not* installed,

```python
pipe = pipeline("spirit-lm", model=folder_or_repo_id, trust_remote_code=True)
```

works in every direction (the folder's ``speech_tokenizer/`` and ``vocoder/`` carry their own code). With the package
installed, after ``import modeling_spirit``, the same works without ``trust_remote_code``.
"""

import json
import os
import pickletools
import shutil
import struct
from pathlib import Path
from typing import Iterable, List, Optional, Union

from transformers import AutoTokenizer

from .constants import SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER
from .configuration_spirit_hifigan import SpiritLMHifiGanConfig
from .configuration_spirit_lm import SPIRIT_LM_MODEL_TYPES, SpiritLMConfig, spirit_lm_config_class
from .configuration_spirit_speech_tokenizer import SpiritLMSpeechTokenizerConfig
from .feature_extraction_spirit_lm import SpiritLMFeatureExtractor
from .processing_spirit_lm import SpiritLMProcessor
from .modeling_spirit_lm import SPIRIT_LM_MODEL_CLASSES
from .modeling_spirit_multimodal_lm import SPIRIT_LM_MULTIMODAL_CLASSES
from .tokenization_spirit_lm import SpiritLMTokenizerFast, _write_tokenizer_auto_map, is_sentencepiece_tokenizer_folder

PIPELINE_TASK = "spirit-lm"
CUSTOM_PIPELINE = {
    PIPELINE_TASK: {
        "impl": "pipeline_spirit_lm.SpiritLMPipeline",
        "pt": ["AutoModelForCausalLM"],
        "tf": [],
        "type": "multimodal",
    }
}
# The modules whose relative-import closure must sit at the folder root.
_ROOT_MODULES = ("pipeline_spirit_lm.py", "processing_spirit_lm.py", "tokenization_spirit_lm.py",
                 "feature_extraction_spirit_lm.py", "modeling_spirit_lm.py", "configuration_spirit_lm.py",
                 "modeling_spirit_multimodal_lm.py", "streamer_spirit_lm.py", "compat.py")


def remote_code_files() -> List[Path]:
    """The package files the root of a Spirit LM folder needs (the closure of their relative imports)."""
    from transformers.dynamic_module_utils import get_relative_import_files

    here = Path(__file__).resolve().parent
    files = set()
    for name in _ROOT_MODULES:
        path = here / name
        files.add(path)
        files.update(Path(p).resolve() for p in get_relative_import_files(str(path)))
    return sorted(files)


class SpiritFolderError(ValueError):
    """A folder is not a complete, safe Spirit LM folder (pickles, missing or truncated parts, mixed variants)."""


# ---------------------------------------------------------------------------------------------------------------
# Pickles, by content (names lie: `.pth.tar`, `.pkl.gz`, `.PT`, `weights.data` are all pickles or archives of them)
# ---------------------------------------------------------------------------------------------------------------
_ARCHIVE_MAGICS = (
    (b"PK\x03\x04", "a zip archive (torch.save's format)"),
    (b"PK\x05\x06", "a zip archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed data"),
)
_PICKLE_SAMPLE = 1 << 16
# Opcodes that import or call something: what makes loading a pickle run code.
_CODE_OPCODES = {"GLOBAL", "STACK_GLOBAL", "INST", "OBJ", "NEWOBJ", "NEWOBJ_EX", "REDUCE", "BUILD", "EXT1", "EXT2",
                 "EXT4", "PERSID", "BINPERSID"}


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 10:
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 8 + n <= size and head[8:9] == b"{"


def pickle_kind(path: Union[str, os.PathLike]) -> Optional[str]:
    """What makes ``path`` unsafe to load, judged by its content, or ``None``.

    Refused: pickles of any protocol (protocol 2+ open with ``\\x80`` and the protocol byte; protocols 0 and 1 are
    recognised by parsing their opcodes, never by running them), zip archives (``torch.save`` writes a zip holding a
    pickle), and gzip/bzip2/xz/zstd data (a compressed pickle). Safetensors, JSON, text, SentencePiece models and audio
    are not flagged.
    """
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(_PICKLE_SAMPLE)
    if _is_safetensors(head, size):
        return None
    for magic, what in _ARCHIVE_MAGICS:
        if head.startswith(magic):
            return what
    if not head:
        return None
    protocol = head[1] if head[:1] == b"\x80" and len(head) > 1 and 2 <= head[1] <= 5 else None
    what = f"a pickle (protocol {protocol})" if protocol else "a pickle (protocol 0/1)"
    ops, runs_code = 0, False
    try:
        for opcode, _arg, _pos in pickletools.genops(head):
            ops += 1
            runs_code = runs_code or opcode.name in _CODE_OPCODES
            if opcode.name == "STOP":
                # A lone "." (a text file starting with a dot) pickles nothing; header-less data must look like more
                # than a couple of stray opcodes.
                return what if protocol or runs_code or ops >= 3 else None
    except ValueError as err:
        if "unknown" in str(err) or "invalid literal" in str(err):
            return None  # not pickle opcodes
        # The data ran out: a pickle cut by the sample (the file goes on), or a truncated pickle file.
        return what if protocol or runs_code or ops >= 8 else None
    except Exception:  # noqa: BLE001 - any other parse failure: not a pickle
        return None
    return what if protocol else None


def _walk(folder: Path) -> List[str]:
    """Relative POSIX paths of the folder's files, without hidden folders/files and ``__pycache__``."""
    out = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder)
        if p.is_file() and not any(part.startswith(".") or part == "__pycache__" for part in rel.parts):
            out.append(rel.as_posix())
    return out


def find_pickled_files(folder: Union[str, os.PathLike], names: Optional[Iterable[str]] = None) -> List[str]:
    """``"relative/path (what it is)"`` for each file of ``folder`` (or of ``names``, relative paths) that
    :func:`pickle_kind` flags. The one check used by :func:`make_hub_ready`, ``hub_cards.push`` and the converter."""
    folder = Path(folder)
    found = []
    for name in (_walk(folder) if names is None else names):
        kind = pickle_kind(folder / name)
        if kind:
            found.append(f"{name} ({kind})")
    return found


def check_no_pickles(folder: Union[str, os.PathLike], names: Optional[Iterable[str]] = None) -> None:
    """Raise :class:`SpiritFolderError` naming the files :func:`find_pickled_files` finds (none: return)."""
    pickles = find_pickled_files(folder, names)
    if pickles:
        raise SpiritFolderError(
            f"{folder} holds pickle files, which run code when loaded: {', '.join(pickles[:5])}"
            f"{' ...' if len(pickles) > 5 else ''}. Spirit LM folders are safetensors only: convert them "
            "(`spirit-lm convert`) or remove them."
        )


# ---------------------------------------------------------------------------------------------------------------
# Completeness: the LM, its tokenizer, and the speech tokenizer and vocoder its layout needs, whole and matching
# ---------------------------------------------------------------------------------------------------------------
def check_safetensors_file(path: Union[str, os.PathLike]) -> None:
    """Raise :class:`SpiritFolderError` unless ``path`` is a whole safetensors file (header readable, every tensor's
    bytes present): a truncated download or an interrupted write is caught here, not by a loader deep inside."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(8)
        n = struct.unpack("<Q", head)[0] if len(head) == 8 else None
        header = f.read(n) if n is not None and 8 + n <= size else b""
    try:
        meta = json.loads(header.decode("utf-8")) if header else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        meta = None
    if not isinstance(meta, dict):
        raise SpiritFolderError(f"{path} is not a readable safetensors file ({size} bytes; its header is missing or "
                                "damaged): re-save or re-download it.")
    try:
        end = max((int(t["data_offsets"][1]) for k, t in meta.items() if k != "__metadata__" and isinstance(t, dict)
                   and "data_offsets" in t), default=0)
    except (TypeError, ValueError, IndexError, KeyError) as err:
        raise SpiritFolderError(f"{path} has a damaged safetensors header ({err}): re-save or re-download it.") from err
    if 8 + n + end > size:
        raise SpiritFolderError(f"{path} is truncated: its header describes {8 + n + end} bytes but the file has {size}. "
                                "Re-save or re-download it.")


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SpiritFolderError(f"{path} is not valid JSON ({err}): re-save the folder.") from err
    if not isinstance(data, dict):
        raise SpiritFolderError(f"{path} holds a JSON {type(data).__name__}, not an object: re-save the folder.")
    return data


def _check_weights(folder: Path, what: str) -> None:
    index = folder / "model.safetensors.index.json"
    if (folder / "model.safetensors").is_file():
        check_safetensors_file(folder / "model.safetensors")
    elif index.is_file():
        shards = sorted(set((_read_json(index).get("weight_map") or {}).values()))
        missing = [s for s in shards if not (folder / s).is_file()]
        if not shards or missing:
            raise SpiritFolderError(f"{index} lists weight shards that the folder lacks: {missing or 'none listed'}.")
        for shard in shards:
            check_safetensors_file(folder / shard)
    else:
        raise SpiritFolderError(f"{folder} has no model*.safetensors: the {what} weights are missing.")


def check_spirit_folder(folder: Union[str, os.PathLike], require_speech_components: bool = True) -> None:
    """Raise :class:`SpiritFolderError` unless ``folder`` is a complete Spirit LM folder.

    Complete means: ``config.json`` of a Spirit LM ``model_type`` (``spirit_lm``, ``spirit_lm_qwen2``, ...); whole safetensors weights (a single file or every
    shard of the index); ``tokenizer.model`` or ``tokenizer.json``; and, since every Spirit LM layout has speech units,
    ``speech_tokenizer/`` and ``vocoder/`` with their configs and whole weights, matching the LM: the speech tokenizer
    of the LM's variant making the LM's number of HuBERT units, a vocoder embedding all of them, with pitch and style
    inputs exactly when the LM is expressive (an expressive vocoder beside a base LM would speak silence).
    ``require_speech_components=False`` accepts a text-only folder (no ``speech_tokenizer/`` and no ``vocoder/``);
    parts that are there are still checked.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise SpiritFolderError(f"{folder} is not a folder. Give a Spirit LM folder (e.g. the converter's output).")
    cfg_path = folder / "config.json"
    if not cfg_path.is_file():
        raise SpiritFolderError(f"{folder} has no config.json: not a Spirit LM folder (convert or save_pretrained one "
                                "first).")
    raw = _read_json(cfg_path)
    if raw.get("model_type") not in SPIRIT_LM_MODEL_TYPES:
        raise SpiritFolderError(f"{cfg_path} has model_type {raw.get('model_type')!r}, not 'spirit_lm' or another Spirit "
                                f"LM model type {SPIRIT_LM_MODEL_TYPES}: this is not a Spirit LM folder.")
    _check_weights(folder, "language-model")
    if not ((folder / "tokenizer.model").is_file() or (folder / "tokenizer.json").is_file()):
        raise SpiritFolderError(f"{folder} has neither tokenizer.model nor tokenizer.json: the tokenizer is missing.")
    try:
        lm = SpiritLMConfig.from_pretrained(str(folder))
    except (ValueError, TypeError, OSError) as err:
        raise SpiritFolderError(f"{cfg_path} is not a valid Spirit LM config: {err}") from err
    parts = {SPEECH_TOKENIZER_SUBFOLDER: folder / SPEECH_TOKENIZER_SUBFOLDER, VOCODER_SUBFOLDER: folder / VOCODER_SUBFOLDER}
    absent = [name for name, sub in parts.items() if not sub.exists()]
    if absent and (require_speech_components or len(absent) < len(parts)):
        raise SpiritFolderError(
            f"{folder} has no {' and no '.join(n + '/' for n in absent)}: its {lm.variant} layout reads and writes "
            f"speech units, so the folder needs the speech tokenizer (speech_tokenizer/) and the vocoder (vocoder/) "
            "beside the language model, or speech input/output would silently do nothing. Copy them in from the model "
            "the LM was trained with (or convert again)"
            + ("." if len(absent) < len(parts) else "; a deliberately text-only folder: require_speech_components=False.")
        )
    if absent:
        return
    for name, sub in parts.items():
        if not (sub / "config.json").is_file():
            raise SpiritFolderError(f"{sub} has no config.json: the {name} is incomplete.")
        _read_json(sub / "config.json")
        _check_weights(sub, name)
    try:
        st = SpiritLMSpeechTokenizerConfig.from_pretrained(str(parts[SPEECH_TOKENIZER_SUBFOLDER]))
        voc = SpiritLMHifiGanConfig.from_pretrained(str(parts[VOCODER_SUBFOLDER]))
    except (ValueError, TypeError, OSError) as err:
        raise SpiritFolderError(f"{folder}: a speech component's config.json is not valid: {err}") from err
    if st.variant != lm.variant:
        raise SpiritFolderError(
            f"{parts[SPEECH_TOKENIZER_SUBFOLDER]} is a {st.variant} speech tokenizer but the language model in {folder} "
            f"is {lm.variant}: the parts come from different models. Convert or copy matching parts."
        )
    if st.quantizer_vocab_size + 1 != lm.num_hubert_units:
        raise SpiritFolderError(
            f"{parts[SPEECH_TOKENIZER_SUBFOLDER]} makes {st.quantizer_vocab_size + 1} HuBERT units (with the blank) but "
            f"the language model in {folder} has {lm.num_hubert_units}: the parts come from different models."
        )
    voc_expressive = bool(voc.num_f0_tokens) or bool(voc.num_style_tokens)
    if voc_expressive != lm.is_expressive or voc.num_embeddings < lm.num_hubert_units:
        raise SpiritFolderError(
            f"{parts[VOCODER_SUBFOLDER]} is a{'n expressive' if voc_expressive else ' base'} vocoder of "
            f"{voc.num_embeddings} HuBERT units, but the language model in {folder} is {lm.variant} with "
            f"{lm.num_hubert_units} units: the parts come from different models. Convert or copy a matching vocoder."
        )


def make_hub_ready(folder, require_speech_components: bool = True) -> Path:
    """Copy the remote code, write the processor and register the custom pipeline in ``folder/config.json``.

    The folder is checked first (:func:`check_spirit_folder`, :func:`check_no_pickles`) and left untouched when it
    is incomplete or holds pickles (:class:`SpiritFolderError`).
    """
    folder = Path(folder)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{folder} has no config.json: save the Spirit LM there first.")
    check_spirit_folder(folder, require_speech_components=require_speech_components)
    check_no_pickles(folder)
    for path in remote_code_files():
        shutil.copyfile(path, folder / path.name)

    SpiritLMProcessor.register_for_auto_class("AutoProcessor")
    SpiritLMFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")
    sentencepiece = is_sentencepiece_tokenizer_folder(str(folder))
    # A BPE Spirit LM tokenizer is the base model's own tokenizer class (loads without remote code).
    tokenizer = (SpiritLMTokenizerFast if sentencepiece else AutoTokenizer).from_pretrained(str(folder))
    processor = SpiritLMProcessor(SpiritLMFeatureExtractor(), tokenizer)
    processor.save_pretrained(str(folder))
    if sentencepiece:
        _write_tokenizer_auto_map(str(folder))

    config = json.loads(config_path.read_text())
    config_class = spirit_lm_config_class(config.get("model_type"))
    config.setdefault("auto_map", {}).update(
        {"AutoConfig": f"configuration_spirit_lm.{config_class.__name__}",
         "AutoModelForCausalLM": f"modeling_spirit_lm.{SPIRIT_LM_MODEL_CLASSES[config_class.model_type].__name__}"}
    )
    multimodal = SPIRIT_LM_MULTIMODAL_CLASSES[config_class.model_type].__name__
    config["auto_map"]["AutoModelForMultimodalLM"] = f"modeling_spirit_multimodal_lm.{multimodal}"
    config["custom_pipelines"] = CUSTOM_PIPELINE
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    return folder


__all__ = ["make_hub_ready", "remote_code_files", "CUSTOM_PIPELINE", "PIPELINE_TASK", "SpiritFolderError",
           "check_spirit_folder", "check_safetensors_file", "check_no_pickles", "find_pickled_files", "pickle_kind"]
