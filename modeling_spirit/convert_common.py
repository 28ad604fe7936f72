# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""What the three converters share: their error type, checked readers of the original files, the NaN/inf check, and
the atomic output folder.

* Every unreadable input is a :class:`ConversionError` naming the file and what to do (a truncated ``.bin``, a bad
  ``config.json`` or YAML, a garbage ``tokenizer.model``), never a traceback from deep inside torch, json or
  SentencePiece. A missing file is a ``FileNotFoundError`` naming it.
* Weights holding NaN or infinite values are an error by default (a model with them generates garbage without a
  word); ``allow_nonfinite=True`` (``--allow-nonfinite``) converts them anyway, with a warning naming the tensors.
* :func:`atomic_output_dir` builds the whole output in a temporary folder beside the target and renames it into place
  only when everything succeeded, so a failed or interrupted conversion leaves the previous complete folder or
  nothing at the target, never a mix of old and new parts or a half-written folder that loads.
"""

import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, Mapping, Union

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


def check_finite(state: Mapping[str, torch.Tensor], source: PathLike, allow_nonfinite: bool = False) -> None:
    """Refuse (or, with ``allow_nonfinite``, warn about) floating-point tensors holding NaN or +-inf."""
    bad = [k for k, v in state.items() if torch.is_tensor(v) and v.is_floating_point() and not bool(torch.isfinite(v).all())]
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


__all__ = ["ConversionError", "atomic_output_dir", "check_finite", "load_safetensors_file", "load_torch_file",
           "read_json_file"]
