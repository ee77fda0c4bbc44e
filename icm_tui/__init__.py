"""icm-tui: run cross-department coordination meetings and close the loop on their promises."""

__version__ = "0.1.0"
