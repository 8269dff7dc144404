.PHONY: demo test lint i18n

# Run Ardoise with the demo school on the embedded default (SQLite, in-process tasks).
demo:
	./scripts/demo.sh

# Run the whole test suite, installing and starting what it needs.
test:
	./scripts/test.sh

lint:
	.venv/bin/ruff check . && .venv/bin/mypy

i18n:
	./scripts/i18n.sh
