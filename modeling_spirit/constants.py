# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""The facts every part of Spirit LM shares, each stated once: rates, variants, unit streams, markers, folder names.

Every other module (in this package, ``processing``, ``recipes`` and ``hub_cards``) imports these instead of
restating them. Token *ids* are not here: they depend on the model and live in
:class:`~.configuration_spirit_lm.SpiritLMConfig`.
"""

SAMPLING_RATE = 16000  # Hz: audio in (speech tokenizer) and out (both released vocoders).

# Unit streams, in the order the original lays them out in the vocabulary, with their token prefixes.
STREAMS = ("hubert", "pitch", "style")
STREAM_PREFIXES = {"hubert": "Hu", "pitch": "Pi", "style": "St"}
PREFIX_TO_STREAM = {prefix: stream for stream, prefix in STREAM_PREFIXES.items()}

# True frame rates of the unit streams (Hz). HuBERT-25Hz emits one unit every 640 samples.
HUBERT_FRAME_RATE = 25
PITCH_FRAME_RATE = 12.5
STYLE_FRAME_RATE = 1.0
SAMPLES_PER_HUBERT_FRAME = SAMPLING_RATE // HUBERT_FRAME_RATE  # 640

# Rates the original uses to time-sort a unit string: HuBERT at 24.99 Hz (not 25), so that a HuBERT token sorts after
# a pitch/style token of the same nominal time.
HUBERT_SORT_RATE = 24.99
PITCH_SORT_RATE = PITCH_FRAME_RATE
STYLE_SORT_RATE = STYLE_FRAME_RATE

# Model variants: "base" (HuBERT units) and "expressive" (HuBERT + pitch + style units).
VARIANTS = ("base", "expressive")

# Modality markers, as the LM reads and writes them.
TEXT_MARKER = "[Text]"
SPEECH_MARKER = "[Speech]"

# Subfolders of a Spirit LM folder holding its speech components.
SPEECH_TOKENIZER_SUBFOLDER = "speech_tokenizer"
VOCODER_SUBFOLDER = "vocoder"

# What `spirit-lm init` records in a Spirit LM folder (the text model it started from, its licence, the settings);
# training recipes carry it into their output, model cards read the base model's licence from it.
INIT_RECORD_FILE = "spirit_lm_init.json"
# Where the chat template puts an audio content item; the processor replaces it with the item's unit string.
AUDIO_PLACEHOLDER = "<|spirit_audio|>"

__all__ = [
    "SAMPLING_RATE",
    "STREAMS",
    "STREAM_PREFIXES",
    "PREFIX_TO_STREAM",
    "HUBERT_FRAME_RATE",
    "PITCH_FRAME_RATE",
    "STYLE_FRAME_RATE",
    "SAMPLES_PER_HUBERT_FRAME",
    "HUBERT_SORT_RATE",
    "PITCH_SORT_RATE",
    "STYLE_SORT_RATE",
    "VARIANTS",
    "TEXT_MARKER",
    "SPEECH_MARKER",
    "SPEECH_TOKENIZER_SUBFOLDER",
    "VOCODER_SUBFOLDER",
    "INIT_RECORD_FILE",
    "AUDIO_PLACEHOLDER",
]
