# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM text tokenizers: the Llama-2 SentencePiece model with the speech tokens in their original positions.

The speech tokens (``[Text]``, ``[Speech]``, ``[Hu0]``...) are SentencePiece ``USER_DEFINED`` pieces appended after the
text pieces, so SentencePiece itself always emits them as single pieces. The original encodes with the slow,
SentencePiece-backed ``LlamaTokenizer`` (legacy mode): a prompt starting with ``[Text]`` becomes
``<s> ▁ [Text] ...`` (the dummy prefix is its own piece). Two classes reproduce exactly those ids:

* :class:`SpiritLMTokenizer`: SentencePiece-backed (the reference behaviour);
* :class:`SpiritLMTokenizerFast`: ``tokenizers``-backed, built from the same ``tokenizer.model`` with the legacy
  Llama normaliser (prepend ``▁`` to the whole input, spaces → ``▁``) and the speech tokens as *normalized* added
  tokens. It gives the same ids as SentencePiece (tested), which a plain fast Llama tokenizer does not.

Both add BOS and no EOS, and ``decode(encode(p), skip_special_tokens=True) == p`` for any prompt.
"""

import json
import os
import re
from shutil import copyfile
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from transformers import PreTrainedTokenizer

try:  # tokenizers ships with transformers 5
    from transformers.tokenization_utils_tokenizers import TokenizersBackend as _FastBase
except ImportError:  # pragma: no cover - older transformers
    from transformers import PreTrainedTokenizerFast as _FastBase

SPIECE_UNDERLINE = "▁"
VOCAB_FILES_NAMES = {"vocab_file": "tokenizer.model"}
FAST_VOCAB_FILES_NAMES = {"vocab_file": "tokenizer.model", "tokenizer_file": "tokenizer.json"}


def _require_sentencepiece():
    try:
        import sentencepiece  # noqa: F401
    except ImportError as err:  # pragma: no cover
        raise ImportError(
            "The Spirit LM tokenizer needs `sentencepiece`: pip install sentencepiece protobuf"
        ) from err
    return sentencepiece


def _sp_model_proto(sp_model_bytes: bytes):
    """Parse a serialized SentencePiece ``ModelProto`` (sentencepiece ships the protobuf module)."""
    _require_sentencepiece()
    from sentencepiece import sentencepiece_model_pb2 as model_pb2

    proto = model_pb2.ModelProto()
    proto.ParseFromString(sp_model_bytes)
    return proto


class SpiritLMTokenizer(PreTrainedTokenizer):
    """SentencePiece-backed Spirit LM tokenizer (the original's ids and strings).

    Args:
        vocab_file (`str`): path of the SentencePiece ``tokenizer.model`` holding the text pieces followed by the
            speech tokens as ``USER_DEFINED`` pieces.
        add_bos_token (`bool`, defaults to `True`): prepend ``<s>``.
        add_eos_token (`bool`, defaults to `False`): append ``</s>`` (the original never does).
        unk_token / bos_token / eos_token (`str`): ``<unk>``, ``<s>``, ``</s>``.
        pad_token (`str`, *optional*): the released checkpoints have none; batched generation pads with ``</s>``
            and an attention mask (see the processor).
    """

    vocab_files_names = VOCAB_FILES_NAMES
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(
        self,
        vocab_file,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token=None,
        add_bos_token=True,
        add_eos_token=False,
        sp_model_kwargs=None,
        **kwargs,
    ):
        spm = _require_sentencepiece()
        self.vocab_file = vocab_file
        self.sp_model_kwargs = sp_model_kwargs or {}
        self.sp_model = spm.SentencePieceProcessor(**self.sp_model_kwargs)
        self.sp_model.Load(vocab_file)
        self._add_bos = add_bos_token
        self._add_eos = add_eos_token
        kwargs.pop("backend", None)
        # Folders saved by older versions of the fast class carry tokenizer.json's vocabulary in tokenizer_config.json;
        # SentencePiece is the vocabulary here, so it is not kept (it would be written back on every save).
        kwargs.pop("vocab", None)
        kwargs.pop("merges", None)
        # Speech tokens are SentencePiece USER_DEFINED pieces: SentencePiece itself must see them (so that the dummy
        # prefix becomes a lone "▁" piece, as in the original), so they must not be split out as added tokens.
        added = kwargs.get("added_tokens_decoder")
        if added:
            proto = _sp_model_proto(self.sp_model.serialized_model_proto())
            user_defined = {i for i, p in enumerate(proto.pieces) if p.type == 4}  # USER_DEFINED
            kwargs["added_tokens_decoder"] = {int(i): t for i, t in added.items() if int(i) not in user_defined}
        super().__init__(
            unk_token=unk_token,
            bos_token=bos_token,
            eos_token=eos_token,
            pad_token=pad_token,
            add_bos_token=add_bos_token,
            add_eos_token=add_eos_token,
            sp_model_kwargs=self.sp_model_kwargs,
            **kwargs,
        )

    # -- vocabulary ----------------------------------------------------------------------------------------------
    @property
    def vocab_size(self) -> int:
        return self.sp_model.get_piece_size()

    def get_vocab(self) -> Dict[str, int]:
        vocab = {self.sp_model.id_to_piece(i): i for i in range(self.vocab_size)}
        vocab.update(self.added_tokens_encoder)
        return vocab

    def _convert_token_to_id(self, token: str) -> int:
        return self.sp_model.piece_to_id(token)

    def _convert_id_to_token(self, index: int) -> str:
        return self.sp_model.id_to_piece(int(index))

    # -- encoding ------------------------------------------------------------------------------------------------
    def _tokenize(self, text: str, **kwargs) -> List[str]:
        # Legacy Llama behaviour: every chunk between special tokens gets SentencePiece's dummy prefix.
        return self.sp_model.encode(text, out_type=str)

    def build_inputs_with_special_tokens(self, token_ids_0, token_ids_1=None):
        bos = [self.bos_token_id] if self._add_bos else []
        eos = [self.eos_token_id] if self._add_eos else []
        out = bos + list(token_ids_0) + eos
        if token_ids_1 is not None:
            out += bos + list(token_ids_1) + eos
        return out

    def get_special_tokens_mask(self, token_ids_0, token_ids_1=None, already_has_special_tokens=False):
        if already_has_special_tokens:
            return super().get_special_tokens_mask(token_ids_0, token_ids_1, already_has_special_tokens=True)
        bos = [1] if self._add_bos else []
        eos = [1] if self._add_eos else []
        out = bos + [0] * len(token_ids_0) + eos
        if token_ids_1 is not None:
            out += bos + [0] * len(token_ids_1) + eos
        return out

    def num_special_tokens_to_add(self, pair: bool = False) -> int:
        n = int(self._add_bos) + int(self._add_eos)
        return 2 * n if pair else n

    # -- decoding ------------------------------------------------------------------------------------------------
    def convert_tokens_to_string(self, tokens: List[str]) -> str:
        return self.sp_model.decode_pieces(list(tokens))

    def _decode(self, token_ids, skip_special_tokens: bool = False, clean_up_tokenization_spaces=None, **kwargs):
        if isinstance(token_ids, int):
            token_ids = [token_ids]
        special = set(self.all_special_ids) if skip_special_tokens else set()
        pieces: List[str] = []
        out: List[str] = []
        for i in token_ids:
            i = int(i)
            if i in special:
                continue
            if i >= self.vocab_size or (not skip_special_tokens and i in self.all_special_ids):
                # Added tokens beyond the SentencePiece model, or kept special tokens: verbatim.
                if pieces:
                    out.append(self.sp_model.decode_pieces(pieces))
                    pieces = []
                out.append(self.convert_ids_to_tokens(i))
                continue
            pieces.append(self.sp_model.id_to_piece(i))
        if pieces:
            out.append(self.sp_model.decode_pieces(pieces))
        return "".join(out)

    # -- saving --------------------------------------------------------------------------------------------------
    def save_vocabulary(self, save_directory: str, filename_prefix: Optional[str] = None) -> Tuple[str]:
        if not os.path.isdir(save_directory):
            raise ValueError(f"`save_directory` ({save_directory}) must be an existing directory.")
        out = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + "tokenizer.model")
        if os.path.abspath(self.vocab_file) != os.path.abspath(out) and os.path.isfile(self.vocab_file):
            copyfile(self.vocab_file, out)
        elif not os.path.isfile(self.vocab_file):
            with open(out, "wb") as f:
                f.write(self.sp_model.serialized_model_proto())
        return (out,)

    def _save_pretrained(self, save_directory, file_names, legacy_format=None, filename_prefix=None):
        file_names = super()._save_pretrained(save_directory, file_names, legacy_format, filename_prefix)
        if not filename_prefix:  # the folder loads with AutoTokenizer, also as remote code
            _write_tokenizer_auto_map(str(save_directory), self._add_bos, self._add_eos)
        return file_names


def build_fast_tokenizer_object(vocab_file: str, add_bos_token: bool = True, add_eos_token: bool = False):
    """Build a ``tokenizers.Tokenizer`` that reproduces SentencePiece's legacy Llama ids for ``vocab_file``."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, processors
    from transformers.tokenization_utils_sentencepiece import SentencePieceExtractor

    with open(vocab_file, "rb") as f:
        proto = _sp_model_proto(f.read())
    if proto.trainer_spec.model_type != 2:  # BPE
        raise ValueError(
            f"{vocab_file} is a SentencePiece model of type {proto.trainer_spec.model_type}; Spirit LM (Llama-2) "
            "uses a BPE model (type 2)."
        )
    vocab, _scores, merges = SentencePieceExtractor(vocab_file).extract()
    unk = proto.pieces[proto.trainer_spec.unk_id].piece
    bpe = models.BPE(vocab=vocab, merges=merges, unk_token=unk, fuse_unk=True, byte_fallback=True, dropout=None)
    tok = Tokenizer(bpe)
    # The dummy prefix is added by SpiritLMTokenizerFast (a leading space) rather than by a Prepend normalizer:
    # tokenizers also normalizes the content of normalized added tokens, and "▁[Text]" would then only match after a
    # space. Spaces become "▁" here, so "[Text]hello" -> " [Text]hello" -> "▁", "[Text]", "hello" as in SentencePiece.
    tok.normalizer = normalizers.Replace(" ", SPIECE_UNDERLINE)
    tok.pre_tokenizer = None
    tok.decoder = decoders.Sequence(
        [decoders.Replace(SPIECE_UNDERLINE, " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    # Control pieces (<unk>, <s>, </s>) are special; USER_DEFINED pieces (speech tokens) are normalized added tokens:
    # they are matched after the dummy prefix is prepended, exactly as SentencePiece does.
    specials, user_defined = [], []
    for piece in proto.pieces:
        if piece.type in (2, 3):  # UNKNOWN, CONTROL
            specials.append(AddedToken(piece.piece, normalized=False, special=True))
        elif piece.type == 4:  # USER_DEFINED
            user_defined.append(AddedToken(piece.piece, normalized=True, special=False))
    tok.add_special_tokens(specials)
    tok.add_tokens(user_defined)
    bos = proto.pieces[proto.trainer_spec.bos_id].piece
    eos = proto.pieces[proto.trainer_spec.eos_id].piece
    single = " ".join(([f"{bos}:0"] if add_bos_token else []) + ["$A:0"] + ([f"{eos}:0"] if add_eos_token else []))
    pair = single + " " + " ".join(
        ([f"{bos}:1"] if add_bos_token else []) + ["$B:1"] + ([f"{eos}:1"] if add_eos_token else [])
    )
    special_ids = []
    if add_bos_token:
        special_ids.append((bos, proto.trainer_spec.bos_id))
    if add_eos_token:
        special_ids.append((eos, proto.trainer_spec.eos_id))
    tok.post_processor = processors.TemplateProcessing(single=single, pair=pair, special_tokens=special_ids)
    return tok


class SpiritLMTokenizerFast(_FastBase):
    """``tokenizers``-backed Spirit LM tokenizer giving the same ids as :class:`SpiritLMTokenizer`.

    Built from ``tokenizer.json`` when present, otherwise from ``tokenizer.model`` with
    :func:`build_fast_tokenizer_object`. Arguments as :class:`SpiritLMTokenizer`.
    """

    vocab_files_names = FAST_VOCAB_FILES_NAMES
    slow_tokenizer_class = SpiritLMTokenizer
    model_input_names = ["input_ids", "attention_mask"]

    def __init__(
        self,
        vocab_file=None,
        tokenizer_file=None,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token=None,
        add_bos_token=True,
        add_eos_token=False,
        **kwargs,
    ):
        # transformers' generic conversion may hand over the vocabulary it read from tokenizer.json; the backend is
        # built here from tokenizer.model or tokenizer.json instead, and a `vocab` kwarg would otherwise be written
        # into tokenizer_config.json on every save.
        kwargs.pop("vocab", None)
        kwargs.pop("merges", None)
        if kwargs.get("tokenizer_object") is None and not (tokenizer_file and os.path.isfile(tokenizer_file)):
            if not (vocab_file and os.path.isfile(vocab_file)):
                raise ValueError(
                    "SpiritLMTokenizerFast needs `tokenizer_file` (tokenizer.json) or `vocab_file` (tokenizer.model); "
                    f"got tokenizer_file={tokenizer_file!r}, vocab_file={vocab_file!r}. A Spirit LM tokenizer folder "
                    "holds tokenizer.model (the SentencePiece model with the speech tokens) and tokenizer.json."
                )
            kwargs["tokenizer_object"] = build_fast_tokenizer_object(vocab_file, add_bos_token, add_eos_token)
            tokenizer_file = None
        kwargs.pop("backend", None)
        self.vocab_file = vocab_file
        super().__init__(
            tokenizer_file=tokenizer_file,
            unk_token=unk_token,
            bos_token=bos_token,
            eos_token=eos_token,
            pad_token=pad_token,
            add_bos_token=add_bos_token,
            add_eos_token=add_eos_token,
            **kwargs,
        )
        self.add_bos_token = add_bos_token
        self.add_eos_token = add_eos_token

    def _encode_plus(self, text=None, text_pair=None, is_split_into_words: bool = False, **kwargs):
        # SentencePiece's dummy prefix, applied as the slow tokenizer applies it: once to each piece of text between
        # control tokens typed in the input (``<s>``, ``</s>``, ``<unk>``), none to an empty piece (see
        # build_fast_tokenizer_object). Offsets in `return_offsets_mapping` are therefore relative to the input with
        # those spaces added.
        if not is_split_into_words:
            text = self._with_dummy_prefix(text)
            text_pair = self._with_dummy_prefix(text_pair)
        return super()._encode_plus(text=text, text_pair=text_pair, is_split_into_words=is_split_into_words, **kwargs)

    def _with_dummy_prefix(self, text):
        if text is None:
            return None
        if isinstance(text, str):
            if not text:
                return text  # SentencePiece adds no dummy prefix to an empty input
            controls = sorted({t.content for t in self.added_tokens_decoder.values() if not t.normalized}, key=len,
                              reverse=True)
            if not controls or not any(c in text for c in controls):
                return " " + text
            parts = re.split("(" + "|".join(map(re.escape, controls)) + ")", text)
            # odd indices are the control tokens themselves; text pieces get the prefix unless empty
            return "".join(p if i % 2 or not p else " " + p for i, p in enumerate(parts))
        if isinstance(text, (list, tuple)):
            return type(text)(self._with_dummy_prefix(t) for t in text)
        return text

    def _decode(self, token_ids, skip_special_tokens: bool = False, clean_up_tokenization_spaces=None, **kwargs):
        if isinstance(token_ids, int):
            token_ids = [token_ids]
        return self._tokenizer.decode([int(i) for i in token_ids], skip_special_tokens=skip_special_tokens)

    @classmethod
    def convert_to_native_format(cls, trust_remote_code=False, **kwargs):
        # transformers 5 hands a class with its own __init__ the vocabulary extracted from tokenizer.json and drops
        # the file's path unless the class came as remote code; keep the path so that both ways of loading build the
        # same backend (from tokenizer.json, or from tokenizer.model when only that is there).
        return dict(kwargs)

    def save_vocabulary(self, save_directory: str, filename_prefix: Optional[str] = None) -> Tuple[str]:
        out = os.path.join(save_directory, (filename_prefix + "-" if filename_prefix else "") + "tokenizer.model")
        if self.vocab_file and os.path.isfile(self.vocab_file):
            if os.path.abspath(self.vocab_file) != os.path.abspath(out):
                copyfile(self.vocab_file, out)
            return (out,)
        return ()

    def _save_pretrained(self, save_directory, file_names, legacy_format=None, filename_prefix=None):
        # The tokenizers backend writes tokenizer.json only; the SentencePiece model is what the slow tokenizer (and
        # tokenizer_config.json's `tokenizer_class`) needs, so it is saved too.
        file_names = super()._save_pretrained(save_directory, file_names, legacy_format, filename_prefix)
        file_names = tuple(file_names) + tuple(self.save_vocabulary(str(save_directory), filename_prefix=filename_prefix))
        if not filename_prefix:  # the folder loads with AutoTokenizer, also as remote code
            _write_tokenizer_auto_map(str(save_directory), self.add_bos_token, self.add_eos_token)
        return file_names


# ---------------------------------------------------------------------------------------------------------------
# Building SentencePiece models offline (tests, toy models, starting from a text-only Llama)
# ---------------------------------------------------------------------------------------------------------------


def add_layout_pieces(sp_model_bytes: bytes, layout_tokens: Sequence[Tuple[int, str]], pad_text_to: Optional[int] = None):
    """Append the speech tokens as ``USER_DEFINED`` pieces at their layout ids.

    Args:
        sp_model_bytes: a serialized SentencePiece BPE model holding the text pieces only.
        layout_tokens: ``(id, token)`` pairs from :meth:`SpiritLMConfig.layout_tokens`.
        pad_text_to: if given, pad the text pieces with ``UNUSED`` filler pieces up to this many ids first (to build
            the real 32000-id layout from a small trained vocabulary).

    Returns:
        `bytes`: the serialized model. Raises if a token already exists or an id does not line up.
    """
    proto = _sp_model_proto(sp_model_bytes)
    existing = {p.piece for p in proto.pieces}
    if pad_text_to is not None:
        if len(proto.pieces) > pad_text_to:
            raise ValueError(f"The model already has {len(proto.pieces)} pieces, more than pad_text_to={pad_text_to}.")
        i = 0
        while len(proto.pieces) < pad_text_to:
            name = f"<unused{i}>"
            i += 1
            if name in existing:
                continue
            p = proto.pieces.add()
            p.piece, p.score, p.type = name, -1e9, 5  # UNUSED: never produced
    for token_id, token in layout_tokens:
        if token in existing:
            raise ValueError(
                f"The text vocabulary already contains {token!r}; Spirit LM's speech tokens must be new pieces."
            )
        if len(proto.pieces) != token_id:
            raise ValueError(
                f"Cannot place {token!r} at id {token_id}: the model has {len(proto.pieces)} pieces before it. "
                "The layout's `text_vocab_size` must equal the SentencePiece model's number of text pieces."
            )
        p = proto.pieces.add()
        p.piece, p.score, p.type = token, 0.0, 4  # USER_DEFINED
    return proto.SerializeToString()


def train_text_sentencepiece(sentences: Iterable[str], vocab_size: int, model_prefix: str) -> str:
    """Train a Llama-style SentencePiece BPE model (byte fallback, digits split, identity normaliser, dummy prefix).

    Returns the path of ``<model_prefix>.model``. ``vocab_size`` counts ``<unk>``, ``<s>``, ``</s>`` and the 256
    byte pieces, so it must be > 259 (+ the characters of the corpus).
    """
    spm = _require_sentencepiece()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(list(sentences)),
        model_prefix=model_prefix,
        vocab_size=vocab_size,
        model_type="bpe",
        byte_fallback=True,
        split_digits=True,
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=True,
        character_coverage=1.0,
        unk_id=0,
        bos_id=1,
        eos_id=2,
        pad_id=-1,
        allow_whitespace_only_pieces=True,
        hard_vocab_limit=True,
        minloglevel=2,
    )
    return model_prefix + ".model"


def write_spirit_tokenizer(
    text_sp_model: str, config, output_dir: str, pad_text_to: Optional[int] = None, fast: bool = True
) -> SpiritLMTokenizer:
    """Write a Spirit LM tokenizer for ``config``'s layout into ``output_dir`` and return the slow tokenizer.

    ``text_sp_model`` is a text-only Llama-style SentencePiece model whose piece count is
    ``config.text_vocab_size`` (or is padded to it with ``pad_text_to``).
    """
    os.makedirs(output_dir, exist_ok=True)
    with open(text_sp_model, "rb") as f:
        data = add_layout_pieces(f.read(), config.layout_tokens(), pad_text_to=pad_text_to)
    model_path = os.path.join(output_dir, "tokenizer.model")
    with open(model_path, "wb") as f:
        f.write(data)
    tok = SpiritLMTokenizer(model_path)
    tok.save_pretrained(output_dir)
    if fast:
        SpiritLMTokenizerFast(vocab_file=model_path).save_pretrained(output_dir)
    _write_tokenizer_auto_map(output_dir)
    return SpiritLMTokenizer(model_path)


def is_sentencepiece_tokenizer_folder(folder: str) -> bool:
    """Whether the Spirit LM tokenizer in ``folder`` is the SentencePiece one (:class:`SpiritLMTokenizer` /
    :class:`SpiritLMTokenizerFast`, with ``tokenizer.model``) rather than a base model's BPE tokenizer with the Spirit
    LM tokens added (:func:`write_spirit_bpe_tokenizer`)."""
    path = os.path.join(folder, "tokenizer_config.json")
    if os.path.isfile(path):
        try:
            with open(path, encoding="utf-8") as f:
                cls = (json.load(f) or {}).get("tokenizer_class")
        except (OSError, ValueError, AttributeError):
            cls = None
        if cls:
            return str(cls).startswith("SpiritLMTokenizer")
    return os.path.isfile(os.path.join(folder, "tokenizer.model"))


def add_layout_tokens(tokenizer, config):
    """Add ``config``'s marker and unit tokens (:meth:`SpiritLMConfig.layout_tokens`) to a ``tokenizers``-backed
    (fast) text tokenizer, in place, at exactly their layout ids, and return it.

    The tokens are added as non-special, non-normalized added tokens: ``tokenizers`` splits them out of the input
    before its normalizer and pre-tokenizer run, so a unit string ``[Hu12][Hu7]`` becomes exactly one id per unit
    (no space is added, nothing merges across them) for byte-level BPE (GPT-2, Qwen2, Llama-3) and SentencePiece-style
    BPE alike, and decoding writes them back verbatim. The layout must follow the tokenizer's ids:
    ``config.text_vocab_size == len(tokenizer)`` and the layout ids contiguous from there (the default layout).
    """
    from tokenizers import AddedToken

    tokens = config.layout_tokens()
    first = len(tokenizer)
    if config.text_vocab_size != first or [i for i, _ in tokens] != list(range(first, first + len(tokens))):
        raise ValueError(
            f"The tokenizer has {first} ids but the layout has text_vocab_size={config.text_vocab_size} and its "
            f"tokens at ids {tokens[0][0]}..{tokens[-1][0]} ({len(tokens)} tokens): tokens added to a BPE tokenizer "
            "take the next free ids, so build the config with text_vocab_size=len(tokenizer) and the default "
            "(contiguous) offsets."
        )
    vocab = tokenizer.get_vocab()
    clash = [t for _, t in tokens if t in vocab]
    if clash:
        raise ValueError(f"The tokenizer already has the Spirit LM tokens {clash[:5]}; start from a plain text tokenizer.")
    tokenizer.add_tokens([AddedToken(t, normalized=False, special=False, single_word=False, lstrip=False, rstrip=False)
                          for _, t in tokens])
    ids = tokenizer.convert_tokens_to_ids([t for _, t in tokens])
    wrong = [(t, i, got) for (i, t), got in zip(tokens, ids) if i != got]
    if wrong:
        raise ValueError(f"Added tokens landed on other ids than the layout's (token, layout id, id): {wrong[:5]}.")
    return tokenizer


def write_spirit_bpe_tokenizer(text_tokenizer, config, output_dir: str):
    """Write a Spirit LM tokenizer for ``config``'s layout into ``output_dir``: the base model's own fast tokenizer
    (``text_tokenizer``, a BPE such as GPT-2's, Qwen2's or Llama-3's) with the Spirit LM tokens added at their ids
    (:func:`add_layout_tokens`). The folder loads with ``AutoTokenizer`` as the base tokenizer class (no remote code
    needed). Returns the tokenizer."""
    os.makedirs(output_dir, exist_ok=True)
    tokenizer = add_layout_tokens(text_tokenizer, config)
    tokenizer.save_pretrained(output_dir)
    return tokenizer


def _write_tokenizer_auto_map(output_dir: str, add_bos_token: bool = True, add_eos_token: bool = False) -> None:
    """Point ``AutoTokenizer`` at these classes (remote code) and copy this module next to them."""
    target = os.path.join(output_dir, os.path.basename(__file__))
    if os.path.abspath(__file__) != os.path.abspath(target):  # a remote-code copy saving into its own folder
        copyfile(os.path.abspath(__file__), target)
    path = os.path.join(output_dir, "tokenizer_config.json")
    with open(path) as f:
        cfg = json.load(f)
    cfg["tokenizer_class"] = "SpiritLMTokenizer"
    cfg["auto_map"] = {
        "AutoTokenizer": ["tokenization_spirit_lm.SpiritLMTokenizer", "tokenization_spirit_lm.SpiritLMTokenizerFast"]
    }
    cfg["add_bos_token"] = bool(add_bos_token)
    cfg["add_eos_token"] = bool(add_eos_token)
    with open(path, "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)


__all__ = [
    "SpiritLMTokenizer",
    "SpiritLMTokenizerFast",
    "build_fast_tokenizer_object",
    "add_layout_pieces",
    "train_text_sentencepiece",
    "write_spirit_tokenizer",
    "add_layout_tokens",
    "write_spirit_bpe_tokenizer",
    "is_sentencepiece_tokenizer_folder",
]
