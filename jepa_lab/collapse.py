"""``python -m jepa_lab.collapse``: notebook 06's collapse ablations (the runs live in ``jepa_lab.tasks.collapse``).

This module is only the command the shipped results' card names; import ``jepa_lab.tasks.collapse``.
"""

if __name__ == "__main__":
    from jepa_lab.tasks.collapse import main

    raise SystemExit(main())
