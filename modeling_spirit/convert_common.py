# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""What the three converters share: their error type, checked readers of the original files, the NaN/inf check, and
the atomic output folder.

* Every unreadable input is a :class:`ConversionError` naming the file and what to do (a truncated ``.bin``, a bad
  ``config.json`` or YAML, a garbage ``tokenizer.model``), never a traceback from deep inside torch, json or
  SentencePiece. A missing file is a ``FileNotFoundError`` naming it.
* Weights holding NaN or infinite values are an error by default (a model with them generates garbage without a
  word); ``allow_nonfinite=True`` (``--allow-nonfinite``) converts them anyway, with a warning naming the tensors.
* :func:`write_safetensors_shards` writes a state dict as safetensors shards of at most ``max_shard_size`` with a
  ``model.safetensors.index.json`` (the layout of ``save_pretrained(max_shard_size=...)``), one shard at a time: the
  tensors (memory-mapped from the original file) are cast and written shard by shard, so no second copy of the
  checkpoint is ever held, with a progress bar in bytes.
* Memory-mapped original pages are handed back to the kernel once a tensor is checked or written
  (:func:`release_file_pages`), so a conversion's resident memory stays far below the checkpoint's size instead of
  growing to all of it: the file pages are clean copies of the file and are read again if touched again.
* :func:`atomic_output_dir` builds the whole output in a temporary folder beside the target and renames it into place
  only when everything succeeded, so a failed or interrupted conversion leaves the previous complete folder or
  nothing at the target, never a mix of old and new parts or a half-written folder that loads.
"""

import bisect
import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Optional, Union

import torch

from .configuration_spirit_lm import SPIRIT_LM_MODEL_TYPES

logger = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]


class ConversionError(ValueError):
    """An original checkpoint does not have the expected content (or cannot be read)."""


def read_json_file(path: PathLike, what: str = "a JSON object") -> Dict[str, Any]:
    """The JSON object in ``path``; ``FileNotFoundError`` or :class:`ConversionError` naming the file."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Missing original checkpoint file {str(path)!r}.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise ConversionError(f"{str(path)!r} is not valid JSON ({err}); it should hold {what}. Re-download it.") from err
    if not isinstance(data, dict):
        raise ConversionError(f"{str(path)!r} holds a JSON {type(data).__name__}; it should hold {what}.")
    return data


def load_torch_file(path: PathLike, mmap: bool = False) -> Any:
    """``torch.load(path, weights_only=True)``; a damaged or truncated file is a :class:`ConversionError` naming it."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Missing original checkpoint file {str(path)!r}.")
    try:
        return torch.load(str(path), map_location="cpu", weights_only=True, mmap=mmap)
    except Exception as err:  # noqa: BLE001 - torch raises RuntimeError, UnpicklingError, EOFError, ... for bad files
        raise ConversionError(
            f"Could not read {str(path)!r} ({path.stat().st_size} bytes) with torch.load(weights_only=True): "
            f"{type(err).__name__}: {str(err)[:300]}. The file is damaged or truncated (re-download it), or it holds "
            "more than plain tensors and containers, which is refused."
        ) from err


def load_safetensors_file(path: PathLike) -> Dict[str, torch.Tensor]:
    """The tensors of a safetensors file; a damaged or truncated file is a :class:`ConversionError` naming it."""
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"Missing original checkpoint file {str(path)!r}.")
    try:
        return load_file(str(path))
    except Exception as err:  # noqa: BLE001 - safetensors raises its own error types for bad files
        raise ConversionError(
            f"Could not read {str(path)!r} ({path.stat().st_size} bytes) as safetensors: {type(err).__name__}: "
            f"{str(err)[:300]}. The file is damaged or truncated: re-download it."
        ) from err


_MADV_DONTNEED = 4  # Linux
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") and "SC_PAGE_SIZE" in os.sysconf_names else 4096
_libc = None


def _private_file_mappings() -> list:
    """Sorted ``(start, end)`` of this process's private mappings of regular files (``/proc/self/maps``; empty where
    there is none, i.e. off Linux)."""
    out = []
    try:
        with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
            for line in f:
                parts = line.split(maxsplit=5)
                if len(parts) < 6 or not parts[1].endswith("p") or not parts[5].startswith("/"):
                    continue
                start, end = (int(x, 16) for x in parts[0].split("-"))
                out.append((start, end))
    except OSError:
        return []
    out.sort()
    return out


def release_file_pages(tensors) -> int:
    """Hand the resident pages of memory-mapped file tensors (``torch.load(..., mmap=True)``) back to the kernel
    (``madvise(MADV_DONTNEED)``); returns the bytes released. Only whole pages that lie inside a private mapping of
    a regular file are released: those are clean copies of the file (the converters never write into the loaded
    tensors), so a later read maps them in again from the file with the same values. Tensors in ordinary memory,
    and every platform without ``/proc/self/maps``, are left alone (returns 0)."""
    global _libc
    tensors = [t for t in tensors if torch.is_tensor(t) and t.device.type == "cpu" and t.untyped_storage().nbytes()]
    if not tensors:
        return 0
    maps = _private_file_mappings()
    if not maps:
        return 0
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        _libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    starts = [m[0] for m in maps]
    released = 0
    for t in tensors:
        storage = t.untyped_storage()
        lo, hi = storage.data_ptr(), storage.data_ptr() + storage.nbytes()
        i = bisect.bisect_right(starts, lo) - 1
        if i < 0 or hi > maps[i][1]:
            continue  # not (wholly) inside one private file mapping: ordinary memory, left alone
        a, b = -(-lo // _PAGE) * _PAGE, hi // _PAGE * _PAGE
        if b > a and _libc.madvise(ctypes.c_void_p(a), ctypes.c_size_t(b - a), _MADV_DONTNEED) == 0:
            released += b - a
    return released


def check_finite(state: Mapping[str, torch.Tensor], source: PathLike, allow_nonfinite: bool = False,
                 release_pages: bool = False) -> None:
    """Refuse (or, with ``allow_nonfinite``, warn about) floating-point tensors holding NaN or +-inf. With
    ``release_pages``, memory-mapped tensors' pages are released after their check (:func:`release_file_pages`;
    only for tensors nobody has written into)."""
    bad = []
    for k, v in state.items():
        if torch.is_tensor(v) and v.is_floating_point():
            if not bool(torch.isfinite(v).all()):
                bad.append(k)
            if release_pages:
                release_file_pages([v])
    if not bad:
        return
    listed = ", ".join(bad[:5]) + (" ..." if len(bad) > 5 else "")
    if allow_nonfinite:
        logger.warning("%s: %d tensors hold NaN or infinite values (%s); converted anyway (allow_nonfinite=True).",
                       source, len(bad), listed)
        return
    raise ConversionError(
        f"{source}: {len(bad)} tensors hold NaN or infinite values ({listed}); a model with them generates garbage. "
        "Re-download the checkpoint, or pass allow_nonfinite=True (--allow-nonfinite) to convert it anyway."
    )


def _is_spirit_folder(path: Path) -> bool:
    try:
        model_type = json.loads((path / "config.json").read_text(encoding="utf-8")).get("model_type")
        return model_type in SPIRIT_LM_MODEL_TYPES
    except (OSError, ValueError, AttributeError):
        return False


@contextlib.contextmanager
def atomic_output_dir(output_dir: PathLike) -> Iterator[Path]:
    """Yield an empty temporary folder beside ``output_dir``; when the block succeeds it replaces ``output_dir``.

    On any error (or ``KeyboardInterrupt``) the temporary folder is removed and ``output_dir`` is left as it was. An
    existing ``output_dir`` must be empty or a Spirit LM folder (``config.json`` of ``model_type: spirit_lm``, e.g. an
    earlier conversion): it is replaced as a whole, so no file of the old folder survives beside the new ones.
    A process killed outright leaves at most a hidden ``.<name>.converting-*`` folder beside the target (never the
    target itself half-written); it can be deleted.
    """
    target = Path(output_dir).absolute()
    if target.exists() and not target.is_dir():
        raise ConversionError(f"--output-dir {str(target)!r} is a file; give a folder path.")
    if target.is_dir() and any(target.iterdir()) and not _is_spirit_folder(target):
        raise ConversionError(
            f"--output-dir {str(target)!r} exists and is not a Spirit LM folder; the converter replaces its output "
            "folder as a whole, so it refuses to touch other files. Give a new or empty folder (or remove it)."
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.converting-", dir=str(target.parent)))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)  # mkdtemp makes it private; the output gets the usual folder permissions
    try:
        yield tmp
        if target.exists():
            previous = target.parent / f".{target.name}.previous-{uuid.uuid4().hex[:8]}"
            os.rename(target, previous)
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(previous, target)
                raise
            shutil.rmtree(previous, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


DEFAULT_MAX_SHARD_SIZE = "5GB"


def parse_shard_size(max_shard_size: Union[int, str]) -> int:
    """``"5GB"``, ``"200KB"``, ``"1.5GB"`` (units KB, MB, GB, TB: powers of 1000, as ``save_pretrained``) or a byte
    count (``int`` or digits) -> bytes; anything else is a :class:`ConversionError`."""
    from huggingface_hub.serialization._base import parse_size_to_int

    if isinstance(max_shard_size, bool):
        raise ConversionError(f"max_shard_size is {max_shard_size!r}; give a size such as '5GB', '200MB' or a byte count.")
    try:
        text = str(max_shard_size).strip()
        size = int(text) if isinstance(max_shard_size, int) or text.isdigit() else parse_size_to_int(text)
    except (ValueError, TypeError) as err:
        raise ConversionError(
            f"max_shard_size is {max_shard_size!r}: not a size ({err}). Give e.g. '5GB', '200MB', '500KB' or a byte count."
        ) from err
    if size <= 0:
        raise ConversionError(f"max_shard_size is {max_shard_size!r}; it must be a positive size such as '5GB'.")
    return size


def write_safetensors_shards(
    state: Dict[str, torch.Tensor],
    output_dir: PathLike,
    max_shard_size: Union[int, str] = DEFAULT_MAX_SHARD_SIZE,
    dtype: Optional[torch.dtype] = None,
    total_parameters: Optional[int] = None,
    progress: Optional[bool] = None,
    desc: str = "Writing weights",
    release_pages: bool = False,
) -> list:
    """Write ``state`` into ``output_dir`` as ``save_pretrained(max_shard_size=...)`` does, streaming.

    One ``model.safetensors`` when everything fits in ``max_shard_size``; otherwise ``model-0000i-of-0000n.safetensors``
    shards of at most ``max_shard_size`` bytes each (a single tensor bigger than that gets a shard of its own) and a
    ``model.safetensors.index.json`` (``metadata.total_size``, ``weight_map``). Shards are planned on the target
    dtype's sizes, then each shard's tensors are cast to ``dtype`` (when given) and written before the next shard is
    touched; written tensors are removed from ``state`` (the caller's dict is consumed), so at most one shard of cast
    copies exists at a time and tensors memory-mapped from the original file are written without a copy.

    Args:
        state: name -> tensor (CPU; contiguous or not). Consumed.
        output_dir: an existing folder.
        max_shard_size: bytes, or a string such as ``"5GB"`` / ``"200KB"`` (see :func:`parse_shard_size`).
        dtype: cast floating-point tensors to this dtype while writing (``None``: as they are).
        total_parameters: recorded in the index's metadata as ``save_pretrained`` does (default: the element count).
        progress: show a tqdm bar in bytes (``None``: tqdm's default, shown on a terminal and in logs).
        release_pages: once a shard is written, release its memory-mapped source tensors' pages
            (:func:`release_file_pages`), so resident memory does not grow to the whole checkpoint. Only for tensors
            loaded with ``mmap=True`` and never written into.

    Returns:
        the written file names (shards, then the index when there is one).
    """
    from huggingface_hub import split_torch_state_dict_into_shards
    from safetensors.torch import save_file
    from tqdm.auto import tqdm

    limit = parse_shard_size(max_shard_size)
    output_dir = Path(output_dir)

    def target(v: torch.Tensor) -> torch.dtype:
        return dtype if dtype is not None and v.is_floating_point() else v.dtype

    # Plan on meta tensors: sizes in the target dtype, no storage sharing (each tensor is written on its own).
    plan = {k: torch.empty(v.shape, dtype=target(v), device="meta") for k, v in state.items()}
    split = split_torch_state_dict_into_shards(plan, filename_pattern="model{suffix}.safetensors",
                                               max_shard_size=limit)
    total = sum(v.numel() * v.element_size() for v in plan.values())
    written = []
    bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024, desc=desc,
               disable=(not progress) if progress is not None else None)
    try:
        for shard_file, names in split.filename_to_tensors.items():
            shard, originals = {}, []
            for name in names:
                t = state.pop(name)
                shard[name] = t.to(target(t)).contiguous()
                originals.append(t)
            save_file(shard, str(output_dir / shard_file), metadata={"format": "pt"})
            bar.update(sum(t.numel() * t.element_size() for t in shard.values()))
            written.append(shard_file)
            if release_pages:  # the memory-mapped originals' pages are written: back to the kernel
                release_file_pages(originals)
            del shard, originals
    finally:
        bar.close()
    if split.is_sharded:
        index = {
            "metadata": {"total_parameters": int(total_parameters if total_parameters is not None
                                                 else sum(v.numel() for v in plan.values())), **split.metadata},
            "weight_map": split.tensor_to_filename,
        }
        (output_dir / "model.safetensors.index.json").write_text(json.dumps(index, indent=2, sort_keys=True) + "\n",
                                                                 encoding="utf-8")
        written.append("model.safetensors.index.json")
    return written


__all__ = ["ConversionError", "DEFAULT_MAX_SHARD_SIZE", "atomic_output_dir", "check_finite", "load_safetensors_file",
           "load_torch_file", "parse_shard_size", "read_json_file", "release_file_pages", "write_safetensors_shards"]
