# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
