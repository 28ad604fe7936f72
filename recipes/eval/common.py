# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Loading the model under evaluation (a folder, a Hub id, or an already built ``pipeline("spirit-lm")``)."""

from typing import Optional

import modeling_spirit  # noqa: F401  (registers spirit_lm and the pipeline)


def load_spirit(model, device: Optional[str] = None, dtype: Optional[str] = None):
    """``pipeline("spirit-lm")`` for ``model`` (returned as is when it already is one); ``(pipe, model_path)``."""
    import torch
    from transformers import pipeline

    if hasattr(model, "model") and hasattr(model, "tokenizer"):
        path = getattr(model.model, "name_or_path", "") or getattr(model.model.config, "_name_or_path", "")
        return model, path
    if device is None:
        device = "cuda" if torch.cuda.is_available() else "cpu"
    kwargs = {}
    if dtype:
        kwargs["dtype"] = getattr(torch, dtype) if isinstance(dtype, str) and dtype != "auto" else dtype
    pipe = pipeline("spirit-lm", model=str(model), device=device, **kwargs)
    pipe.model.eval()
    for sub in (pipe.speech_tokenizer, pipe.vocoder):
        if sub is not None:
            sub.to(pipe.model.device)
    return pipe, str(model)


def context_limit(pipe) -> Optional[int]:
    return getattr(pipe.model.config, "max_position_embeddings", None)
