# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Fuzz of the converter's inputs (issue 20): the original ``checkpoints/`` tree (stand-ins from tests/standin_*.py)
with one file damaged: truncated, extended, replaced by garbage, emptied or missing; a torch checkpoint with a key
dropped or added, a tensor reshaped, cast or set to NaN/inf, or the whole object replaced; a JSON config replaced by
another JSON value or with a key dropped.

Property: ``convert_all`` either raises a ConversionError / FileNotFoundError (ValueError/OSError subclasses raised
by this package) naming the damaged file, and leaves no output folder and no temporary folder behind; or it succeeds
with exactly the weights of the undamaged conversion (a harmless damage, e.g. bytes appended after a zip's end, or an
optional config key dropped and defaulted; the latter is counted as a documented result). Never a silent wrong result,
never a half-written folder.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
import torch
from hypothesis import HealthCheck, given, settings, strategies as st
from safetensors.torch import load_file

from fuzz_outcomes import check_error, record
from modeling_spirit.convert import convert_all
from standin_hifigan import build_hifigan_standin
from standin_lm import build_lm_standin
from standin_speech_tokenizer import build_speech_tokenizer_standins

FAST = settings(max_examples=4, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

LM = "spiritlm_model/spirit-lm-{v}-7b"
VOC = {"base": "speech_tokenizer/hifigan_spiritlm_base",
       "expressive": "speech_tokenizer/hifigan_spiritlm_expressive_w2v2"}
TORCH_FILES = {
    "base": [LM + "/pytorch_model.bin", "speech_tokenizer/hubert_25hz/mhubert_base_25hz.pt",
             "speech_tokenizer/hubert_25hz/L11_quantizer_500.pt", VOC["base"] + "/generator.pt"],
    "expressive": [LM + "/pytorch_model.bin", "speech_tokenizer/hubert_25hz/mhubert_base_25hz.pt",
                   "speech_tokenizer/hubert_25hz/L11_quantizer_500.pt", VOC["expressive"] + "/generator.pt",
                   "speech_tokenizer/vqvae_f0_quantizer/model.pt", "speech_tokenizer/style_encoder_w2v2/pytorch_model.bin"],
}
JSON_FILES = {
    "base": [LM + "/config.json", VOC["base"] + "/config.json"],
    "expressive": [LM + "/config.json", VOC["expressive"] + "/config.json",
                   "speech_tokenizer/style_encoder_w2v2/config.json"],
}
OTHER_FILES = {
    "base": [LM + "/tokenizer.model", VOC["base"] + "/speakers.txt", VOC["base"] + "/styles.txt"],
    "expressive": [LM + "/tokenizer.model", VOC["expressive"] + "/speakers.txt",
                   "speech_tokenizer/vqvae_f0_quantizer/config.yaml"],
}


class _Originals(tuple):
    def __repr__(self):  # keep hypothesis' failure reports short
        return f"originals({self[0]})"


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """The undamaged checkpoint tree and its conversion (per variant)."""
    root = tmp_path_factory.mktemp("fuzzconv")
    ckpt = root / "checkpoints"
    for variant in ("base", "expressive"):
        build_lm_standin(ckpt, variant)
        build_hifigan_standin(ckpt, variant)
    build_speech_tokenizer_standins(ckpt, "expressive")
    return _Originals((ckpt, _REFS))


_REFS = {}


def _reference(originals, variant):
    ckpt, refs = originals
    if variant not in refs:
        refs[variant] = _weights(convert_all(ckpt, variant, ckpt.parent / f"reference-{variant}"))
    return refs[variant]


def _weights(folder: Path) -> dict:
    out = {}
    for f in sorted(folder.rglob("*.safetensors")):
        for k, v in load_file(str(f)).items():
            out[f"{f.relative_to(folder).as_posix()}:{k}"] = v
    return out


def _configs(folder: Path) -> dict:
    return {f.relative_to(folder).as_posix(): json.loads(f.read_text()) for f in sorted(folder.rglob("config.json"))}


def _link_tree(src: Path, dst: Path, real: str) -> None:
    """``dst`` mirrors ``src`` with symlinks, except ``real`` (a relative path), which is a real copy to damage."""
    for path in src.rglob("*"):
        rel = path.relative_to(src)
        if path.is_dir():
            (dst / rel).mkdir(parents=True, exist_ok=True)
        elif rel.as_posix() == real:
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, dst / rel)
        else:
            (dst / rel).parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, dst / rel)


# ------------------------------------------------------------------------------------------------ damages
def _bytes_damage(kind, fraction, junk):
    def apply(path: Path):
        data = path.read_bytes()
        if kind == "truncate":
            path.write_bytes(data[: int(len(data) * fraction)])
        elif kind == "append":
            path.write_bytes(data + junk)
        elif kind == "garbage":
            path.write_bytes(junk * (1 + len(data) // max(len(junk), 1) // 64))
        elif kind == "empty":
            path.write_bytes(b"")
        elif kind == "missing":
            path.unlink()
    return apply, kind != "append"  # (apply, must fail)


def _torch_damage(kind, pick, value):
    def apply(path: Path):
        obj = torch.load(path, weights_only=True)
        state = obj
        # The state dict is the object itself or its largest dict of tensors (model_weight, generator, model...).
        while isinstance(state, dict) and not any(torch.is_tensor(v) for v in state.values()):
            dicts = [v for v in state.values() if isinstance(v, dict)]
            if not dicts:
                break
            state = max(dicts, key=len)
        keys = sorted(k for k, v in state.items() if torch.is_tensor(v))
        key = keys[pick % len(keys)]
        t = state[key]
        if kind == "drop_key":
            del state[key]
        elif kind == "extra_key":
            state[key + "_extra"] = torch.zeros(2)
        elif kind == "reshape":
            state[key] = t.reshape(-1, 1) if t.dim() != 2 else t.t().contiguous() if t.shape[0] != t.shape[1] \
                else t[:-1]
        elif kind == "nonfinite":
            if not t.is_floating_point() or t.numel() == 0:
                return None
            t = t.clone()
            t.view(-1)[pick % t.numel()] = value
            state[key] = t
        elif kind == "int_dtype":
            if not t.is_floating_point():
                return None
            state[key] = torch.zeros_like(t, dtype=torch.int64)
        elif kind == "replace_object":
            obj = [1, 2, 3] if pick % 2 else torch.zeros(3)
        torch.save(obj, path)
        return key
    return apply, True


def _json_damage(kind, pick, value):
    def apply(path: Path):
        data = json.loads(path.read_text())
        if kind == "replace":
            path.write_text(json.dumps(value))
            return None
        keys = sorted(data)
        key = keys[pick % len(keys)]
        del data[key]
        path.write_text(json.dumps(data))
        return key
    return apply, kind == "replace" and not isinstance(value, dict)


JSON_VALUE = st.recursive(st.none() | st.booleans() | st.integers(-3, 3) | st.text(max_size=4),
                          lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=4), c, max_size=3),
                          max_leaves=6)


@st.composite
def damages(draw, variant):
    family = draw(st.sampled_from(["bytes", "torch", "json"]))
    if family == "bytes":
        path = draw(st.sampled_from(TORCH_FILES[variant] + JSON_FILES[variant] + OTHER_FILES[variant]))
        kind = draw(st.sampled_from(["truncate", "append", "garbage", "empty", "missing"]))
        apply, must_fail = _bytes_damage(kind, draw(st.floats(0.0, 0.99)), draw(st.binary(min_size=1, max_size=64)))
    elif family == "torch":
        path = draw(st.sampled_from(TORCH_FILES[variant]))
        kind = draw(st.sampled_from(["drop_key", "extra_key", "reshape", "nonfinite", "int_dtype", "replace_object"]))
        apply, must_fail = _torch_damage(kind, draw(st.integers(0, 10_000)),
                                         draw(st.sampled_from([float("nan"), float("inf"), -float("inf")])))
    else:
        path = draw(st.sampled_from(JSON_FILES[variant]))
        kind = draw(st.sampled_from(["replace", "drop_key"]))
        apply, must_fail = _json_damage(kind, draw(st.integers(0, 10_000)), draw(JSON_VALUE))
    if path.endswith((".yaml", ".model")) and kind == "append":
        must_fail = False  # appended bytes in a text file or a protobuf may be read; the weights decide below
    if path.endswith(".txt"):
        # Documented: speakers.txt/styles.txt are read as given (fewer names than table rows, or none, is allowed:
        # ids then go by index). A cut name cannot be told from a short one; the weights are checked below.
        must_fail = False
    return path.format(v=variant), family, kind, apply, must_fail


def _check_damage(originals, tmp_path, variant, damage):
    ckpt, _ = originals
    rel, family, kind, apply, must_fail = damage
    reference = _reference(originals, variant)
    tree = tmp_path / "checkpoints"
    _link_tree(ckpt, tree, rel)
    detail = apply(tree / rel)
    out = tmp_path / "out"
    label = f"converter: {family} damage ({kind})"
    try:
        convert_all(tree, variant, out)
    except (ValueError, OSError) as err:
        assert not out.exists(), f"{rel} {kind}: a failed conversion left {out}"
        assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")], "temporary folder left behind"
        # The damaged file is named (the language model's errors name its folder, which holds one checkpoint).
        named = (Path(rel).name, Path(rel).parent.name) if rel.startswith("spiritlm_model/") else (Path(rel).name,)
        check_error(err, label, allowed=(ValueError, OSError), any_of=named)
        return
    got = _weights(out)
    assert got.keys() == reference.keys() and all(torch.equal(got[k], reference[k]) for k in got), \
        f"{rel} {kind} ({detail}): conversion succeeded with different weights (a silent wrong result)"
    # Same weights as the undamaged conversion: the damage touched nothing that is used (an unused key, bytes after a
    # zip's end): right. Different configs beside the same weights: only a dropped optional JSON key (defaulted) or a
    # shorter speakers/styles list may do that (documented); anything else is a silent change.
    if _configs(out) == _configs(ckpt.parent / f"reference-{variant}"):
        record(label, "right")
    else:
        assert not must_fail and (family == "json" or rel.endswith(".txt")), \
            f"{rel} {kind} ({detail}): accepted, and the converted configs differ"
        record(label, "documented")


@FAST
@given(damage=damages("base"))
def test_damaged_checkpoints(originals, tmp_path_factory, damage):
    _check_damage(originals, tmp_path_factory.mktemp("dmg"), "base", damage)


@pytest.mark.fuzz_long
@pytest.mark.parametrize("variant", ["base", "expressive"])
@LONG
@given(data=st.data())
def test_damaged_checkpoints_long(originals, tmp_path_factory, variant, data):
    _check_damage(originals, tmp_path_factory.mktemp("dmg"), variant, data.draw(damages(variant)))


@pytest.mark.parametrize("output", ["file", "not_spirit", "nested_missing"])
def test_output_dir_kinds(originals, tmp_path, output):
    """The output path: a file or a foreign folder is refused untouched; a missing parent is created."""
    ckpt, _ = originals
    target = {"file": tmp_path / "f", "not_spirit": tmp_path / "mine", "nested_missing": tmp_path / "a" / "b"}[output]
    if output == "file":
        target.write_text("x")
    elif output == "not_spirit":
        target.mkdir()
        (target / "notes.txt").write_text("keep")
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    try:
        convert_all(ckpt, "base", target)
    except ValueError as err:
        assert output != "nested_missing"
        check_error(err, "converter: output folder", names=(target.name,))
        assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()} == before
        return
    assert output == "nested_missing" and (target / "config.json").is_file()
    record("converter: output folder", "right")


def _convert_edited(originals, tmp_path, rel, edit, variant, pattern, family):
    """Convert a copy of the stand-in checkpoints whose file ``rel`` was loaded, ``edit``-ed and saved back: the
    converter must refuse it with an error matching ``pattern`` and write no output folder."""
    ckpt, _ = originals
    tree = tmp_path / "checkpoints"
    _link_tree(ckpt, tree, rel)
    obj = torch.load(tree / rel, weights_only=True)
    edit(obj)
    torch.save(obj, tree / rel)
    with pytest.raises(ValueError, match=pattern) as info:
        convert_all(tree, variant, tmp_path / "out")
    check_error(info.value, family)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("rel,edit,pattern", [
    ("speech_tokenizer/hubert_25hz/mhubert_base_25hz.pt",
     lambda o: o["model_weight"].pop("encoder.layer_norm.bias"), r"mhubert_base_25hz\.pt.*key mismatch"),
    ("speech_tokenizer/hubert_25hz/mhubert_base_25hz.pt",
     lambda o: o["model_weight"].__setitem__("encoder.layer_norm.bias", torch.zeros(64, 1)),
     r"mhubert_base_25hz\.pt.*shape mismatch"),
    ("speech_tokenizer/hubert_25hz/L11_quantizer_500.pt",
     lambda o: o["model_weight"]["0.bias"].fill_(float("nan")), r"L11_quantizer_500\.pt.*NaN or infinite.*0\.bias"),
    ("speech_tokenizer/style_encoder_w2v2/pytorch_model.bin",
     lambda o: o.__setitem__("nonsense.weight", torch.zeros(1)), r"style_encoder_w2v2/pytorch_model\.bin"),
])
def test_speech_tokenizer_errors_name_the_file(originals, tmp_path, rel, edit, pattern):
    """Key, shape and NaN errors of the speech-tokenizer part name the checkpoint file they come from (they named
    none, or only the speech_tokenizer/ folder of seven files)."""
    _convert_edited(originals, tmp_path, rel, edit, "expressive", pattern,
                    "converter: speech tokenizer errors name the file")


@pytest.mark.parametrize("rel,edit,pattern", [
    (LM.format(v="base") + "/pytorch_model.bin",
     lambda o: o.__setitem__("lm_head.weight", torch.zeros_like(o["lm_head.weight"], dtype=torch.int64)),
     r"spirit-lm-base-7b.*not floating point.*lm_head\.weight"),
    (VOC["base"] + "/generator.pt",
     lambda o: o["generator"].__setitem__("conv_post.bias", torch.zeros_like(o["generator"]["conv_post.bias"],
                                                                             dtype=torch.int64)),
     r"generator\.pt.*conv_post\.bias.*not floating point"),
    (VOC["base"] + "/generator.pt", lambda o: o["generator"].pop("conv_post.weight_g"),
     r"generator\.pt.*conv_post.*weight_g"),
    (VOC["base"] + "/generator.pt",  # a mis-shaped weight_g was broadcast by torch._weight_norm (the fuzz saw an abort)
     lambda o: o["generator"].__setitem__("conv_post.weight_g", o["generator"]["conv_post.weight_g"].reshape(-1, 1)),
     r"generator\.pt.*conv_post\.weight_g has shape"),
    ("speech_tokenizer/hubert_25hz/L11_quantizer_500.pt",
     lambda o: o["model_weight"].__setitem__("0.bias", o["model_weight"]["0.bias"].long()),
     r"L11_quantizer_500\.pt.*not floating point"),
])
def test_integer_weights_are_refused(originals, tmp_path, rel, edit, pattern):
    """Integer tensors in place of float weights were converted silently (the LM took the dtype of its first tensor;
    the speech tokenizer cast them): now a ConversionError naming the file. A missing weight-norm half names
    generator.pt (it named only the folder)."""
    _convert_edited(originals, tmp_path, rel, edit, "base", pattern, "converter: integer weights / weight-norm halves")
