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
import shutil
from pathlib import Path
from typing import List

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
                 "feature_extraction_spirit_lm.py", "modeling_spirit_lm.py", "configuration_spirit_lm.py")


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


def make_hub_ready(folder) -> Path:
    """Copy the remote code, write the processor and register the custom pipeline in ``folder/config.json``."""
    from .feature_extraction_spirit_lm import SpiritLMFeatureExtractor
    from .processing_spirit_lm import SpiritLMProcessor
    from .tokenization_spirit_lm import SpiritLMTokenizerFast, _write_tokenizer_auto_map

    folder = Path(folder)
    config_path = folder / "config.json"
    if not config_path.is_file():
        raise FileNotFoundError(f"{folder} has no config.json: save the Spirit LM there first.")
    for path in remote_code_files():
        shutil.copyfile(path, folder / path.name)

    SpiritLMProcessor.register_for_auto_class("AutoProcessor")
    SpiritLMFeatureExtractor.register_for_auto_class("AutoFeatureExtractor")
    processor = SpiritLMProcessor(SpiritLMFeatureExtractor(), SpiritLMTokenizerFast.from_pretrained(str(folder)))
    processor.save_pretrained(str(folder))
    _write_tokenizer_auto_map(str(folder))

    config = json.loads(config_path.read_text())
    config.setdefault("auto_map", {}).update(
        {"AutoConfig": "configuration_spirit_lm.SpiritLMConfig",
         "AutoModelForCausalLM": "modeling_spirit_lm.SpiritLMForCausalLM"}
    )
    config["custom_pipelines"] = CUSTOM_PIPELINE
    config_path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    pickles = [p for p in folder.rglob("*") if p.suffix in (".bin", ".pt", ".pth", ".pkl", ".ckpt")]
    if pickles:
        raise ValueError(f"{folder} holds pickled files ({[str(p) for p in pickles[:3]]}); Spirit LM folders are "
                         "safetensors only. Remove them.")
    return folder


__all__ = ["make_hub_ready", "remote_code_files", "CUSTOM_PIPELINE", "PIPELINE_TASK"]
