"""``python -m jepa_lab.bench``."""

from jepa_lab.bench.cli import main

raise SystemExit(main())
