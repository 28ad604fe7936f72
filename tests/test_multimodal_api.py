# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""transformers' multimodal API (issue 22): the chat template, pipeline("any-to-any"), the generate streamer and the
original's API (modeling_spirit.compat) equal pipeline("spirit-lm") on the toy model and on converted stand-ins,
with the package installed and from a folder's remote code alone (tests/multimodal_scenario.py holds the checks)."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

import soundfile as sf

import modeling_spirit  # noqa: F401  (registers spirit_lm)
import multimodal_scenario as scenario
from modeling_spirit.hub_folder import make_hub_ready
from recipes.toy import TOY_MODEL
from remote_code import run_without_package

README_AUDIO = "7143-88743-0029.flac"  # the README's examples/audio file (LibriSpeech)


def _workdir(root: Path, variant: str, folder) -> Path:
    """``root/spirit-lm-<variant>-7b`` (a Hub-ready copy of ``folder``) and ``root/examples/audio/<flac>``."""
    shutil.copytree(folder, root / f"spirit-lm-{variant}-7b")
    make_hub_ready(root / f"spirit-lm-{variant}-7b")
    (root / "examples" / "audio").mkdir(parents=True)
    target = root / "examples" / "audio" / README_AUDIO
    # A 2 s recording stands in for the README's LibriSpeech file (its content does not matter here).
    sf.write(str(target), (0.1 * np.sin(np.arange(32000) / 7.0)).astype(np.float32), 16000)
    return root


def _check_both(root: Path, variant: str, tmp_path: Path, quick: bool = False):
    here = scenario.run(root, variant, False, scenario.package_get, quick)
    assert here["modules"] == ["modeling_spirit.pipeline_spirit_lm", "modeling_spirit.processing_spirit_lm",
                               "modeling_spirit.modeling_spirit_multimodal_lm"]
    audio_here = dict(np.load(root / "audio.npz"))
    res = run_without_package(scenario.remote_script(root, variant, quick), tmp_path, timeout=900)
    assert res.returncode == 0 and res.stdout.strip().endswith("OK"), res.stderr[-4000:]
    there = json.loads((root / "result.json").read_text())
    assert all(m.startswith("transformers_modules.") for m in there["modules"]), there["modules"]
    assert sorted(here) == sorted(there)
    for key in here:
        if key != "modules":
            assert here[key] == there[key], key
    audio_there = dict(np.load(root / "audio.npz"))
    assert sorted(audio_here) == sorted(audio_there)
    for key in audio_here:
        if key != "compat-arbitrary":  # sampled in the README example
            assert np.array_equal(audio_here[key], audio_there[key]), key


@pytest.mark.slow
def test_tiny_model_installed_and_remote_code_only(tmp_path):
    from recipes.tiny.models import build_tiny_spirit_lm

    tiny = build_tiny_spirit_lm(str(tmp_path / "tiny"), "base")
    _check_both(_workdir(tmp_path / "w", "base", tiny), "base", tmp_path, quick=True)


@pytest.mark.slow
def test_toy_model_installed_and_remote_code_only(tmp_path):
    _check_both(_workdir(tmp_path / "w", "base", TOY_MODEL), "base", tmp_path)


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["base", "expressive"])
def test_converted_standins_installed_and_remote_code_only(tmp_path, variant):
    from modeling_spirit.convert import convert_all
    from standin_hifigan import build_hifigan_standin
    from standin_lm import build_lm_standin
    from standin_speech_tokenizer import build_speech_tokenizer_standins

    ckpt = tmp_path / "checkpoints"
    build_lm_standin(ckpt, variant)
    build_speech_tokenizer_standins(ckpt, variant)
    build_hifigan_standin(ckpt, variant)
    folder = convert_all(ckpt, variant, tmp_path / "out")
    _check_both(_workdir(tmp_path / "w", variant, folder), variant, tmp_path, quick=True)


# ---------------------------------------------------------------------------------------------------------------
# The default suite: the same API on the tiny model, in this process (few speech encodings: they are the slow part).
# ---------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from recipes.tiny.models import build_tiny_spirit_lm

    return build_tiny_spirit_lm(str(tmp_path_factory.mktemp("mm") / "tiny"), "base")


@pytest.fixture(scope="module")
def sp(tiny):
    from transformers import pipeline

    return pipeline("spirit-lm", model=tiny)


@pytest.fixture(scope="module")
def proc(tiny):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(tiny)


def test_chat_template_is_the_pipeline_prompt_in_every_direction(sp, proc):
    items = [("text", "the dog "), ("text", "finds"), ("speech", scenario.WAV2[:4000]), ("text", " a key")]
    for mode in ("text", "speech", "arbitrary"):
        for case in (items[:1], items[:2], items):
            ref = sp.preprocess(case, output_modality=mode)
            msgs = scenario.messages(case, split=len(case) == 4)
            ids = proc.apply_chat_template(msgs, add_generation_prompt=True, output_modality=mode, tokenize=True,
                                           return_dict=True)["input_ids"][0].tolist()
            assert ids == ref["prompt_ids"], (mode, len(case))
            if len(case) < 4:
                assert proc.apply_chat_template(msgs, add_generation_prompt=True, output_modality=mode) == ref["prompt"]
    # without output_modality the generation prompt adds nothing (arbitrary), as the pipeline's default
    assert proc.apply_chat_template(scenario.messages(items[:1]), add_generation_prompt=True) == "[Text]the dog "


def test_few_shot_prompts_written_as_messages(sp, proc):
    unit = "[Hu3][Hu7]"  # audio may be given as units in few-shot examples; as messages it is audio
    wav = scenario.WAV2[:4000]
    msgs = [{"role": "user", "content": "the dog"}, {"role": "assistant", "content": [{"type": "audio", "audio": wav}]},
            {"role": "user", "content": "the hill"}]
    got = proc.apply_chat_template(msgs, add_generation_prompt=True, output_modality="speech", tokenize=True)
    assert got[0].tolist() == sp.preprocess("the hill", few_shot=("tts", [("the dog", wav)]))["prompt_ids"]
    msgs = [{"role": "user", "content": [{"type": "text", "text": unit}]}, {"role": "assistant", "content": "A:on"},
            {"role": "user", "content": [{"type": "text", "text": unit}]}, {"role": "assistant", "content": "A:"}]
    # a prompt written with unit strings as text (the pipeline keeps typed markers verbatim, as the original)
    assert proc.apply_chat_template(msgs, continue_final_message=True) == f"[Text]{unit}A:on{unit}A:"


def test_chat_template_is_saved_with_the_folder(tiny, proc, tmp_path):
    from transformers import AutoProcessor

    from modeling_spirit.processing_spirit_lm import CHAT_TEMPLATE

    assert (Path(tiny) / "chat_template.jinja").read_text() == CHAT_TEMPLATE
    proc.save_pretrained(tmp_path / "p")
    assert (tmp_path / "p" / "chat_template.jinja").read_text() == CHAT_TEMPLATE
    again = AutoProcessor.from_pretrained(tmp_path / "p")
    msgs = scenario.messages([("text", "the dog")])
    assert again.chat_template == proc.chat_template
    assert again.apply_chat_template(msgs, tokenize=True)[0].tolist() == proc.apply_chat_template(msgs, tokenize=True)[0].tolist()


def test_any_to_any_text_and_audio_equal_the_pipeline(tiny, sp):
    from transformers import pipeline

    a2a = pipeline("any-to-any", model=tiny)
    assert type(a2a.model).__name__ == "SpiritLMForMultimodalLM"
    msgs = scenario.messages([("text", "the dog ")])
    got = a2a(text=msgs, max_new_tokens=8, generate_kwargs=scenario.GREEDY, return_full_text=False)
    assert got[0]["generated_text"] == scenario._text(sp("the dog ", output_modality="text", max_new_tokens=8,
                                                          **scenario.GREEDY))
    got = a2a(text=msgs, generation_mode="audio", max_new_tokens=8, generate_kwargs=scenario.GREEDY)
    ref = sp("the dog ", output_modality="speech", max_new_tokens=8, **scenario.GREEDY)
    assert got[0]["generated_audio"].size > 0 and np.array_equal(got[0]["generated_audio"], scenario._audio(ref))
    # what any-to-any cannot carry is refused with a clear error
    with pytest.raises(ValueError, match="arbitrary"):
        a2a(text=msgs, max_new_tokens=4, generate_kwargs={"output_modality": "arbitrary"})
    with pytest.raises(ValueError, match="generate_kwargs"):
        a2a(text=msgs, max_new_tokens=4, do_sample=False)  # a generate option given where the processor gets it
    from jinja2.exceptions import TemplateError

    with pytest.raises(TemplateError, match="Spirit LM reads text and audio"):
        a2a.processor.apply_chat_template([{"role": "user", "content": [{"type": "image", "url": "x.png"}]}])


def test_streamer_in_a_thread_equals_the_streaming_pipeline(tiny, sp, proc):
    import threading

    from transformers import AutoModelForMultimodalLM

    from modeling_spirit import SpiritLMStreamer

    model = AutoModelForMultimodalLM.from_pretrained(tiny)
    for mode, extra in (("speech", {"generation_mode": "audio"}), ("text", {})):
        inputs = proc.apply_chat_template(scenario.messages([("text", "the dog ")]), add_generation_prompt=True,
                                          output_modality=mode, tokenize=True, return_dict=True)
        streamer = SpiritLMStreamer(model, proc, output_modality=mode, chunk_units=4)
        thread = threading.Thread(target=model.generate, kwargs={**inputs, **extra, "streamer": streamer,
                                                                 "max_new_tokens": 12, **scenario.GREEDY})
        thread.start()
        events = list(streamer)
        thread.join()
        ref = list(sp("the dog ", output_modality=mode, max_new_tokens=12, stream=True, chunk_units=4,
                      **scenario.GREEDY))
        assert events and {e["type"] for e in events} == {"speech" if mode == "speech" else "text"}
        scenario._same_events(events, ref)


def test_compat_shim_returns_the_originals_types_and_the_pipelines_outputs(tiny, sp):
    from transformers import GenerationConfig

    from modeling_spirit.compat import ContentType, GenerationInput, GenerationOuput, OutputModality, Spiritlm

    lm = Spiritlm(tiny)
    out, prompt = lm.generate(
        interleaved_inputs=[GenerationInput("the dog ", ContentType.TEXT)], output_modality=OutputModality.SPEECH,
        generation_config=GenerationConfig(max_new_tokens=8, do_sample=False), return_prompt=True)
    ref, ref_prompt = sp("the dog ", output_modality="speech", max_new_tokens=8, do_sample=False,
                         original_banned_tokens=True, speaker_id=2, return_prompt=True)
    assert prompt == ref_prompt == "[Text]the dog [Speech]"
    assert [type(o) for o in out] == [GenerationOuput] and out[0].content_type == ContentType.SPEECH
    assert np.array_equal(out[0].content, ref[0]["audio"])
    text = lm.generate(interleaved_inputs=("text", "the dog "), output_modality="text", max_new_tokens=6,
                       do_sample=False)  # GenerationConfig attributes as keywords, a single tuple item
    assert text == [GenerationOuput(scenario._text(sp("the dog ", output_modality="text", max_new_tokens=6,
                                                      do_sample=False)), ContentType.TEXT)]
    with pytest.raises(ValueError, match="force_tokens_to_output_modality"):
        lm.generate(interleaved_inputs=[("text", "x")], force_tokens_to_output_modality=False)


def test_hub_card_tags_and_usage_show_both_pipelines_and_the_chat_template():
    from hub_cards import PIPELINE_TAG, render_model_card

    card = render_model_card({}, repo_id="someone/spirit-lm-base-7b", variant="base")
    assert card.data.pipeline_tag == PIPELINE_TAG == "any-to-any"
    assert {"audio", "audio-text-to-text", "text-to-speech", "automatic-speech-recognition", "speech-to-speech",
            "spoken-language-model"} <= set(card.data.tags)
    text = card.text
    assert 'pipeline("spirit-lm", model="someone/spirit-lm-base-7b"' in text
    assert 'pipeline("any-to-any", model="someone/spirit-lm-base-7b"' in text
    assert "apply_chat_template(messages" in text and 'generation_mode="audio"' in text
