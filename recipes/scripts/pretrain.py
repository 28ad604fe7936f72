#!/usr/bin/env python
# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
"""Continued pretraining of a Spirit LM on interleaved speech/text (paper §3, App. A): a plain ``text``
column (speech-only, text-only, word-aligned interleaved sequences, or a weighted mixture of them), packed into
``max_length`` blocks, loss on every token. TRL ``SFTTrainer`` with ``packing: true``.

    accelerate launch --config_file recipes/accelerate_configs/ddp.yaml recipes/scripts/pretrain.py \\
        recipes/spirit-lm-base-7b/pretrain/config_full.yaml

Arguments: ``TrlParser((SpiritLMScriptArguments, SFTConfig, ModelConfig))``; the YAML may be given as the first
argument or with ``--config``, and any field can be overridden on the command line (``--max_steps 10``). The run
ends with a Hub-ready folder at ``final_dir`` (default ``<output_dir>/final``), pushed with its card when
``push_to_hub: true``. See recipes/README.md.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if (ROOT / "modeling_spirit").is_dir() and str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from trl import SFTConfig, ModelConfig, TrlParser  # noqa: E402

from recipes.scripts.spirit_recipe import SpiritLMScriptArguments, config_first, run  # noqa: E402

STAGE = "pretrain"


def parse_args(argv=None):
    """``(script_args, training_args, model_args)`` from ``argv`` (default ``sys.argv[1:]``; a leading ``*.yaml`` is
    the config, command-line fields override it)."""
    parser = TrlParser((SpiritLMScriptArguments, SFTConfig, ModelConfig))
    return parser.parse_args_and_config(config_first(argv))


def main(argv=None):
    return run(STAGE, *parse_args(argv))


if __name__ == "__main__":
    main()
