"""`icm db copy` moves a whole register TinyDB -> PostgreSQL -> TinyDB: counts and content hashes equal."""

from __future__ import annotations

import re
import sys

import pytest
from click.testing import CliRunner
from storetools import REPO

from icm_tui.cli import main
from icm_tui.store import Kind
from icm_tui.store.tinydb_store import TinyDBStore

pytest.importorskip("psycopg")
sys.path.insert(0, str(REPO / "benchmarks"))
from bench_report import generate  # noqa: E402

from icm_tui.store.admin import content_hash
from icm_tui.store.pg_store import PgStore  # noqa: E402


def copy(tmp_path, source: str, target: str, code: int = 0) -> str:
    result = CliRunner().invoke(main, ["--workspace", str(tmp_path), "db", "copy", "--from", source, "--to", target])
    assert result.exit_code == code, (result.stdout, result.stderr)
    return result.stdout + result.stderr


def figures(out: str) -> dict[tuple[str, str], tuple[int, str]]:
    """(kind, from|to) -> (count, hash) from the copy's report."""
    found = re.findall(r"^(\w+)\s+(\d+) records  sha256 ([0-9a-f]{16})  \((from|to)\)$", out, re.M)
    return {(kind, side): (int(count), digest) for kind, count, digest, side in found}


def test_copy_both_ways_keeps_every_record(pg_server, tmp_path):
    data = generate(600)
    with TinyDBStore(tmp_path / "a", shard_size=100) as first:
        for kind in Kind:
            first.put_many(kind, data[kind.value])
        expected = [content_hash(first, kind) for kind in Kind]
    url = pg_server.new_schema()

    there = figures(copy(tmp_path, str(tmp_path / "a"), url))
    back = figures(copy(tmp_path, url, str(tmp_path / "b")))
    for kind, line in zip(Kind, expected):
        want = (line.count, line.sha256[:16])
        assert there[(kind.value, "from")] == there[(kind.value, "to")] == want
        assert back[(kind.value, "from")] == back[(kind.value, "to")] == want
    assert there[("actions", "to")][0] == 600 and there[("meetings", "to")][0] == 52

    with TinyDBStore(tmp_path / "b", create=False) as last, PgStore(url) as middle:
        assert [content_hash(last, kind) for kind in Kind] == expected
        assert middle.insert(Kind.ACTIONS, lambda ref: _renamed(data, ref)).ref == "A-601", "refs go on after the copy"

    refused = copy(tmp_path, str(tmp_path / "a"), url, code=3)
    assert "copy into an empty register" in refused


def _renamed(data, ref):
    """A copy of the first generated item under a new uid and `ref`."""
    import msgspec

    return msgspec.structs.replace(data["actions"][0], uid="NEW", ref=ref)
