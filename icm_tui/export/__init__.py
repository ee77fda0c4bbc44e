"""Exports and imports: minutes (YAML, Markdown) and action lists (CSV, JSON, YAML, ICS, Taskwarrior).

One module per format; all of them read through `icm_tui.services.Services`, none imports textual.
"""
