# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The TRL recipes (recipes/): every YAML parses into its script's dataclasses; the tiny recipes really train on CPU
(loss falls), save a Hub-ready folder that pipeline("spirit-lm") loads and generates with, LoRA adapters merge, DPO
runs, units from another speech tokenizer are refused, push goes through push_spirit_lm with a card (offline), and a
two-process accelerate run completes."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
RECIPES = ROOT / "recipes"
TINY = RECIPES / "tiny"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny model and the tiny recipes' datasets, in a temporary folder."""
    from recipes.tiny.make_data import make_tiny_data

    base = tmp_path_factory.mktemp("recipes")
    return make_tiny_data(base / "data", base / "tiny-spirit-lm-base", n_train=48, n_test=8)


def _run(stage, config, tiny, out, *extra):
    import importlib

    module = importlib.import_module(f"recipes.scripts.{stage}")
    argv = [str(config), "--model_name_or_path", tiny["model"], "--output_dir", str(out), *map(str, extra)]
    return module.main(argv)


def _losses(result):
    return [e["loss"] for e in result["log_history"] if "loss" in e]


def _mixture(tiny):
    return json.dumps({
        "speech": {"path": tiny["encoded"], "kind": "speech", "weight": 1},
        "interleaved": {"path": tiny["encoded"], "kind": "interleaved", "weight": 1},
        "text": {"path": tiny["text"], "weight": 1},
    })


def _check_hub_folder(final, tiny):
    """A complete, pickle-free Spirit LM folder with the starting tokenizer's ids, loadable by the pipeline."""
    import modeling_spirit  # noqa: F401
    from transformers import AutoTokenizer, pipeline

    final = Path(final)
    names = {p.relative_to(final).as_posix() for p in final.rglob("*") if p.is_file()}
    assert {"config.json", "model.safetensors", "tokenizer.model", "tokenizer.json", "tokenizer_config.json",
            "speech_tokenizer/config.json", "speech_tokenizer/model.safetensors", "vocoder/config.json",
            "vocoder/model.safetensors", "modeling_spirit_lm.py", "pipeline_spirit_lm.py",
            "spirit_lm_training.json", "training_args.json"} <= names
    assert not [n for n in names if n.endswith((".bin", ".pt", ".pth", ".pkl"))]
    assert "adapter_config.json" not in names  # a root adapter would make transformers load a PEFT model
    config = json.loads((final / "config.json").read_text())
    assert config["model_type"] == "spirit_lm" and "spirit-lm" in config["custom_pipelines"]
    assert config["architectures"] == ["SpiritLMForCausalLM"]
    start, saved = AutoTokenizer.from_pretrained(tiny["model"]), AutoTokenizer.from_pretrained(str(final))
    probe = "[Text]the cat sees[Speech][Hu3][Hu77][Hu0][Text] a red box."
    assert saved(probe).input_ids == start(probe).input_ids
    assert saved.pad_token == "</s>" and len(saved) == len(start)
    pipe = pipeline("spirit-lm", model=str(final))
    assert type(pipe.model).__name__ == "SpiritLMForCausalLM"
    [seg] = pipe("The cat sees", output_modality="text", max_new_tokens=6, do_sample=False)
    assert seg["type"] == "text" and isinstance(seg["text"], str)
    speech = pipe("The cat sees", output_modality="speech", max_new_tokens=12, min_new_tokens=4, do_sample=False)
    assert speech[0]["type"] == "speech" and speech[0]["units"].startswith("[Hu")
    return pipe


# ----------------------------------------------------------------------------------------------------------------
# Configs
# ----------------------------------------------------------------------------------------------------------------
def _stage_of(path: Path) -> str:
    for stage in ("pretrain", "sft", "dpo"):
        if stage in path.parts:
            return stage
    raise AssertionError(f"{path} is not under a pretrain/sft/dpo folder")


def _has_cuda() -> bool:
    import torch

    return torch.cuda.is_available()


RECIPE_YAMLS = sorted(p for p in RECIPES.glob("*/*/*.yaml") if p.parent.name in ("pretrain", "sft", "dpo"))


def test_recipe_layout():
    expected = [f"spirit-lm-{m}-7b/{s}/config_full.yaml" for m in ("base", "expressive") for s in ("pretrain", "sft", "dpo")]
    expected += [f"spirit-lm-{m}-7b/sft/config_lora.yaml" for m in ("base", "expressive")]
    expected += ["tiny/pretrain/config.yaml", "tiny/sft/config.yaml", "tiny/sft/config_lora.yaml", "tiny/dpo/config.yaml"]
    for rel in expected:
        assert (RECIPES / rel).is_file(), rel
    for name in ("ddp", "fsdp", "zero3"):
        cfg = yaml.safe_load((RECIPES / "accelerate_configs" / f"{name}.yaml").read_text())
        assert cfg["distributed_type"] == {"ddp": "MULTI_GPU", "fsdp": "FSDP", "zero3": "DEEPSPEED"}[name]
    for script in ("pretrain", "sft", "dpo"):
        assert (RECIPES / "scripts" / f"{script}.py").is_file()
    readme = (RECIPES / "README.md").read_text()
    assert "accelerate launch" in readme and "encode-dataset" in readme and "align" in readme


@pytest.mark.parametrize("path", RECIPE_YAMLS, ids=lambda p: str(p.relative_to(RECIPES)))
def test_every_yaml_parses_into_its_scripts_dataclasses(path):
    from trl import DPOConfig, ModelConfig, SFTConfig

    import importlib

    from recipes.scripts.spirit_recipe import SpiritLMScriptArguments

    stage = _stage_of(path)
    config_class = DPOConfig if stage == "dpo" else SFTConfig
    parse_args = importlib.import_module(f"recipes.scripts.{stage}").parse_args  # the parser the script's main uses
    # the 7B recipes ask for bf16, which TrainingArguments refuses on a machine without a GPU unless use_cpu is set
    cpu = [] if _has_cuda() else ["--use_cpu", "true"]
    script_args, training_args, model_args = parse_args([str(path), *cpu])  # unknown keys raise
    assert isinstance(script_args, SpiritLMScriptArguments) and isinstance(training_args, config_class)
    assert isinstance(model_args, ModelConfig) and model_args.model_name_or_path
    raw = yaml.safe_load(path.read_text())
    assert training_args.learning_rate == raw["learning_rate"]
    assert script_args.dataset_name or script_args.dataset_mixture
    if stage == "pretrain":
        assert training_args.packing and not training_args.completion_only_loss
    if stage == "sft" and "tiny" not in path.parts:
        assert training_args.completion_only_loss
    if path.name == "config_lora.yaml":
        assert model_args.use_peft and model_args.lora_r > 0
    if "7b" in path.parts[-3]:
        # the paper's optimisation (App. A): constant LR 3e-5 for continued pretraining, 4k tokens
        if stage == "pretrain":
            assert training_args.learning_rate == 3e-5 and training_args.max_length == 4096
            assert str(getattr(training_args.lr_scheduler_type, "value", training_args.lr_scheduler_type)) == "constant"
        assert training_args.bf16 and training_args.activation_checkpointing
    # a command-line override beats the YAML
    _, overridden, _ = parse_args(["--config", str(path), "--max_steps", "3", *cpu])
    assert overridden.max_steps == 3


# ----------------------------------------------------------------------------------------------------------------
# Training runs (tiny model, CPU)
# ----------------------------------------------------------------------------------------------------------------
def test_pretrain_mixture_packed_loss_falls_and_pipeline_generates(tiny, tmp_path):
    result = _run("pretrain", TINY / "pretrain" / "config.yaml", tiny, tmp_path / "pretrain",
                  "--dataset_mixture", _mixture(tiny), "--max_steps", 30, "--logging_steps", 5)
    losses = _losses(result)
    assert len(losses) >= 5
    assert losses[-1] < 0.6 * losses[0], losses  # e.g. 6.96 -> 2.6
    trainer = result["trainer"]
    assert trainer.args.packing and len(trainer.train_dataset[0]["input_ids"]) == 512  # dense 512-token blocks
    assert type(trainer.model).__name__ == "SpiritLMForCausalLM"
    assert Path(result["final_dir"]) == tmp_path / "pretrain" / "final"
    _check_hub_folder(result["final_dir"], tiny)
    summary = json.loads((Path(result["final_dir"]) / "spirit_lm_training.json").read_text())
    assert summary["stage"] == "pretrain" and summary["training_hyperparameters"]["lr_scheduler_type"] == "constant"


def test_sft_asr_from_encoded_dataset_trains_on_the_completion_only(tiny, tmp_path):
    result = _run("sft", TINY / "sft" / "config.yaml", tiny, tmp_path / "sft", "--dataset_name", tiny["encoded"],
                  "--max_steps", 30, "--logging_steps", 5)
    losses = _losses(result)
    assert losses[-1] < 0.6 * losses[0], losses
    assert "eval_loss" in result["metrics"]  # the encoded dataset's test split
    trainer = result["trainer"]
    tok = trainer.processing_class
    row = trainer.train_dataset[0]
    ids, labels = row["input_ids"], row["labels"]
    text_marker = tok.convert_tokens_to_ids("[Text]")
    cut = ids.index(text_marker) + 1  # prompt = [Speech]<units>[Text]
    # BOS, SentencePiece's lone "▁" before a leading marker (the original's ids), then [Speech]
    assert ids[:3] == [tok.bos_token_id, tok.convert_tokens_to_ids("▁"), tok.convert_tokens_to_ids("[Speech]")]
    assert all(label == -100 for label in labels[:cut])
    assert labels[cut:] == ids[cut:] and ids[-1] == tok.eos_token_id  # the transcript and EOS are learned
    _check_hub_folder(result["final_dir"], tiny)


def test_sft_lora_adapter_merges_and_loads(tiny, tmp_path):
    import torch
    from peft import PeftModel

    from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM

    result = _run("sft", TINY / "sft" / "config_lora.yaml", tiny, tmp_path / "lora", "--dataset_name", tiny["asr"],
                  "--max_steps", 30, "--logging_steps", 5)
    losses = _losses(result)
    assert losses[-1] < 0.8 * losses[0], losses
    final = Path(result["final_dir"])
    assert (final / "adapter" / "adapter_config.json").is_file()
    assert (final / "adapter" / "adapter_model.safetensors").is_file()
    merged = SpiritLMForCausalLM.from_pretrained(str(final)).eval()
    base = SpiritLMForCausalLM.from_pretrained(tiny["model"]).eval()
    adapted = PeftModel.from_pretrained(SpiritLMForCausalLM.from_pretrained(tiny["model"]),
                                        str(final / "adapter")).eval()
    ids = torch.tensor([[1, 513, 520, 600, 700, 512, 261, 364]])
    with torch.no_grad():
        want, got, before = adapted(ids).logits, merged(ids).logits, base(ids).logits
    torch.testing.assert_close(got, want, atol=1e-4, rtol=1e-4)
    assert (got - before).abs().max() > 1e-2  # the adapter changed the model
    _check_hub_folder(final, tiny)


def test_dpo_runs_and_saves(tiny, tmp_path):
    result = _run("dpo", TINY / "dpo" / "config.yaml", tiny, tmp_path / "dpo", "--dataset_name", tiny["dpo"],
                  "--max_steps", 3, "--logging_steps", 1, "--per_device_train_batch_size", 2)
    losses = _losses(result)
    assert len(losses) == 3 and abs(losses[0] - 0.6931) < 1e-3  # log(2) at the start: policy == reference
    assert result["trainer"].ref_model is not None
    _check_hub_folder(result["final_dir"], tiny)


def test_units_from_another_speech_tokenizer_are_refused(tiny, tmp_path):
    from datasets import load_from_disk

    other = load_from_disk(tiny["encoded"])["train"].select(range(8))
    other = other.map(lambda row: {"speech_tokenizer": "base-0123456789abcdef"})
    other.save_to_disk(str(tmp_path / "other"))
    with pytest.raises(ValueError, match="speech tokenizer"):
        _run("sft", TINY / "sft" / "config.yaml", tiny, tmp_path / "out", "--dataset_name", tmp_path / "other",
             "--dataset_test_split", "none")
    # already-built text that still carries the fingerprint column is checked too
    with open(tmp_path / "built.jsonl", "w") as f:
        f.write(json.dumps({"text": "[Speech][Hu1][Hu2]", "speech_tokenizer": "base-0123456789abcdef"}) + "\n")
    with pytest.raises(ValueError, match="speech tokenizer"):
        _run("pretrain", TINY / "pretrain" / "config.yaml", tiny, tmp_path / "out2", "--dataset_name",
             tmp_path / "built.jsonl", "--dataset_mixture", "{}")
    assert not (tmp_path / "out" / "final").exists()


def test_training_model_keeps_packed_documents_apart(tiny):
    """Padding-free packing (bfd_split) under sdpa relies on transformers' per-document mask from position ids,
    which it skips when a KV cache is built: the recipes load the model with use_cache=False."""
    import torch

    from recipes.scripts.spirit_recipe import load_spirit_model

    model = load_spirit_model(tiny["model"], training=True).train()
    assert model.config.use_cache is False
    a, b = torch.tensor([[1, 513, 520, 600, 700, 512, 261, 364, 2]]), torch.tensor([[1, 512, 261, 364, 300, 2]])
    flat = torch.cat([a, b], 1)
    pos = torch.cat([torch.arange(a.shape[1]), torch.arange(b.shape[1])])[None]
    with torch.no_grad():
        packed = model(input_ids=flat, position_ids=pos).logits[0]
        torch.testing.assert_close(packed[:a.shape[1]], model(a).logits[0], atol=1e-5, rtol=1e-5)
        torch.testing.assert_close(packed[a.shape[1]:], model(b).logits[0], atol=1e-5, rtol=1e-5)


def test_split_prompt_completion():
    from recipes.scripts.spirit_recipe import split_prompt_completion

    assert split_prompt_completion("[Speech][Hu1][Hu2][Text]the cat", "asr") == ("[Speech][Hu1][Hu2][Text]", "the cat")
    assert split_prompt_completion("[Text]the cat[Speech][Hu1][Hu2]", "tts") == ("[Text]the cat[Speech]", "[Hu1][Hu2]")


def test_push_uses_push_spirit_lm_with_a_card(tiny, tmp_path, monkeypatch):
    from huggingface_hub import CommitInfo, HfApi

    calls = {"create_repo": [], "create_commit": []}
    sha = "0123456789abcdef0123456789abcdef01234567"

    def create_repo(self, repo_id, **kwargs):
        calls["create_repo"].append(repo_id)
        return f"https://huggingface.co/{repo_id}"

    def create_commit(self, repo_id, operations, **kwargs):
        files = {op.path_in_repo: op.path_or_fileobj for op in operations}
        calls["create_commit"].append((repo_id, files, kwargs))
        return CommitInfo(commit_url=f"https://huggingface.co/{repo_id}/commit/{sha}",
                          commit_message=kwargs["commit_message"], commit_description="", oid=sha)

    monkeypatch.setattr(HfApi, "create_repo", create_repo)
    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    result = _run("pretrain", TINY / "pretrain" / "config.yaml", tiny, tmp_path / "push", "--dataset_name",
                  tiny["pretrain"], "--dataset_mixture", "{}", "--max_steps", 4, "--eval_split_size", 0.1,
                  "--push_to_hub", "true", "--hub_model_id", "spirit-test/tiny-pretrained",
                  "--base_model_id", "spirit-test/tiny-spirit-lm-base", "--card_datasets", "spirit-test/tiny-speech")
    assert result["commit"].oid == sha
    assert calls["create_repo"] == ["spirit-test/tiny-pretrained"]  # once: the Trainer's own push is off
    [(repo_id, files, kwargs)] = calls["create_commit"]
    assert repo_id == "spirit-test/tiny-pretrained"
    assert {"README.md", "config.json", "model.safetensors", "tokenizer.model", "speech_tokenizer/config.json",
            "vocoder/model.safetensors", "spirit_lm_training.json"} <= set(files)
    assert not [n for n in files if n.startswith("checkpoint-") or n.endswith(".bin")]
    card = files["README.md"].decode()
    front = yaml.safe_load(card.split("---")[1])
    assert front["base_model"] == "spirit-test/tiny-spirit-lm-base"
    assert front["datasets"] == ["spirit-test/tiny-speech"]
    assert front["license"] == "other" and front["license_name"] == "fair-noncommercial-research-license"
    assert "pretrain" in front["tags"] and "trl" in front["tags"]
    [index] = front["model-index"]
    [res] = index["results"]
    assert res["metrics"][0]["type"] == "loss"
    assert abs(res["metrics"][0]["value"] - result["metrics"]["eval_loss"]) < 1e-3
    assert "| learning_rate | 0.003 |" in card and "| packing | True |" in card and "| max_steps | 4 |" in card


def test_two_process_cpu_run(tiny, tmp_path):
    """accelerate launch, 2 processes on CPU (gloo; ~10-25 s). accelerate's --cpu flag selects its single-process launcher
    (multi-CPU needs mpirun), so the tiny YAMLs' use_cpu: true keeps the torchrun-style launcher on the CPU."""
    out = tmp_path / "ddp"
    cmd = [str(Path(sys.executable).parent / "accelerate"), "launch", "--num_processes", "2", "--mixed_precision",
           "no", "--config_file", str(RECIPES / "accelerate_configs" / "ddp.yaml"),
           str(RECIPES / "scripts" / "pretrain.py"), str(TINY / "pretrain" / "config.yaml"),
           "--model_name_or_path", tiny["model"], "--dataset_mixture", _mixture(tiny), "--output_dir", str(out),
           "--max_steps", "6", "--logging_steps", "2"]
    env = dict(os.environ, OMP_NUM_THREADS="1")
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    summary = json.loads((out / "final" / "spirit_lm_training.json").read_text())
    assert summary["training_hyperparameters"]["num_processes"] == 2
    assert summary["training_hyperparameters"]["total_train_batch_size"] == 8
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 6
    _check_hub_folder(out / "final", tiny)


def test_a_diverged_run_stops_with_a_clear_error_and_saves_nothing(tiny, tmp_path):
    """NaN weights (a diverged step) stop the run at the first logging step, before any checkpoint or final folder:
    the Trainer alone would log loss 0 and grad_norm nan and train on."""
    import shutil

    from safetensors.torch import load_file, save_file

    from recipes.scripts.spirit_recipe import TrainingDivergedError

    start = tmp_path / "nan-start"
    shutil.copytree(tiny["model"], start)
    state = load_file(start / "model.safetensors")
    name = next(k for k in state if k.endswith("mlp.down_proj.weight"))
    state[name][0, 0] = float("nan")  # one NaN: the first step's loss and gradients, then every weight, go NaN
    save_file(state, str(start / "model.safetensors"), metadata={"format": "pt"})
    out = tmp_path / "run"
    with pytest.raises(TrainingDivergedError, match=r"diverged: after step 1 .*holds NaN or inf.*learning_rate"):
        _run("pretrain", TINY / "pretrain" / "config.yaml", dict(tiny, model=str(start)), out,
             "--dataset_mixture", _mixture(tiny), "--max_steps", 4, "--logging_steps", 1, "--save_steps", 1)
    assert not (out / "final").exists()
    assert not list(out.glob("checkpoint-*"))
