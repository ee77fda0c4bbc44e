"""The app's screens."""

from __future__ import annotations


def open_agenda(app, agenda: str) -> None:
    """Start running `agenda` (a path or a name in agendas/)."""
    app.notify(f"Running agendas is not built yet: {agenda}", markup=False)
