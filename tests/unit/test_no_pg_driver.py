"""Without the optional PostgreSQL driver: a postgresql:// register is one line and exit 3, TinyDB work is untouched."""

from __future__ import annotations

import shutil

from storetools import REPO, run_python

# psycopg made unimportable in the child, as on an install without the [postgresql] extra.
CLI = """
import sys
sys.modules["psycopg"] = None
from icm_tui.cli import main
sys.argv = ["icm", *sys.argv[1:]]
main()
"""


def icm(workspace, *args: str, env: dict | None = None):
    return run_python(CLI, "--workspace", str(workspace), *args, env={"ICM_STORE": "", **(env or {})})


def test_a_postgresql_register_without_the_driver_is_one_line_and_exit_3(tmp_path):
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    url = "postgresql://icm@127.0.0.1:1/icm"
    assert icm(tmp_path, "action", "add", "VPN", "--owner", "zhang-wei").returncode == 0  # a TinyDB register to copy up
    for args in (["--store", url, "actions"], ["--store", url, "action", "add", "x", "--owner", "zhang-wei"],
                 ["--store", url, "db", "check"], ["db", "copy", "--from", str(tmp_path / "data"), "--to", url]):
        out = icm(tmp_path, *args)
        assert out.returncode == 3, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr, out.stderr
        assert "needs the PostgreSQL driver" in out.stderr and "icm-tui[postgresql]" in out.stderr


def test_tinydb_work_needs_no_driver_even_to_copy_or_check(tmp_path):
    shutil.copytree(REPO / "agendas", tmp_path / "agendas")
    added = icm(tmp_path, "action", "add", "VPN for sales", "--owner", "zhang-wei", "--requester", "sales")
    assert added.returncode == 0 and added.stdout.strip() == "A-1", added.stderr
    copied = icm(tmp_path, "db", "copy", "--from", str(tmp_path / "data"), "--to", str(tmp_path / "copy"))
    assert copied.returncode == 0 and "counts and content hashes equal" in copied.stdout, copied.stderr
    assert icm(tmp_path, "db", "check").returncode == 0
