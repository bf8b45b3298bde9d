# The two commands of the README, and the developer targets behind them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HASH   := $(shell sha1sum pyproject.toml | cut -c1-12)
# Two stamps: running needs only digest and its dependencies; developing
# (tests, lint, bench) adds the extras. The developer install implies the other.
RUN_STAMP := $(VENV)/.installed-run-$(HASH)
STAMP     := $(VENV)/.installed-dev-$(HASH)

.PHONY: install run test test-fast lint format bench i18n clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	rm -f $(VENV)/.installed-run-* && touch $@

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test,bench]'
	rm -f $(VENV)/.installed-* && touch $@ $(RUN_STAMP)

install: $(STAMP)

## The main job on the seeds: ingest, build the due edition, publish, deliver (outbox).
## A demo: signing key from var/dev-secret unless DIGEST_SECRET_KEY is set, and
## the example subscribers (example.org addresses) imported so the outbox fills.
DEV_SECRET := var/dev-secret
run: $(RUN_STAMP) $(DEV_SECRET)
	export DIGEST_SECRET_KEY="$${DIGEST_SECRET_KEY:-$$(cat $(DEV_SECRET))}"; \
	$(BIN)/digest subscribers import config/subscribers.example.csv && \
	$(BIN)/digest run
	@echo
	@echo "Mails:   $(CURDIR)/var/outbox/ ($$(ls var/outbox 2>/dev/null | grep -c '\.eml$$') .eml files)"
	@echo "         open one with a mail client (xdg-open var/outbox/FILE.eml) or read it with less"
	@echo "Archive: $(CURDIR)/var/archive/index.html"
	@echo "         open file://$(CURDIR)/var/archive/index.html in a browser (search needs HTTP), or"
	@echo "         DIGEST_SECRET_KEY=\$$(cat var/dev-secret) $(BIN)/digest serve and visit http://localhost:8000/archief/"

$(DEV_SECRET):
	mkdir -p var
	umask 077; $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(32))' > $@

## Refresh the translation catalogs after changing interface strings.
i18n: $(STAMP)
	$(BIN)/pybabel extract -F digest/locale/babel.cfg -k N_ --sort-output --no-location \
		--project digest --version 0.1.0 -o digest/locale/messages.pot .
	$(BIN)/pybabel update -D messages -i digest/locale/messages.pot -d digest/locale \
		--no-fuzzy-matching
	$(BIN)/pybabel compile -D messages -d digest/locale --statistics

## The whole test suite, with the system packages it needs (Chromium, PostgreSQL).
test: $(STAMP)
	bash .ci/system-deps.sh
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow and not browser"

lint: $(STAMP)
	$(BIN)/ruff check digest tests bench scripts
	$(BIN)/ruff format --check digest tests bench scripts
	$(BIN)/mypy digest tests

format: $(STAMP)
	$(BIN)/ruff format digest tests bench scripts
	$(BIN)/ruff check --fix digest tests bench scripts

## Every bench, then the speed table (README, "Benchmarks"): each row with the
## floor measured in the same run and the ratio. The machine's load shows in
## the wall-clock figures; compare CPU figures and ratios.
BENCH_TABLE := $(or $(TMPDIR),/tmp)/digest-bench-table.$(shell echo $$PPID)
bench: $(STAMP)
	@rm -f $(BENCH_TABLE)
	for b in bench/bench_*.py; do echo "== $$b"; \
		case $$b in *bench_deliver.py) args="--rss-against 10000";; \
			*bench_ingest.py) args="--postgres";; *) args="";; esac; \
		$(BIN)/python $$b $$args > $(BENCH_TABLE).one; status=$$?; cat $(BENCH_TABLE).one; \
		cat $(BENCH_TABLE).one >> $(BENCH_TABLE); rm -f $(BENCH_TABLE).one; \
		[ $$status -eq 0 ] || exit 1; done
	@echo "== bench/bench_deliver.py --postgres --workers 2 (two runners share one edition)"
	$(BIN)/python bench/bench_deliver.py --postgres --workers 2 --rounds 1 \
		> $(BENCH_TABLE).one || { cat $(BENCH_TABLE).one; exit 1; }
	@cat $(BENCH_TABLE).one; cat $(BENCH_TABLE).one >> $(BENCH_TABLE); rm -f $(BENCH_TABLE).one
	@echo; echo "| step | now | floor measured in the same run | ratio | aim |"
	@echo "| --- | --- | --- | --- | --- |"
	@grep '^| ' $(BENCH_TABLE); rm -f $(BENCH_TABLE)

clean:
	rm -rf var build test-artifacts .pytest_cache .mypy_cache .ruff_cache
