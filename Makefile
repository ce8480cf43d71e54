# Two commands for a new user: `make site` (set up + build the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The demo county's data is dated around this day; pinning it keeps notices "in publicity" in the demo.
DEMO_TODAY := 2026-11-30
PORT ?= 8000

.PHONY: site serve test golden audit clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

site: $(VENV)/.installed
	$(PY) -m generator build --today $(DEMO_TODAY) --out site
	@echo "示范网站已生成在 site/ 。预览：make serve ，然后用浏览器打开 http://127.0.0.1:$(PORT)/"

serve: $(VENV)/.installed
	@test -d site || $(MAKE) site
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory site

test: $(VENV)/.installed
	$(PY) -m pytest

# Regenerate the golden pages after an intended change to templates or demo data; review the diff.
golden: $(VENV)/.installed
	$(PY) -m pytest tests/test_golden.py --update-golden

audit: $(VENV)/.installed
	$(PY) -m generator audit site

clean:
	rm -rf site .site.*
