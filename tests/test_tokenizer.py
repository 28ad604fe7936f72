# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Tokenizers: exact round trips, SentencePiece ids for slow and fast, one id per unit token, the real layout."""

import json
import random
from pathlib import Path

import pytest
import sentencepiece as spm

from modeling_spirit import SpiritLMConfig, SpiritLMTokenizer, SpiritLMTokenizerFast
from recipes.tiny.models import build_tiny_tokenizer, tiny_config_kwargs
from modeling_spirit.units import units_to_string

PROMPTS = [
    "[Text]hello world",
    "[Text]The cat sees[Speech]",
    "[Speech][St71][Pi39][Hu99][Hu49][Pi5][Hu38][Text]",
    "[Speech][Hu0][Hu500][Text] the fox, said robin. [Speech][St99][Pi63][Hu7]",
    "[Text]  two  spaces and trailing ",
    "[Text]Ünïcode 日本語 and bytes \u00e9\u0301 é",
    "[Text]a[b]c[Hu5]d[Hux] [Text [Speech]",
    " leading space[Text]x",
    "[Text]123 4567.89",
    "[Text]line\nbreak\ttab",
]


@pytest.fixture(scope="module")
def tok_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("tok")
    config = SpiritLMConfig(**tiny_config_kwargs("expressive"))
    build_tiny_tokenizer(config, str(d))
    return d, config


@pytest.mark.parametrize("cls", [SpiritLMTokenizer, SpiritLMTokenizerFast])
def test_round_trip_and_sentencepiece_ids(tok_dir, cls):
    d, config = tok_dir
    tok = cls.from_pretrained(str(d))
    sp = spm.SentencePieceProcessor(model_file=str(d / "tokenizer.model"))
    for p in PROMPTS:
        ids = tok(p)["input_ids"]
        assert ids[0] == tok.bos_token_id and ids[-1] != tok.eos_token_id
        assert ids == [1] + sp.encode(p), p  # the original's (SentencePiece) ids, not only its strings
        assert tok.decode(ids, skip_special_tokens=True) == p


def test_prompt_starting_with_marker_has_lone_dummy_prefix_piece(tok_dir):
    d, config = tok_dir
    for cls in (SpiritLMTokenizer, SpiritLMTokenizerFast):
        tok = cls.from_pretrained(str(d))
        assert tok.convert_ids_to_tokens(tok("[Text]hello")["input_ids"][:3]) == ["<s>", "▁", "[Text]"]


def test_unit_strings_one_id_per_unit(tok_dir):
    d, config = tok_dir
    rng = random.Random(0)
    units = {"hubert": [rng.randrange(501) for _ in range(200)], "pitch": [rng.randrange(64) for _ in range(100)],
             "style": [rng.randrange(100) for _ in range(8)]}
    s = units_to_string(units)
    n_tokens = s.count("[")
    for cls in (SpiritLMTokenizer, SpiritLMTokenizerFast):
        tok = cls.from_pretrained(str(d))
        ids = tok("[Speech]" + s)["input_ids"]
        assert ids[:3] == [1, tok.convert_tokens_to_ids("▁"), config.speech_marker_id]
        unit_ids = ids[3:]
        assert len(unit_ids) == n_tokens
        tokens = [s[i:j + 1] for i, j in zip([k for k, c in enumerate(s) if c == "["],
                                                 [k for k, c in enumerate(s) if c == "]"])]
        for tid, token in zip(unit_ids, tokens):
            stream = {"Hu": "hubert", "Pi": "pitch", "St": "style"}[token[1:3]]
            assert tid == config.unit_to_id(stream, int(token[3:-1]))


def test_batch_left_padding(tok_dir):
    d, _ = tok_dir
    tok = SpiritLMTokenizerFast.from_pretrained(str(d), padding_side="left", pad_token="</s>")
    batch = tok(["[Text]a", "[Text]a much longer prompt"], padding=True)
    assert batch["attention_mask"][0][0] == 0 and batch["input_ids"][0][-1] == tok("[Text]a")["input_ids"][-1]


def test_real_32000_layout(tmp_path):
    from standin_lm import real_layout_sp_model

    for variant in ("base", "expressive"):
        config = SpiritLMConfig(variant=variant)
        path = real_layout_sp_model(variant, str(tmp_path / f"{variant}.model"))
        slow = SpiritLMTokenizer(path)
        fast = SpiritLMTokenizerFast(vocab_file=path)
        for tok in (slow, fast):
            assert len(tok) == config.num_used_ids
            assert tok.convert_ids_to_tokens(32000) == "[Text]" and tok.convert_ids_to_tokens(32001) == "[Speech]"
            assert tok.convert_ids_to_tokens(32002) == "[Hu0]" and tok.convert_ids_to_tokens(32502) == "[Hu500]"
            if variant == "expressive":
                assert tok.convert_ids_to_tokens(32503) == "[Pi0]" and tok.convert_ids_to_tokens(32666) == "[St99]"
            p = "[Text]The cat[Speech][Hu99][Hu49][Text] sees."
            ids = tok(p)["input_ids"]
            assert ids[:3] == [1, slow.convert_tokens_to_ids("▁"), 32000] and 32002 + 99 in ids
            assert tok.decode(ids, skip_special_tokens=True) == p
        assert slow(p)["input_ids"] == fast(p)["input_ids"]


def test_existing_speech_token_in_text_vocab_is_refused(tmp_path):
    from modeling_spirit.tokenization_spirit_lm import add_layout_pieces, train_text_sentencepiece

    sents = ["hello [Hu0] world"] * 50 + ["some text here"] * 50
    path = train_text_sentencepiece(sents, 300, str(tmp_path / "t"))
    data = open(path, "rb").read()
    with pytest.raises(ValueError, match="Cannot place"):
        add_layout_pieces(data, [(5, "[Text]")])


from recipes.toy import TOY_MODEL  # noqa: E402
ROUND_TRIP = "[Text]Hello there, the cat[Speech][Hu3][Hu400][Text] and  spaces ünï"


def _round_trip_folders(tmp_path, source):
    """(loader name, saved folder) for every way of loading ``source`` and saving it again."""
    from transformers import AutoTokenizer

    loaders = {"auto": AutoTokenizer.from_pretrained, "slow": SpiritLMTokenizer.from_pretrained,
               "fast": SpiritLMTokenizerFast.from_pretrained}
    for name, load in loaders.items():
        saved = tmp_path / f"saved-{name}"
        load(str(source)).save_pretrained(str(saved))
        yield name, saved


@pytest.mark.parametrize("source", ["toy", "tiny"])
def test_save_load_round_trip(tok_dir, tmp_path, source):
    """Issue 20 #5: a tokenizer saved with save_pretrained loads again (AutoTokenizer, also use_fast=False, slow and
    fast classes) and gives the same ids as the folder it came from; slow == fast."""
    from transformers import AutoTokenizer

    folder = TOY_MODEL if source == "toy" else tok_dir[0]
    reference = SpiritLMTokenizer.from_pretrained(str(folder))(ROUND_TRIP)["input_ids"]
    assert SpiritLMTokenizerFast.from_pretrained(str(folder))(ROUND_TRIP)["input_ids"] == reference
    for name, saved in _round_trip_folders(tmp_path, folder):
        assert (saved / "tokenizer.model").is_file(), name  # the slow tokenizer's (and the fast one's) source
        assert "vocab" not in json.loads((saved / "tokenizer_config.json").read_text()), name
        for again in (AutoTokenizer.from_pretrained(str(saved)),
                      AutoTokenizer.from_pretrained(str(saved), use_fast=False),
                      SpiritLMTokenizer.from_pretrained(str(saved)),
                      SpiritLMTokenizerFast.from_pretrained(str(saved))):
            ids = again(ROUND_TRIP)["input_ids"]
            assert ids == reference, (name, type(again).__name__)
            assert again.decode(ids, skip_special_tokens=True) == ROUND_TRIP


def test_saved_tokenizer_loads_as_remote_code(tmp_path):
    from remote_code import run_without_package

    saved = tmp_path / "saved"
    SpiritLMTokenizerFast.from_pretrained(str(TOY_MODEL)).save_pretrained(str(saved))
    reference = SpiritLMTokenizer.from_pretrained(str(TOY_MODEL))(ROUND_TRIP)["input_ids"]
    script = f"""
    from transformers import AutoTokenizer
    tok = AutoTokenizer.from_pretrained({str(saved)!r}, trust_remote_code=True)
    assert type(tok).__module__.startswith("transformers_modules."), type(tok).__module__
    again = {str(tmp_path / "again")!r}
    tok.save_pretrained(again)
    print(AutoTokenizer.from_pretrained(again, trust_remote_code=True)({ROUND_TRIP!r})["input_ids"])
    """
    res = run_without_package(script, tmp_path, timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    assert res.stdout.strip().splitlines()[-1] == str(reference)


def test_empty_text_gets_no_dummy_prefix(tok_dir):
    """Found by tests/test_fuzz_tokenizer.py: SentencePiece adds no dummy prefix to an empty input; the fast class did."""
    d, _ = tok_dir
    for folder in (str(d), str(TOY_MODEL)):
        slow, fast = SpiritLMTokenizer.from_pretrained(folder), SpiritLMTokenizerFast.from_pretrained(folder)
        assert fast("")["input_ids"] == slow("")["input_ids"] == [slow.bos_token_id]
        assert fast(["", "[Text]a"])["input_ids"][0] == [slow.bos_token_id]


def test_typed_control_tokens_give_the_slow_ids(tok_dir):
    """Found by tests/test_fuzz_tokenizer.py: `<s>` typed in the text is BOS for both classes (as the original's
    Llama tokenizer reads it), and the text after it gets its own dummy prefix in both."""
    d, _ = tok_dir
    for folder in (str(d), str(TOY_MODEL)):
        slow, fast = SpiritLMTokenizer.from_pretrained(folder), SpiritLMTokenizerFast.from_pretrained(folder)
        for text in ("<s>", "0<s>", "hello<s>world", "</s> x <unk>", "[Text]a</s>[Speech][Hu3]", " "):
            assert fast(text)["input_ids"] == slow(text)["input_ids"], (folder, text)
        assert slow("<s>")["input_ids"] == [slow.bos_token_id] * 2
