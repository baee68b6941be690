# Two commands do all the set-up on a fresh machine (Python 3.10+ and pip):
#   make demo   deploy serverless.yml.example to the embedded AWS emulator, show it, remove it
#   make test   lint (ruff, mypy) and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FN := $(BIN)/fn
DEMO := -c serverless.yml.example --local

.PHONY: demo test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-local: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[local]'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,local]'
	touch $@

# pnpm and yarn (classic and berry), pinned, for the Node.js package-manager tests (tests/integration/
# test_node_managers.py finds them here; without npm they are not installed and those tests skip, in CI they fail).
NODE_TOOLS := $(VENV)/node-tools
NPM_QUIET := --no-audit --no-fund --loglevel=error
$(VENV)/.installed-node-tools: Makefile | $(BIN)/python
	if command -v npm >/dev/null 2>&1; then \
	  npm install --prefix $(NODE_TOOLS)/pnpm $(NPM_QUIET) pnpm@10.34.9 && \
	  npm install --prefix $(NODE_TOOLS)/yarn1 $(NPM_QUIET) yarn@1.22.22 && \
	  npm install --prefix $(NODE_TOOLS)/yarn4 $(NPM_QUIET) @yarnpkg/cli-dist@4.18.1; \
	else echo "warning: no npm: pnpm and yarn not installed (their tests skip)"; fi
	touch $@

demo: $(VENV)/.installed-local
	$(FN) local start
	$(BIN)/python example/sources.py --local
	$(FN) deploy $(DEMO) --yes
	$(FN) info $(DEMO)
	$(FN) invoke $(DEMO) -f hello --data '{"name": "demo"}'
	$(FN) invoke $(DEMO) -f hello --event http
	$(FN) logs $(DEMO) -f hello --since 5m
	$(FN) deploy $(DEMO) --yes
	$(FN) remove $(DEMO) --yes
	$(FN) local stop

# The auditors (versions pinned in pyproject.toml's test extra; all run offline):
#   zizmor            the GitHub Actions recipe: pinned actions, no persisted credentials, least permissions
#   check-jsonschema  both CI recipes against the GitHub workflow and GitLab CI schemas it ships
#   bandit            fnship/: no finding of medium or higher severity without a `# nosec` and its reason
#   .ci/audit_iam.py  parliament over every IAM policy fnship generates for the example and each blueprint
lint: $(VENV)/.installed-test
	$(BIN)/ruff check fnship tests bench .ci
	$(BIN)/ruff format --check fnship tests bench .ci
	$(BIN)/zizmor --offline --persona=pedantic --no-progress docs/examples/github-actions.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows docs/examples/github-actions.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.gitlab-ci docs/examples/gitlab-ci.yml
	$(BIN)/bandit --quiet --recursive --severity-level medium fnship
	$(BIN)/python .ci/audit_iam.py
	$(BIN)/mypy

test: lint $(VENV)/.installed-node-tools
	$(BIN)/python -m pytest -q

bench: $(VENV)/.installed-test
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .fn build dist
