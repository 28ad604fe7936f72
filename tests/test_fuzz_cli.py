# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Fuzz of the ``spirit-lm`` command (issue 20): ``recipes.cli.main([...])`` with bad arguments, missing or damaged
files, bad unit strings and bad model folders.

Property: exit status 0 with the promised output, or a non-zero exit with a one-line ``spirit-lm CMD: error: ...``
(2 for usage errors) on stderr; never a traceback, never an output file left behind by a failed command.
"""

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings, strategies as st

from fuzz_outcomes import record
from recipes.cli import main

FAST = settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
LONG = settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    from recipes.tiny.models import build_tiny_spirit_lm

    return build_tiny_spirit_lm(str(tmp_path_factory.mktemp("fuzzcli") / "tiny-base"), "base")


@pytest.fixture(scope="module")
def files(tmp_path_factory, tiny):
    """Good and bad audio files and model folders."""
    d = tmp_path_factory.mktemp("fuzzcli-files")
    rng = np.random.default_rng(0)
    sf.write(str(d / "ok.wav"), (0.1 * rng.standard_normal(8000)).astype(np.float32), 16000)
    sf.write(str(d / "rate8k.wav"), (0.1 * rng.standard_normal(4000)).astype(np.float32), 8000)
    sf.write(str(d / "stereo.wav"), (0.1 * rng.standard_normal((8000, 2))).astype(np.float32), 16000)
    sf.write(str(d / "empty.wav"), np.zeros(0, dtype=np.float32), 16000)
    data = (d / "ok.wav").read_bytes()
    (d / "cut.wav").write_bytes(data[: len(data) // 3])
    (d / "header.wav").write_bytes(data[:44])
    (d / "garbage.wav").write_bytes(b"\x00\xffnot audio" * 50)
    (d / "zero.wav").write_bytes(b"")
    (d / "text.txt").write_text("hello")
    (d / "adir").mkdir()
    (d / "units.txt").write_text("[Hu1][Hu2]\n")
    (d / "badunits.txt").write_text("[Hu1][Hu9999]\n")
    # Model folders: empty, a file, garbage config, no vocoder/, damaged vocoder weights, speech tokenizer config cut.
    (d / "m_empty").mkdir()
    (d / "m_file").write_text("x")
    for name in ("m_badconfig", "m_novocoder", "m_badvocoder", "m_badtok", "m_badvoccfg"):
        shutil.copytree(tiny, d / name)
    (d / "m_badconfig" / "config.json").write_text("{oops")
    shutil.rmtree(d / "m_novocoder" / "vocoder")
    w = next((d / "m_badvocoder" / "vocoder").glob("*.safetensors"))
    w.write_bytes(w.read_bytes()[:1000])
    (d / "m_badtok" / "speech_tokenizer" / "config.json").write_text("[]")
    (d / "m_badvoccfg" / "vocoder" / "config.json").write_text(json.dumps({"model_type": "spirit_lm_hifigan",
                                                                              "num_embeddings": -3}))
    return d


def _run(capsys, argv, outputs=(), success="right"):
    """Run main(argv); check the CLI property; record the outcome (``success`` for exit status 0); return
    (status, stderr)."""
    try:
        status = main(argv)
    except SystemExit as exit_:
        status = exit_.code
    except BaseException as err:  # noqa: BLE001 - anything else escaping main is a raw traceback for the user
        pytest.fail(f"{argv!r}: {type(err).__name__} escaped main (the user gets a traceback): {err}")
    out, err = capsys.readouterr()
    assert "Traceback" not in err + out, (argv, err)
    status = 0 if status is None else status
    if status == 0:
        record("cli: " + (argv[0] if argv else "(none)"), success)
        return status, err
    assert status in (1, 2), (argv, status, err)
    errors = [line for line in err.splitlines() if ": error:" in line]
    assert len(errors) == 1 and err.rstrip().splitlines()[-1] == errors[0].rstrip(), (argv, err)
    assert len(errors[0]) > len("spirit-lm x: error: ") + 10, errors
    for path in outputs:
        assert not Path(path).exists() or Path(path).is_dir(), f"{argv!r} failed but left {path}"
    record("cli: " + (argv[0] if argv else "(none)"), "error")
    return status, err


# ------------------------------------------------------------------------------------------------ decode
UNITS_ARG = st.one_of(
    st.lists(st.tuples(st.sampled_from(["Hu", "Hu", "Pi", "St"]), st.integers(0, 520)).map(
        lambda t: f"[{t[0]}{t[1]}]"), min_size=1, max_size=8).map("".join),
    st.lists(st.sampled_from(["[Hu1]", "[Hu-1]", "[Hu01]", " ", "\n", "[Speech]", "[Text]", "x", "[Hu", "[Hu3] [Hu4]",
                              "[Pi3]", "[St2]", "[Hu500]", "[Hu501]", "12", "-"]), min_size=1, max_size=6).map("".join),
    st.text(max_size=12).filter(lambda s: not s.startswith("-") or s == "-"),
)
ID_ARG = st.one_of(st.none(), st.sampled_from(["0", "3", "4", "-1", "tiny-speaker-1", "nobody", "1.5", "", "happy",
                                               "99999999999999999999"]))


def _check_decode(capsys, tiny, files, tmp_path, units, speaker, style, use_file):
    out = tmp_path / "o.wav"
    if out.exists():
        out.unlink()
    arg = units
    if use_file:
        arg = str(tmp_path / "u.txt")
        Path(arg).write_text(units)
    argv = ["decode", tiny, arg, "--output", str(out)]
    if speaker is not None:
        argv += ["--speaker-id", speaker]
    if style is not None:
        argv += ["--style-id", style]
    status, err = _run(capsys, argv, outputs=[out])
    if status == 0:
        audio, rate = sf.read(str(out), dtype="float32")
        n = len(re.findall(r"\[Hu\d+\]", units))
        assert rate == 16000 and audio.ndim == 1 and len(audio) % 640 == 0 and (len(audio) > 0) == (n > 0)


@FAST
@given(units=UNITS_ARG, speaker=ID_ARG, style=ID_ARG, use_file=st.booleans())
def test_decode(capsys, tiny, files, tmp_path_factory, units, speaker, style, use_file):
    _check_decode(capsys, tiny, files, tmp_path_factory.mktemp("dec"), units, speaker, style, use_file)


@pytest.mark.fuzz_long
@LONG
@given(units=UNITS_ARG, speaker=ID_ARG, style=ID_ARG, use_file=st.booleans())
def test_decode_long(capsys, tiny, files, tmp_path_factory, units, speaker, style, use_file):
    _check_decode(capsys, tiny, files, tmp_path_factory.mktemp("dec"), units, speaker, style, use_file)


# ------------------------------------------------------------------------------------------------ bad files/folders
MODELS = ["m_empty", "m_file", "m_badconfig", "m_novocoder", "m_badvocoder", "m_badtok", "m_badvoccfg", "missing"]
AUDIO = ["ok.wav", "rate8k.wav", "stereo.wav", "empty.wav", "cut.wav", "header.wav", "garbage.wav", "zero.wav",
         "text.txt", "adir", "missing.wav"]


def _folder_case(m, c):
    # generate loads all three models: the default run keeps the folders that fail early, the slow run has all.
    slow = c == "generate" and m in ("m_novocoder", "m_badvoccfg")
    return pytest.param(m, c, marks=pytest.mark.fuzz_long) if slow else (m, c)


@pytest.mark.parametrize("model,command", [_folder_case(m, c) for m in MODELS
                                           for c in ("generate", "encode", "decode", "push")])
def test_bad_model_folders(capsys, files, tmp_path, model, command):
    m = str(files / model)
    out = tmp_path / "out.wav"
    argv = {"generate": ["generate", m, "--text", "hi", "--max-new-tokens", "2"],
            "encode": ["encode", m, str(files / "ok.wav"), "--output", str(tmp_path / "u.txt")],
            "decode": ["decode", m, "[Hu1][Hu2]", "--output", str(out)],
            "push": ["push", m, "spirit-test/x", "--dry-run"]}[command]
    status, _ = _run(capsys, argv, outputs=[out, tmp_path / "u.txt"])
    # Only the parts that exist may be used: a folder without vocoder/ still generates text and encodes.
    # encode/decode read only speech_tokenizer/ or vocoder/, so a bad top-level config.json does not concern them.
    ok = {("m_badconfig", "encode"), ("m_badconfig", "decode"), ("m_novocoder", "generate"), ("m_novocoder", "encode"), ("m_badtok", "decode"), ("m_badvocoder", "encode"),
          ("m_badvoccfg", "generate"), ("m_badvoccfg", "encode"), ("m_badtok", "generate"),
          ("m_badvocoder", "generate")}
    if (model, command) not in ok:
        assert status != 0, f"{argv!r} succeeded on a bad model folder"


def _audio_case(a, c):
    # generate loads all three models: the default run keeps two files, the slow run has all.
    if c == "generate" and a not in ("empty.wav", "garbage.wav"):
        return pytest.param(a, c, marks=pytest.mark.fuzz_long)
    return (a, c)


@pytest.mark.parametrize("audio,command", [_audio_case(a, c) for a in AUDIO for c in ("encode", "generate")])
def test_bad_audio_files(capsys, tiny, files, tmp_path, audio, command):
    units = tmp_path / "u.txt"
    argv = (["encode", tiny, str(files / audio), "--output", str(units)] if command == "encode" else
            ["generate", tiny, "--audio", str(files / audio), "--max-new-tokens", "2"])
    short = audio in ("empty.wav", "header.wav")
    status, err = _run(capsys, argv, outputs=[units], success="documented" if short else "right")
    if audio in ("ok.wav", "rate8k.wav", "stereo.wav"):
        assert status == 0, err
    elif audio in ("adir", "missing.wav", "text.txt", "garbage.wav", "zero.wav"):
        assert status != 0, f"{argv!r}: bad audio accepted"
    elif short and status == 0:
        # Documented (the original's rule): audio shorter than 80 ms has no units; encode writes an empty line.
        if command == "encode":
            assert units.read_text() == "\n"
    if status == 0 and command == "encode":
        assert re.fullmatch(r"(\[Hu\d+\])*\n", units.read_text())


# ------------------------------------------------------------------------------------------------ argument soup
TOKENS = ["--text", "hi", "--audio", "--output", "--max-new-tokens", "-1", "0", "abc", "1e9", "--temperature", "nan",
          "-0.5", "--top-p", "2", "--seed", "-3", "--speaker-id", "--output-modality", "speech", "text", "video",
          "--device", "cpu", "tpu:9", "--revision", "--dry-run", "--style-id", "[Hu1]", "--fast", "--variant", "base",
          "--checkpoints-dir", "--output-dir", "--dtype", "int8", "", " ", "--", "-"]


@FAST
@given(command=st.sampled_from(["generate", "encode", "decode", "push", "convert", "frobnicate"]),
       rest=st.lists(st.sampled_from(TOKENS + ["@MODEL", "@AUDIO", "@DIR", "@OUT", "@MISSING"]), max_size=8))
def test_argument_soup(capsys, tiny, files, tmp_path_factory, command, rest):
    d = tmp_path_factory.mktemp("soup")
    subst = {"@MODEL": tiny, "@AUDIO": str(files / "ok.wav"), "@DIR": str(d), "@OUT": str(d / "o.wav"),
             "@MISSING": str(d / "missing")}
    argv = [command] + [subst.get(t, t) for t in rest]
    if command == "push" and "--dry-run" not in argv:
        argv.append("--dry-run")  # never upload
    if command == "convert":
        argv = [a if a != str(files / "ok.wav") else str(d / "missing") for a in argv]
    _run(capsys, argv, outputs=[d / "o.wav"] if command != "convert" else [])


# ------------------------------------------------------------------------------------------------ outputs
@pytest.mark.parametrize("where", [
    "a_dir", "in_missing_parent", "in_a_file"])
def test_generate_output_paths(capsys, tiny, tmp_path, where):
    """--output must be writable: a directory or a path under a file is refused (before generating)."""
    (tmp_path / "a_dir").mkdir()
    (tmp_path / "f").write_text("x")
    target = {"a_dir": tmp_path / "a_dir", "in_missing_parent": tmp_path / "new" / "o.wav",
              "in_a_file": tmp_path / "f" / "o.wav"}[where]
    status, err = _run(capsys, ["generate", tiny, "--text", "hi", "--output-modality", "speech", "--max-new-tokens",
                                "4", "--output", str(target)])
    if where == "in_missing_parent":
        assert status == 0 or "No speech" in err
    else:
        assert status != 0
