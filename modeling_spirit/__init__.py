# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Spirit LM, Hub-native: configuration, language model, speech tokenizer, vocoder, processor and pipeline."""
