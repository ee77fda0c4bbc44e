"""The core never imports Textual: CLI commands other than the TUI run without it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CORE_PACKAGES = ("icm_tui.domain", "icm_tui.store", "icm_tui.export", "icm_tui.services", "icm_tui.cli", "icm_tui.cli_output")


def run_python(code: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=cwd, capture_output=True, text=True, timeout=60, env=env)


COMMANDS = [
    ["actions", "--status", "open", "--supplier", "it"],
    ["action", "add", "Hygiene check", "--owner", "zhang-wei"],
    ["actions"],
    ["requests"],
    ["meetings"],
    ["validate"],
]


def test_cli_commands_do_not_import_textual(register, tmp_path):
    # One interpreter runs them in turn (one start-up instead of six), checking after each.
    import shutil

    from storetools import Site

    shutil.copytree(ROOT / "agendas", tmp_path / "agendas")
    result = run_python(
        f"""
        import sys
        from icm_tui.cli import main
        for args in {COMMANDS!r}:
            main(["--workspace", {str(tmp_path)!r}, *args], standalone_mode=False)
            loaded = sorted(m for m in sys.modules if m == "textual" or m.startswith("textual."))
            print("TEXTUAL:", args, loaded, file=sys.stderr)
        print("PSYCOPG:", "psycopg" in sys.modules, file=sys.stderr)
        """,
        tmp_path,
        env=Site(tmp_path, register).env(),
    )
    assert result.returncode == 0, result.stderr
    checked = [line for line in result.stderr.splitlines() if line.startswith("TEXTUAL:")]
    assert len(checked) == len(COMMANDS) and all(line.endswith(" []") for line in checked), result.stderr
    assert f"PSYCOPG: {register.name == 'postgresql'}" in result.stderr, "psycopg for PostgreSQL only: proof of the register used, and TinyDB stays light"


def test_core_modules_do_not_import_textual_or_tinydb_in_domain(tmp_path):
    result = run_python(
        f"""
        import importlib, pkgutil, sys
        for name in {CORE_PACKAGES!r}:
            module = importlib.import_module(name)
            for info in pkgutil.walk_packages(getattr(module, "__path__", []), name + "."):
                importlib.import_module(info.name)
        assert "textual" not in sys.modules, "a core module imports textual"
        import icm_tui.domain
        domain = [m for m in sys.modules if m.startswith("icm_tui.domain")]
        print("OK", len(domain))
        """,
        ROOT,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK")


def test_domain_does_not_import_tinydb():
    result = run_python(
        """
        import importlib, pkgutil, sys
        import icm_tui.domain as domain
        for info in pkgutil.walk_packages(domain.__path__, "icm_tui.domain."):
            importlib.import_module(info.name)
        assert "tinydb" not in sys.modules and "textual" not in sys.modules
        """,
        ROOT,
    )
    assert result.returncode == 0, result.stderr
