# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""What the two training loops (masked prediction, CTC) share: seeded per-step generators, the learning-rate
schedule, atomic resumable checkpoints and the signal that a run stopped early on purpose."""

from __future__ import annotations

import json
import os
import shutil
from typing import Dict

import torch
from safetensors.torch import load_file, save_file


def step_generator(seed: int, stage: str, step: int) -> torch.Generator:
    """The generator of one step of one stage: a function of ``(seed, stage, step)`` only, so that a resumed run draws
    exactly what an uninterrupted one does."""
    tag = sum(ord(c) * 131**i for i, c in enumerate(stage)) % 1_000_003
    return torch.Generator().manual_seed(seed * 1_000_003 * 7919 + tag * 100_003 + step)


def lr_lambda(total: int, warmup_fraction: float):
    """Learning-rate factor per step: linear warm-up over ``warmup_fraction`` of ``total`` steps, then linear decay
    (floored at 0.02)."""
    warm = max(1, int(total * warmup_fraction))

    def f(step: int) -> float:
        if step < warm:
            return (step + 1) / warm
        return max(0.02, (total - step) / max(1, total - warm))

    return f


def save_state(path: str, model, head, optimizer, state: dict) -> None:
    """Atomic checkpoint folder: ``model.safetensors`` (tokenizer + ``head.``), ``optimizer.safetensors``,
    ``trainer_state.json`` (step, losses, optimizer param groups)."""
    tmp = path + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    if head is not None:
        tensors.update({f"head.{k}": v.detach().contiguous().clone() for k, v in head.state_dict().items()})
    save_file(tensors, os.path.join(tmp, "model.safetensors"))
    opt = optimizer.state_dict()
    flat = {f"{i}.{k}": v.contiguous() for i, s in opt["state"].items() for k, v in s.items()}
    save_file(flat, os.path.join(tmp, "optimizer.safetensors"))
    state = dict(state, param_groups=opt["param_groups"])
    with open(os.path.join(tmp, "trainer_state.json"), "w", encoding="utf-8") as f:
        json.dump(state, f, indent=1)
    shutil.rmtree(path, ignore_errors=True)
    os.replace(tmp, path)


def load_state(path: str, model, head, optimizer) -> dict:
    """Load a :func:`save_state` folder into ``model``, ``head`` and ``optimizer`` (either may be ``None``); returns
    the saved ``trainer_state.json``."""
    tensors = load_file(os.path.join(path, "model.safetensors"))
    if head is not None:
        head.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("head.")})
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("head.")})
    with open(os.path.join(path, "trainer_state.json"), encoding="utf-8") as f:
        state = json.load(f)
    if optimizer is not None:
        flat = load_file(os.path.join(path, "optimizer.safetensors"))
        opt_state: Dict[int, dict] = {}
        for key, v in flat.items():
            i, name = key.split(".", 1)
            opt_state.setdefault(int(i), {})[name] = v
        optimizer.load_state_dict({"state": opt_state, "param_groups": state["param_groups"]})
    return state


class Interrupted(Exception):
    """A loop stopped on purpose after a checkpoint (``stop_after``, for testing resumption); the argument is the
    stage."""


__all__ = ["Interrupted", "load_state", "lr_lambda", "save_state", "step_generator"]
