"""`python -m icm_tui` is the `icm` command."""

from icm_tui.cli import main

main()
