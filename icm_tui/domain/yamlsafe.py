"""A strict YAML reader: one document of plain mappings, lists and scalars, every node with its position.

It builds the node tree itself from the parser's events (libyaml's C parser when available) instead
of using PyYAML's composer: the tree is built iteratively (so deep nesting cannot blow the stack),
anchors, aliases and tags are seen at the event that carries them, and scalars keep their raw text
and style so that the schema, not YAML 1.1, decides what `10:30` or `no` means.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import stat
from pathlib import Path

import msgspec
import yaml

try:
    _Loader = yaml.CSafeLoader
except AttributeError:  # PyYAML built without libyaml
    _Loader = yaml.SafeLoader

MAX_BYTES = 1024 * 1024
"""Files larger than this are refused before they are read."""

MAX_DEPTH = 32
"""Agendas nest four levels deep; anything near this is a mistake or an attack."""


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a file, at a 1-based line and column (0 when it concerns the whole file)."""

    path: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        message = self.message.translate(_ONE_LINE)
        if self.line <= 0:
            return f"{self.path}: {message}"
        return f"{self.path}:{self.line}:{self.col}: {message}"


# Everything str.splitlines() breaks on, escaped, so that a problem is always one line.
_ONE_LINE = {ord(c): repr(c)[1:-1] for c in "\n\r\t\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class Node:
    """A YAML node with its 1-based position."""

    __slots__ = ("line", "col")
    kind = "value"

    def __init__(self, line: int, col: int) -> None:
        self.line = line
        self.col = col


class Scalar(Node):
    """A scalar: its raw text and whether it was written plain (unquoted, not a block)."""

    __slots__ = ("text", "plain", "bad")
    kind = "text"

    def __init__(self, text: str, plain: bool, line: int, col: int, bad: bool = False) -> None:
        super().__init__(line, col)
        self.text = text
        self.plain = plain
        self.bad = bad
        """True when a problem was already reported for it (an alias, a tag): skip further checks."""


class Mapping(Node):
    """A mapping with string keys, in file order; `pairs` maps key text to (key node, value node)."""

    __slots__ = ("pairs",)
    kind = "mapping"

    def __init__(self, line: int, col: int) -> None:
        super().__init__(line, col)
        self.pairs: dict[str, tuple[Scalar, Node]] = {}


class Sequence(Node):
    """A list of nodes."""

    __slots__ = ("items",)
    kind = "list"

    def __init__(self, line: int, col: int) -> None:
        super().__init__(line, col)
        self.items: list[Node] = []


def to_python(node: Node) -> object:
    """The node as plain Python values (scalars stay text: resolving them is the schema's job)."""
    if isinstance(node, Scalar):
        return node.text
    if isinstance(node, Sequence):
        return [to_python(item) for item in node.items]
    assert isinstance(node, Mapping)
    return {key: to_python(value) for key, (_, value) in node.pairs.items()}


# --- reading bytes -----------------------------------------------------------------------------

# Characters YAML allows in a stream (YAML 1.2 §5.1); anything else means a binary or damaged file.
_NON_PRINTABLE = re.compile("[^\x09\x0a\x0d\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def read_text(path: Path, display: str) -> tuple[str | None, list[Problem]]:
    """The file's text (BOM removed), or the one problem that stops it being read."""

    def whole(message: str) -> tuple[None, list[Problem]]:
        return None, [Problem(display, 0, 0, message)]

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return whole("no such file; check the path")
    except PermissionError:
        return whole("permission denied; check the file's permissions")
    except OSError as error:
        return whole(f"cannot read it ({error.strerror or error}); check the path")
    if stat.S_ISDIR(st.st_mode):
        return whole("is a folder, not a file; give a .yaml file")
    if not stat.S_ISREG(st.st_mode):
        return whole("is not a regular file; give a .yaml file")
    if st.st_size > MAX_BYTES:
        return whole(f"is {st.st_size:,} bytes, over the 1 MiB limit; split it into smaller agendas")
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_BYTES + 1)
    except PermissionError:
        return whole("permission denied; check the file's permissions")
    except OSError as error:
        return whole(f"cannot read it ({error.strerror or error}); check the path")
    if len(data) > MAX_BYTES:
        return whole("is over the 1 MiB limit; split it into smaller agendas")
    return decode(data, display)


def decode(data: bytes, display: str) -> tuple[str | None, list[Problem]]:
    """UTF-8 text (with or without a BOM), or a located problem for binary or non-UTF-8 bytes."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        return None, [Problem(display, 1, 1, "is UTF-16 text; save it as UTF-8")]
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _byte_position(data, nul)
        return None, [Problem(display, line, col, "is a binary file (it contains NUL bytes), not YAML text")]
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line, col = _byte_position(data, error.start)
        byte = data[error.start]
        return None, [Problem(display, line, col, f"byte 0x{byte:02X} is not UTF-8; save the file as UTF-8")]
    bad = _NON_PRINTABLE.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        col = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        char = ord(bad.group())
        return None, [Problem(display, line, col, f"control character U+{char:04X} is not allowed in YAML; remove it")]
    return text, []


def _byte_position(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and character column of a byte offset."""
    start = data.rfind(b"\n", 0, offset) + 1
    return data.count(b"\n", 0, offset) + 1, len(data[start:offset].decode("utf-8", "replace")) + 1


# --- building the tree -------------------------------------------------------------------------


def read_yaml(path: str | os.PathLike[str], display: str | None = None) -> tuple[Node | None, list[Problem]]:
    """The file's single document as a node tree, and every problem found on the way."""
    display = display if display is not None else str(path)
    text, problems = read_text(Path(path), display)
    if text is None:
        return None, problems
    return parse_yaml(text, display)


def parse_yaml(text: str, display: str) -> tuple[Node | None, list[Problem]]:
    """Parse YAML text into a node tree; None when it cannot be read at all (syntax, empty)."""
    problems: list[Problem] = []

    def problem(mark, message: str) -> None:
        problems.append(Problem(display, mark.line + 1, mark.column + 1, message))

    loader = _Loader(text)
    stack: list[Node] = []
    keys: list[Scalar | None] = []  # the pending key of each open mapping, None before a key
    root: Node | None = None
    documents = 0
    aliases: set[str] = set()
    try:
        while True:
            event = loader.get_event()
            cls = type(event)
            node: Node | None = None
            if cls is yaml.ScalarEvent:
                mark = event.start_mark
                node = Scalar(event.value, not event.style, mark.line + 1, mark.column + 1)
                if event.anchor is not None:
                    problem(mark, f"anchors (&{event.anchor}) are not allowed; write the value out in full")
                if event.tag is not None:
                    problem(mark, f"tags ({_tag(event.tag)}) are not allowed; remove the tag (quote the value for text)")
                    node.bad = True
            elif cls is yaml.MappingStartEvent or cls is yaml.SequenceStartEvent:
                mark = event.start_mark
                if cls is yaml.MappingStartEvent:
                    container: Node = Mapping(mark.line + 1, mark.column + 1)
                    keys.append(None)
                else:
                    container = Sequence(mark.line + 1, mark.column + 1)
                if event.anchor is not None:
                    problem(mark, f"anchors (&{event.anchor}) are not allowed; write the value out in full")
                if event.tag is not None:
                    problem(mark, f"tags ({_tag(event.tag)}) are not allowed; remove the tag")
                stack.append(container)
                if len(stack) > MAX_DEPTH:
                    problem(mark, f"nested more than {MAX_DEPTH} levels deep; an agenda needs only a few levels")
                    return None, problems
                continue
            elif cls is yaml.MappingEndEvent or cls is yaml.SequenceEndEvent:
                node = stack.pop()
                if cls is yaml.MappingEndEvent:
                    keys.pop()
            elif cls is yaml.AliasEvent:
                mark = event.start_mark
                if event.anchor not in aliases:  # an alias bomb repeats them by the hundred: say it once
                    aliases.add(event.anchor)
                    problem(mark, f"aliases (*{event.anchor}) are not allowed; write the value out in full")
                node = Scalar("", False, mark.line + 1, mark.column + 1, bad=True)
            elif cls is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    problem(event.start_mark, "a second YAML document; keep one agenda per file and remove this '---'")
                    return root, problems
                continue
            elif cls is yaml.StreamEndEvent:
                break
            else:  # stream start, document end
                continue
            if not stack:
                root = node
                continue
            parent = stack[-1]
            if type(parent) is Sequence:
                parent.items.append(node)
                continue
            key = keys[-1]
            if key is None:
                if type(node) is not Scalar:
                    problem(_Mark(node), f"a {node.kind} cannot be a key; keys are plain words like 'title'")
                    node = Scalar("", False, node.line, node.col, bad=True)
                keys[-1] = node  # type: ignore[assignment]
                continue
            keys[-1] = None
            if key.bad:
                continue
            pairs = parent.pairs  # type: ignore[attr-defined]
            first = pairs.get(key.text)
            if first is not None:
                problems.append(
                    Problem(
                        display,
                        key.line,
                        key.col,
                        f"duplicate key '{key.text}' (first on line {first[0].line}); remove one of them",
                    )
                )
                continue
            pairs[key.text] = (key, node)
    except yaml.MarkedYAMLError as error:
        problems.append(_syntax_problem(error, text, display))
        return None, problems
    except yaml.YAMLError as error:
        problems.append(Problem(display, 1, 1, f"not valid YAML ({_one_line(str(error))})"))
        return None, problems
    except RecursionError:  # only the pure-Python parser recurses, and only on absurd input
        problems.append(Problem(display, 1, 1, "nested too deep to read; an agenda needs only a few levels"))
        return None, problems
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    if isinstance(root, Scalar) and root.plain and not root.text and not root.bad:
        root = None  # a bare '---' is as empty as an empty file
    if root is None and not problems:
        problems.append(Problem(display, 1, 1, "the file is empty; write an agenda (see the README's agenda format)"))
    return root, problems


class _Mark:
    """A parser-style 0-based mark for a node."""

    __slots__ = ("line", "column")

    def __init__(self, node: Node) -> None:
        self.line = node.line - 1
        self.column = node.col - 1


def _tag(tag: str) -> str:
    """A tag as the user wrote it (`!!int` rather than `tag:yaml.org,2002:int`)."""
    return "!!" + tag[len("tag:yaml.org,2002:") :] if tag.startswith("tag:yaml.org,2002:") else tag


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _syntax_problem(error: yaml.MarkedYAMLError, text: str, display: str) -> Problem:
    """A parser error as one located line with a hint."""
    mark = error.problem_mark or error.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
    what = _one_line(error.problem or "not valid YAML")
    if error.context:
        what = f"{what} ({_one_line(error.context)})"
    lines = text.split("\n")
    here = lines[line - 1][col - 1 : col] if 0 < line <= len(lines) else ""
    if here == "\t" or "tab character" in what:
        return Problem(display, line, col, "a tab character: YAML indents with spaces; replace the tab with spaces")
    if "nesting depth" in what:
        return Problem(display, line, col, "nested too deep; an agenda needs only a few levels")
    hint = "check the indentation, the colons and the quoting here (quote text that contains ': ' or ' #')"
    return Problem(display, line, col, f"invalid YAML: {what}; {hint}")


# --- what YAML 1.1 (and 1.2) would make of a plain scalar ---------------------------------------

_BOOLS = {
    "yes": True, "Yes": True, "YES": True, "no": False, "No": False, "NO": False,
    "true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False,
    "on": True, "On": True, "ON": True, "off": False, "Off": False, "OFF": False,
}  # fmt: skip
_NULLS = {"", "~", "null", "Null", "NULL"}
DECIMAL_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)\Z")
SEXAGESIMAL_INT = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?\Z")
OCTAL_INT = re.compile(r"[-+]?0[0-7_]+\Z|[-+]?0o[0-7]+\Z")
_OTHER_INT = re.compile(r"[-+]?0b[01_]+\Z|[-+]?0x[0-9a-fA-F_]+\Z|[-+]?[0-9][0-9_]*\Z")
_FLOAT = re.compile(
    r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+]?[0-9]+)?\Z|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+\Z"
    r"|[-+]?\.(?:inf|Inf|INF)\Z|\.(?:nan|NaN|NAN)\Z"
)
_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)[0-9].*)?\Z")
_MAYBE_SPECIAL = frozenset("0123456789+-.~")


def plain_surprise(text: str) -> str | None:
    """What YAML would read an unquoted scalar as, when that is not text; None when it is text."""
    if text in _NULLS:
        return "empty (null)"
    if text in _BOOLS:
        return f"the boolean {'true' if _BOOLS[text] else 'false'}"
    if text[0] not in _MAYBE_SPECIAL:
        return None
    if DECIMAL_INT.match(text):
        return f"the number {int(text)}"
    if SEXAGESIMAL_INT.match(text):
        value = sexagesimal(text)
        return f"the number {value} (YAML 1.1 reads digits:digits in base 60)" if value is not None else "a number"
    if OCTAL_INT.match(text):
        return f"the octal number {int(text.replace('_', '').replace('0o', '0'), 8)}"
    if _OTHER_INT.match(text) or _FLOAT.match(text):
        return "a number"
    date = _DATE.match(text)
    if date:
        try:
            _dt.date(int(date[1]), int(date[2]), int(date[3]))
        except ValueError:
            return "a date, and there is no such day"
        return "a date"
    return None


def sexagesimal(text: str) -> int | None:
    """The integer YAML 1.1 reads `10:30` as (630), or None when it is a float form."""
    if "." in text:
        return None
    sign = -1 if text.startswith("-") else 1
    value = 0
    for part in text.lstrip("+-").replace("_", "").split(":"):
        value = value * 60 + int(part)
    return sign * value
