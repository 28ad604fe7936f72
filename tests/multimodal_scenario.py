# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""transformers' multimodal API on one Spirit LM folder, checked against pipeline("spirit-lm") (greedy).

Self-contained (imports no repository code), so that tests/test_multimodal_api.py runs the same checks with the
package installed and, through ``remote_code.run_without_package``, from the folder's remote code alone:
``run(folder, out_dir, remote)`` asserts every equality and writes ``out_dir/result.json`` and ``out_dir/audio.npz``
(the values the two runs must share).
"""

import importlib
import json
import os
import threading
from pathlib import Path

import numpy as np
from transformers import AutoModelForCausalLM, AutoProcessor, GenerationConfig, pipeline

GREEDY = {"do_sample": False}
WAV = (0.1 * np.random.RandomState(0).randn(24000)).astype(np.float32)
WAV2 = (0.1 * np.random.RandomState(1).randn(16000)).astype(np.float32)
CASES = {
    "t": [("text", "the dog ")],
    "s": [("speech", WAV)],
    "ts": [("text", "the dog "), ("speech", WAV)],
    "st": [("speech", WAV), ("text", " finds")],
    "tst": [("text", "the dog "), ("speech", WAV), ("text", "finds"), ("text", " a key")],
}

# The original README's examples (spec §7.1 API), verbatim but for their import line (IMPORTS).
README_EXAMPLES = '''
from transformers import GenerationConfig

# load the model
spirit_lm = Spiritlm("spirit-lm-base-7b")

# generate from text
text_out = spirit_lm.generate(
    output_modality=OutputModality.TEXT,
    interleaved_inputs=[
        GenerationInput(
            content="The largest country in the world is",
            content_type=ContentType.TEXT,
        )
    ],
    generation_config=GenerationConfig(
        temperature=0.9,
        top_p=0.95,
        max_new_tokens=50,
        do_sample=True,
    ),
)

# speech continuation
speech_out = spirit_lm.generate(
    output_modality=OutputModality.SPEECH,
    interleaved_inputs=[
        GenerationInput(
            content="examples/audio/7143-88743-0029.flac",
            content_type=ContentType.SPEECH,
        )
    ],
    generation_config=GenerationConfig(
        temperature=0.9,
        top_p=0.95,
        max_new_tokens=200,
        do_sample=True,
    ),
)

# interleaved, any modality out, with the prompt
arbitrary_out, prompt = spirit_lm.generate(
    output_modality="arbitrary",
    interleaved_inputs=[("text", "One of the most beautiful"), ("speech", "examples/audio/7143-88743-0029.flac")],
    generation_config=GenerationConfig(max_new_tokens=30, do_sample=False),
    return_prompt=True,
)

# the speech tokenizer
from spiritlm.speech_tokenizer import spiritlm_base
tokenizer = spiritlm_base()
audio = "examples/audio/7143-88743-0029.flac"
units = tokenizer.encode_units(audio)
string_tokens = tokenizer.encode_string(audio)
resyn_wav = tokenizer.decode(units, speaker_id=2, dur_pred=False)
resyn_dedup_wav = tokenizer.decode(string_tokens, speaker_id=2)
'''
ORIGINAL_IMPORT = "from spiritlm.model.spiritlm_model import Spiritlm, OutputModality, GenerationInput, ContentType\n"
IMPORT_PACKAGE = "from modeling_spirit.compat import Spiritlm, OutputModality, GenerationInput, ContentType\n"
IMPORT_REMOTE = ("from transformers.dynamic_module_utils import get_class_from_dynamic_module as _g; Spiritlm, "
                 "OutputModality, GenerationInput, ContentType = (_g('compat.' + n, 'spirit-lm-base-7b') for n in "
                 "('Spiritlm', 'OutputModality', 'GenerationInput', 'ContentType'))\n")


def readme_examples(remote: bool, variant: str = "base", quick: bool = False) -> str:
    """The README examples with their import lines (the LM's, the speech tokenizer's) pointing here; for the
    expressive variant, the README's expressive lines (its name, ``spiritlm_expressive``). ``quick``: 20 new tokens
    instead of 200 in the speech example."""
    code = ORIGINAL_IMPORT + README_EXAMPLES
    if quick:
        code = code.replace("max_new_tokens=200", "max_new_tokens=20")
    if variant == "expressive":
        code = code.replace("spirit-lm-base-7b", "spirit-lm-expressive-7b").replace("spiritlm_base",
                                                                                    "spiritlm_expressive")
    factory = "spiritlm_expressive" if variant == "expressive" else "spiritlm_base"
    name = f"spirit-lm-{variant}-7b"
    code = code.replace(ORIGINAL_IMPORT, (IMPORT_REMOTE.replace("spirit-lm-base-7b", name) if remote
                                          else IMPORT_PACKAGE))
    tok_import = f"from spiritlm.speech_tokenizer import {factory}\n"
    tok_new = (f"{factory} = _g('compat.{factory}', '{name}')\n" if remote
               else f"from modeling_spirit.compat import {factory}\n")
    return code.replace(tok_import, tok_new)


def messages(items, split=False):
    """Items → chat messages: one user message, or (``split``) one message per item, alternating roles."""
    content = [{"type": "text", "text": c} if k == "text" else {"type": "audio", "audio": c} for k, c in items]
    if not split:
        return [{"role": "user", "content": content}]
    return [{"role": ("user", "assistant")[i % 2], "content": [c]} for i, c in enumerate(content)]


def _text(segments):
    return "".join(s["text"] for s in segments if s["type"] == "text")


def _audio(segments):
    chunks = [s["audio"] for s in segments if s["type"] == "speech"]
    return np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.float32)


def _same_events(a, b):
    assert len(a) == len(b), (len(a), len(b))
    for x, y in zip(a, b):
        assert x["type"] == y["type"] and x["segment"] == y["segment"]
        if x["type"] == "text":
            assert x["text"] == y["text"]
        else:
            assert np.array_equal(x["audio"], y["audio"]) and x["sampling_rate"] == y["sampling_rate"]


def run(out_dir, variant: str, remote: bool, get, quick: bool = False):
    """All checks on the folder ``out_dir/spirit-lm-<variant>-7b`` (beside ``examples/audio/*.flac``);
    ``get(module, name)`` returns a class of the package (or of the remote code); results in ``out_dir``.
    ``quick``: fewer input combinations (every direction still)."""
    kw = {"trust_remote_code": True} if remote else {}
    out_dir = Path(out_dir)
    folder = str(out_dir / f"spirit-lm-{variant}-7b")
    res, audio = {}, {}
    sp = pipeline("spirit-lm", model=folder, **kw)
    proc = AutoProcessor.from_pretrained(folder, **kw)
    res["modules"] = [type(sp).__module__, type(proc).__module__]

    # 1. The chat template gives the pipeline's prompt ids (and string, without audio) in every direction.
    ids = {}
    for name, items in CASES.items():
        if quick and name not in ("t", "ts", "st"):
            continue
        for mode in ("text", "speech", "arbitrary"):
            ref = sp.preprocess(items, output_modality=mode)
            for split in ((name == "ts",) if quick else (False, True)):
                msgs = messages(items, split)
                got = proc.apply_chat_template(msgs, add_generation_prompt=True, output_modality=mode, tokenize=True,
                                               return_dict=True)["input_ids"][0].tolist()
                assert got == ref["prompt_ids"], (name, mode, split)
                if "s" not in name:
                    assert proc.apply_chat_template(msgs, add_generation_prompt=True, output_modality=mode) == \
                        ref["prompt"]
            ids[f"{name}-{mode}"] = ref["prompt_ids"]
    res["template_ids"] = ids

    # Few-shot prompts written as messages (examples alternate user/assistant turns).
    audio_msg = lambda w: {"role": "user", "content": [{"type": "audio", "audio": w}]}  # noqa: E731
    asr = [audio_msg(WAV), {"role": "assistant", "content": "the dog"}, audio_msg(WAV2),
           {"role": "assistant", "content": [{"type": "text", "text": "a cat"}]}, audio_msg(WAV)]
    got = proc.apply_chat_template(asr, add_generation_prompt=True, output_modality="text", tokenize=True)[0].tolist()
    assert got == sp.preprocess(WAV, few_shot=("asr", [(WAV, "the dog"), (WAV2, "a cat")]))["prompt_ids"]
    tts = [{"role": "user", "content": "the dog"}, {"role": "assistant", "content": [{"type": "audio", "audio": WAV}]},
           {"role": "user", "content": "the hill"}]
    got = proc.apply_chat_template(tts, add_generation_prompt=True, output_modality="speech", tokenize=True)[0].tolist()
    assert got == sp.preprocess("the hill", few_shot=("tts", [("the dog", WAV)]))["prompt_ids"]
    intent = [audio_msg(WAV), {"role": "assistant", "content": "A:lights on"}, audio_msg(WAV2),
              {"role": "assistant", "content": "A:"}]
    got = proc.apply_chat_template(intent, continue_final_message=True, tokenize=True)[0].tolist()
    assert got == sp.preprocess(WAV2, few_shot=("intent", [(WAV, "lights on")]))["prompt_ids"]

    # 2. pipeline("any-to-any"): text and audio equal pipeline("spirit-lm")'s greedy outputs.
    a2a = pipeline("any-to-any", model=folder, **kw)
    res["modules"].append(type(a2a.model).__module__)
    texts = {}
    for name in (("ts",) if quick else ("t", "s", "ts", "st")):
        items = CASES[name]
        got = a2a(text=messages(items), max_new_tokens=10, generate_kwargs=GREEDY, return_full_text=False)
        ref = sp(items, output_modality="text", max_new_tokens=10, **GREEDY)
        assert got[0]["generated_text"] == _text(ref), (name, got, ref)
        texts[name] = _text(ref)
        got = a2a(text=messages(items), generation_mode="audio", max_new_tokens=14, generate_kwargs=GREEDY)
        ref = sp(items, output_modality="speech", max_new_tokens=14, **GREEDY)
        assert np.array_equal(got[0]["generated_audio"], _audio(ref)), name
        audio[f"a2a-{name}"] = got[0]["generated_audio"]
    full = a2a(text=messages(CASES["ts"]), max_new_tokens=10, generate_kwargs=GREEDY)[0]["generated_text"]
    assert full[-1] == {"role": "assistant", "content": texts["ts"]}
    plain = a2a("the dog ", max_new_tokens=10, generate_kwargs=GREEDY, return_full_text=False)
    assert plain[0]["generated_text"] == _text(sp("the dog ", output_modality="text", max_new_tokens=10, **GREEDY))
    res["a2a_texts"] = texts

    # 3. The generate streamer, in a thread, equals the streaming pipeline.
    streamer_cls = get("streamer_spirit_lm", "SpiritLMStreamer")
    model = a2a.model
    causal = AutoModelForCausalLM.from_pretrained(folder, **kw)
    modes = (("speech", model, {"generation_mode": "audio"}), ("text", model, {}),
             ("arbitrary", causal, {"output_modality": "arbitrary"}))
    for mode, lm, extra in (modes[::2] if quick else modes):
        items = CASES["ts"]
        inputs = proc.apply_chat_template(messages(items), add_generation_prompt=True, output_modality=mode,
                                          tokenize=True, return_dict=True)
        streamer = streamer_cls(lm, proc, output_modality=mode, chunk_units=5)
        thread = threading.Thread(target=lm.generate, kwargs={**inputs, **extra, "streamer": streamer,
                                                              "max_new_tokens": 30, **GREEDY})
        thread.start()
        events = list(streamer)
        thread.join()
        ref = list(sp(items, output_modality=mode, max_new_tokens=30, stream=True, chunk_units=5, **GREEDY))
        _same_events(events, ref)
        assert events, mode
        for k, e in enumerate(e for e in events if e["type"] == "speech"):
            audio[f"stream-{mode}-{k}"] = e["audio"]

    # 4. The original's API: README examples (import line rewritten), and greedy outputs equal the pipeline's.
    cwd = os.getcwd()
    os.chdir(out_dir)
    try:
        scope = {}
        exec(readme_examples(remote, variant, quick), scope)
        assert isinstance(scope["text_out"], list) and scope["text_out"][0].content_type.name == "TEXT"
        assert isinstance(scope["text_out"][0].content, str)
        assert scope["speech_out"][0].content_type.name == "SPEECH"
        assert isinstance(scope["speech_out"][0].content, np.ndarray)
        assert scope["prompt"].startswith("[Text]One of the most beautiful[Speech][") and "[Hu" in scope["prompt"]
        assert set(scope["units"]) >= {"audio", "hubert"} and isinstance(scope["units"]["hubert"], str)
        assert scope["string_tokens"].startswith("[")
        assert isinstance(scope["resyn_wav"], np.ndarray) and isinstance(scope["resyn_dedup_wav"], np.ndarray)
        lm = scope["spirit_lm"]
        path = "examples/audio/7143-88743-0029.flac"
        for mode in (("SPEECH",) if quick else ("TEXT", "SPEECH", "ARBITRARY")):
            got, prompt = lm.generate(interleaved_inputs=[("speech", path), ("text", "the")], output_modality=mode,
                                      generation_config=GenerationConfig(max_new_tokens=30, do_sample=False),
                                      return_prompt=True)
            ref, ref_prompt = sp([("speech", Path(path)), ("text", "the")], output_modality=mode.lower(),
                                 max_new_tokens=30, original_banned_tokens=True, speaker_id=2, return_prompt=True,
                                 **GREEDY)
            assert prompt == ref_prompt and len(got) == len(ref), mode
            for g, r in zip(got, ref):
                assert g.content_type.name == r["type"].upper()
                assert (g.content == r["text"]) if r["type"] == "text" else np.array_equal(g.content, r["audio"])
            res[f"compat-{mode}"] = prompt
        audio["compat-arbitrary"] = _audio([{"type": "speech", "audio": o.content} for o in scope["arbitrary_out"]
                                            if o.content_type.name == "SPEECH"])
    finally:
        os.chdir(cwd)

    (out_dir / "result.json").write_text(json.dumps(res))
    np.savez(out_dir / "audio.npz", **audio)
    return res


def remote_script(out_dir, variant: str, quick: bool = False) -> str:
    """This file's source plus a call of :func:`run` from remote code only (for ``run_without_package``)."""
    folder = str(Path(out_dir) / f"spirit-lm-{variant}-7b")
    return Path(__file__).read_text() + f"""
from transformers.dynamic_module_utils import get_class_from_dynamic_module
run({str(out_dir)!r}, {variant!r}, True, lambda module, name: get_class_from_dynamic_module(module + "." + name,
                                                                                        {folder!r}), {quick!r})
print("OK")
"""


def package_get(module, name):
    return getattr(importlib.import_module("modeling_spirit." + module), name)
