# Two commands for a new user: `make site` (set up + build the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# The demo county's data is dated around this day; pinning it keeps notices "in publicity" in the demo.
DEMO_TODAY := 2026-11-30
PORT ?= 8000

.PHONY: site serve test golden audit clean system-deps

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Debian packages: a Chinese font and Pango for the PDFs (WeasyPrint), Chromium for the browser tests,
# zbar to read the printed QR code back.
# Installed when missing and running as root (CI, a county's server); otherwise a hint is printed.
SYSTEM_PACKAGES := fonts-wqy-microhei libpango-1.0-0 libpangoft2-1.0-0 chromium zbar-tools
system-deps:
	@if fc-list :lang=zh family 2>/dev/null | grep -q . && command -v chromium >/dev/null 2>&1 \
	    && command -v zbarimg >/dev/null 2>&1 \
	    && ldconfig -p 2>/dev/null | grep -q libpangoft2; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	    $(SYSTEM_PACKAGES) >/dev/null; \
	else echo "提示：请安装 $(SYSTEM_PACKAGES)（Debian/Ubuntu 用 sudo apt-get install），否则无法生成 PDF、浏览器测试会跳过。"; fi

# axe-core (accessibility checks in the browser tests), from the npm registry, kept inside .venv.
AXE := $(VENV)/npm/node_modules/axe-core/axe.min.js
$(AXE):
	mkdir -p $(VENV)/npm && npm install --silent --prefix $(VENV)/npm axe-core@4 >/dev/null

site: $(VENV)/.installed system-deps
	$(PY) -m generator build --today $(DEMO_TODAY) --out site
	@echo "示范网站已生成在 site/ 。预览：make serve ，然后用浏览器打开 http://127.0.0.1:$(PORT)/"

serve: $(VENV)/.installed
	@test -d site || $(MAKE) site
	$(PY) -m http.server $(PORT) --bind 127.0.0.1 --directory site

test: $(VENV)/.installed system-deps $(AXE)
	$(PY) -m pytest

# Regenerate the golden pages after an intended change to templates or demo data; review the diff.
golden: $(VENV)/.installed
	$(PY) -m pytest tests/test_golden.py --update-golden

audit: $(VENV)/.installed
	$(PY) -m generator audit site

clean:
	rm -rf site .site.*
