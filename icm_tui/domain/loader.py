"""Load agendas and org.yaml (DESIGN.md §5) into typed records, reporting every problem with its position."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Callable, Iterable, Sequence as Seq
from pathlib import Path
from typing import TYPE_CHECKING

from icm_tui.domain.agenda import Agenda, AgendaItem, Cadence, ItemKind
from icm_tui.domain.org import Department, Org, Person, Service, Thresholds
from icm_tui.domain.yamlsafe import (
    DECIMAL_INT,
    OCTAL_INT,
    SEXAGESIMAL_INT,
    Mapping,
    Node,
    Problem,
    Scalar,
    Sequence,
    plain_surprise,
    read_yaml,
    sexagesimal,
)
from icm_tui.errors import BadInput

if TYPE_CHECKING:
    from icm_tui.workspace import Workspace

SLUG = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*\Z")
"""What an id looks like: `zhang-wei`, `it`, `weekly-coordination`."""

ORG_FILENAMES = ("org.yaml", "org.yml")

AGENDA_KEYS = ("version", "series", "title", "cadence", "facilitator", "duration", "attendees", "items")
ITEM_KEYS = ("title", "kind", "timebox", "requester", "supplier", "presenter", "prompt")
ORG_KEYS = ("version", "organization", "store", "departments", "people", "services", "thresholds")
DEPARTMENT_KEYS = ("id", "name", "lead")
PERSON_KEYS = ("id", "name", "department")
SERVICE_KEYS = ("id", "name", "provider", "consumers", "target_days")
THRESHOLD_KEYS = ("escalate_after_carries", "escalate_after_overdue_days")

EXAMPLES = {
    "version": "'version: 1'",
    "series": "'series: weekly-coordination'",
    "title": "'title: Weekly coordination'",
    "items": "'items:' followed by '- title: ...' lines",
    "timebox": "'timebox: 10' (minutes)",
    "departments": "'departments: [{id: it, name: IT}]'",
    "id": "'id: zhang-wei'",
    "name": "'name: Zhang Wei'",
    "department": "'department: it'",
    "provider": "'provider: it'",
}

MAX_PROBLEMS = 100
"""Past this many problems in one file, the rest are counted, not listed."""

CADENCES = tuple(c.value for c in Cadence)
KINDS = tuple(k.value for k in ItemKind)
MINUTES_IN_A_DAY = 24 * 60


class LoadError(BadInput):
    """A file that does not load; `problems` holds every located problem found in it."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """`; did you mean 'x'?` for the closest choice, or an empty string."""
    choices = list(choices)
    folded = {c.casefold(): c for c in choices}
    if word.casefold() in folded:
        return f"; did you mean '{folded[word.casefold()]}'?"
    close = difflib.get_close_matches(word.casefold(), list(folded), n=1, cutoff=0.6)
    return f"; did you mean '{folded[close[0]]}'?" if close else ""


def slugify(text: str) -> str:
    """A slug made from text, for suggestions (`Wang Fang` -> `wang-fang`); may be empty."""
    return "-".join(re.findall(r"[a-z0-9]+", text.casefold()))


def _describe(node: Node) -> str:
    """How a wrong value reads in a message."""
    if isinstance(node, Scalar):
        if node.plain and node.text in ("", "~", "null", "Null", "NULL"):
            return "nothing"
        text = node.text if len(node.text) <= 40 else node.text[:37] + "..."
        return f"'{text}'"
    return f"a {node.kind}"


class _Checker:
    """Walks a node tree against a schema, collecting problems instead of stopping at the first."""

    def __init__(self, display: str, problems: list[Problem]) -> None:
        self.display = display
        self.problems = problems

    def at(self, node: Node, message: str) -> None:
        self.problems.append(Problem(self.display, node.line, node.col, message))

    def mapping(self, node: Node, what: str, example: str) -> Mapping | None:
        if isinstance(node, Mapping):
            return node
        if not (isinstance(node, Scalar) and node.bad):
            self.at(node, f"{what} must be a mapping of keys, got {_describe(node)}; write it like {example}")
        return None

    def fields(self, node: Mapping, allowed: Seq[str], required: Seq[str], what: str) -> dict[str, Node]:
        """The known fields of a mapping; unknown keys and missing required ones are reported."""
        found: dict[str, Node] = {}
        listed = False
        for key, (key_node, value) in node.pairs.items():
            if key in allowed:
                found[key] = value
                continue
            hint = did_you_mean(key, allowed)
            if not hint and not listed:
                hint, listed = f"; allowed keys: {', '.join(allowed)}", True
            self.at(key_node, f"unknown key '{key}' in {what}{hint or '; remove it'}")
        for key in required:
            if key not in node.pairs:
                self.at(node, f"{what} has no '{key}'; add one, like {EXAMPLES.get(key, key + ': ...')}")
        return found

    def text(self, node: Node | None, field: str, required: bool = False) -> str | None:
        """A text value; None when absent-and-optional is not the case and something is wrong."""
        if node is None:
            return "" if not required else None
        if not isinstance(node, Scalar):
            self.at(node, f"{field} must be text, got {_describe(node)}; write {field}: some text")
            return None
        if node.bad:
            return None
        text = node.text
        if node.plain:
            surprise = plain_surprise(text)
            if surprise == "empty (null)":
                if required:
                    self.at(node, f"{field} is empty; give it a value")
                    return None
                return ""
            if surprise is not None:
                self.at(node, f"unquoted {text} is read by YAML as {surprise}; put it in quotes: {field}: '{text}'")
                return None
        if required and not text.strip():
            self.at(node, f"{field} is empty; give it a value")
            return None
        return text

    def integer(self, node: Node | None, field: str, unit: str, upto: int) -> int | None:
        """A positive whole number (minutes, days, counts) no larger than `upto`."""
        if node is None:
            return None
        example = f"{field}: 10"
        if not isinstance(node, Scalar):
            self.at(node, f"{field} must be a whole number of {unit}, got {_describe(node)}; write {example}")
            return None
        if node.bad:
            return None
        text = node.text
        if not node.plain:
            self.at(node, f"{field} must be a number, not quoted text; remove the quotes: {field}: {text.strip()}")
            return None
        if DECIMAL_INT.match(text):
            value = int(text)
            if value <= 0:
                self.at(node, f"{field} must be a positive number of {unit}, got {value}")
                return None
            if value > upto:
                self.at(node, f"{field} of {value} {unit} is more than {upto}; check the number")
                return None
            return value
        if SEXAGESIMAL_INT.match(text):
            value = sexagesimal(text)
            self.at(
                node,
                f"unquoted {text} is read by YAML 1.1 as {'the number ' + str(value) if value is not None else 'a number'}"
                f" (digits:digits count in base 60); write the {unit} as one whole number, like {example}",
            )
        elif OCTAL_INT.match(text):
            self.at(node, f"{text} is read by YAML as {plain_surprise(text)}; drop the leading zero")
        elif plain_surprise(text) == "empty (null)":
            self.at(node, f"{field} is empty; give a whole number of {unit}, like {example}")
        else:
            self.at(node, f"{field} must be a whole number of {unit}, got {_describe(node)}; write {example}")
        return None

    def version(self, node: Node | None) -> int | None:
        if node is None:
            return None
        if isinstance(node, Scalar) and node.plain and node.text == "1":
            return 1
        if not (isinstance(node, Scalar) and node.bad):
            self.at(node, f"version must be 1, got {_describe(node)}; write version: 1")
        return None

    def slug(self, node: Node | None, field: str, required: bool = False) -> str | None:
        """An id: lowercase letters, digits and dashes."""
        text = self.text(node, field, required)
        if not text:
            return text
        if not SLUG.match(text):
            suggestion = slugify(text)
            hint = f", like '{suggestion}'" if suggestion else ""
            self.at(node, f"{field} '{text}' is not an id; ids use lowercase letters, digits and dashes{hint}")
            return None
        return text

    def choice(self, node: Node | None, field: str, choices: Seq[str]) -> str | None:
        text = self.text(node, field)
        if not text:
            return text
        if text not in choices:
            hint = did_you_mean(text, choices)
            self.at(node, f"unknown {field} '{text}'{hint} ({field} is one of {', '.join(choices)})")
            return None
        return text

    def sequence(self, node: Node | None, field: str, example: str) -> list[Node] | None:
        if node is None:
            return []
        if isinstance(node, Sequence):
            return node.items
        if isinstance(node, Scalar) and node.plain and node.text in ("", "~", "null", "Null", "NULL"):
            return []
        if not (isinstance(node, Scalar) and node.bad):
            self.at(node, f"{field} must be a list, got {_describe(node)}; write {field}: {example}")
        return None


class _Ids:
    """The ids org.yaml defines, and the names that point to them, for reference checks."""

    def __init__(self, org: Org) -> None:
        self.present = org.present
        self.departments = {d.id for d in org.departments}
        self.people = {p.id: p for p in org.people}
        self.by_name = {d.name.casefold(): d.id for d in org.departments}
        self.by_name.update({p.name.casefold(): p.id for p in org.people})

    def hint(self, text: str, wanted: Iterable[str], what: str) -> str:
        """Why `text` is not a known id, and which id was probably meant."""
        named = self.by_name.get(text.casefold())
        if named is not None and named in wanted:
            return f"; '{text}' is the name of {named!r}: use the id {named}"
        if text in self.people and what == "department":
            return f"; '{text}' is a person, not a department (their department is '{self.people[text].department}')"
        if text in self.departments and what == "person":
            return f"; '{text}' is a department, not a person"
        close = did_you_mean(text, wanted)
        if close:
            return close
        wanted = sorted(wanted)
        listed = ", ".join(wanted[:12]) + (", ..." if len(wanted) > 12 else "")
        return f"; org.yaml defines: {listed}" if wanted else "; org.yaml defines none"


def _agenda(chk: _Checker, root: Node, org: Org, path: str) -> Agenda | None:
    """The Agenda a node tree describes, or None (with problems recorded)."""
    top = chk.mapping(root, "an agenda", "'version: 1' / 'series: weekly' / 'title: ...' / 'items: ...'")
    if top is None:
        return None
    f = chk.fields(top, AGENDA_KEYS, ("version", "series", "title", "items"), "the agenda")
    ids = _Ids(org)
    version = chk.version(f.get("version"))
    series = chk.slug(f.get("series"), "series", required="series" in f)
    title = chk.text(f.get("title"), "title", required="title" in f)
    cadence = chk.choice(f.get("cadence"), "cadence", CADENCES)
    facilitator = _person_or_name(chk, ids, f.get("facilitator"), "facilitator")
    duration = chk.integer(f.get("duration"), "duration", "minutes", MINUTES_IN_A_DAY)
    attendees = _attendees(chk, ids, f.get("attendees"))
    items: list[AgendaItem] = []
    item_nodes = chk.sequence(f.get("items"), "items", "a list of '- title: ...' entries")
    if item_nodes is not None and not item_nodes and "items" in f:
        chk.at(f["items"], "items is empty; an agenda needs at least one item")
    for number, node in enumerate(item_nodes or (), start=1):
        item = _item(chk, ids, node, number)
        if item is not None:
            items.append(item)
    if chk.problems or None in (version, series, title, cadence, facilitator, attendees):
        return None
    if "duration" in f and duration is None:
        return None
    return Agenda(
        version=1,
        series=series,
        title=title,
        cadence=Cadence(cadence or "once"),
        facilitator=facilitator,
        duration=duration,
        attendees=tuple(attendees),
        items=tuple(items),
        path=path,
    )


def _item(chk: _Checker, ids: _Ids, node: Node, number: int) -> AgendaItem | None:
    what = f"item {number}"
    m = chk.mapping(node, what, "'- title: ...' with 'kind:' and 'timebox:' below it")
    if m is None:
        return None
    f = chk.fields(m, ITEM_KEYS, ("title", "timebox"), what)
    title = chk.text(f.get("title"), "title", required="title" in f)
    kind = chk.choice(f.get("kind"), "kind", KINDS)
    timebox = chk.integer(f.get("timebox"), "timebox", "minutes", MINUTES_IN_A_DAY)
    requester = _department_or_name(chk, ids, f.get("requester"), "requester")
    supplier = _department_or_name(chk, ids, f.get("supplier"), "supplier")
    presenter = _person_or_name(chk, ids, f.get("presenter"), "presenter")
    prompt = chk.text(f.get("prompt"), "prompt")
    values = (title, kind, timebox, requester, supplier, presenter, prompt)
    if None in values:
        return None
    return AgendaItem(
        title=title,
        kind=ItemKind(kind or "discussion"),
        timebox=timebox,
        requester=requester,
        supplier=supplier,
        presenter=presenter,
        prompt=prompt.rstrip("\n"),
    )


def _department_or_name(chk: _Checker, ids: _Ids, node: Node | None, field: str) -> str | None:
    """A department id when org.yaml is present; any name without it."""
    text = chk.text(node, field)
    if not text or not ids.present:
        return text
    if text not in ids.departments:
        chk.at(node, f"unknown department '{text}' in {field}{ids.hint(text, ids.departments, 'department')}")
        return None
    return text


def _person_or_name(chk: _Checker, ids: _Ids, node: Node | None, field: str) -> str | None:
    """A person id, or a plain name (`Wang Fang`, `王芳`) that does not look like an id."""
    text = chk.text(node, field)
    if not text or not ids.present or text in ids.people:
        return text
    if SLUG.match(text):
        chk.at(node, f"unknown person '{text}' in {field}{ids.hint(text, ids.people, 'person')}")
        return None
    return text


def _attendees(chk: _Checker, ids: _Ids, node: Node | None) -> list[str] | None:
    nodes = chk.sequence(node, "attendees", "[it, sales, hr]")
    if nodes is None:
        return None
    attendees: list[str] = []
    ok = True
    wanted = ids.departments | set(ids.people)
    for item in nodes:
        text = chk.text(item, "an attendee", required=True)
        if text is None:
            ok = False
            continue
        if ids.present and text not in wanted:
            chk.at(item, f"unknown department or person '{text}' in attendees{ids.hint(text, wanted, 'attendee')}")
            ok = False
            continue
        if text in attendees:
            chk.at(item, f"attendee '{text}' is listed twice; remove one")
            ok = False
            continue
        attendees.append(text)
    return attendees if ok else None


def _org(chk: _Checker, root: Node) -> Org | None:
    """The Org a node tree describes, or None (with problems recorded)."""
    top = chk.mapping(root, "org.yaml", "'version: 1' / 'departments: ...' / 'people: ...'")
    if top is None:
        return None
    f = chk.fields(top, ORG_KEYS, ("version", "departments"), "org.yaml")
    version = chk.version(f.get("version"))
    organization = chk.text(f.get("organization"), "organization")
    store = chk.text(f.get("store"), "store")
    if store and not store.startswith(("postgresql://", "postgres://")):
        chk.at(f["store"], f"store must be a postgresql:// URL, got {store!r}; leave it out to keep the register in data/")
        store = None

    seen: dict[str, tuple[str, int]] = {}  # id -> (what, line), shared so a person cannot reuse a department id

    def unique(node: Node | None, value: str | None, what: str) -> str | None:
        if value is None or node is None:
            return value
        if value in seen:
            other, line = seen[value]
            chk.at(node, f"id '{value}' is already used by a {other} on line {line}; ids must be unique")
            return None
        seen[value] = (what, node.line)
        return value

    departments: list[tuple[Department, Node | None]] = []
    for node in chk.sequence(f.get("departments"), "departments", "[{id: it, name: IT}]") or ():
        m = chk.mapping(node, "a department", "{id: it, name: IT, lead: zhang-wei}")
        if m is None:
            continue
        d = chk.fields(m, DEPARTMENT_KEYS, ("id", "name"), f"department on line {m.line}")
        dept_id = unique(d.get("id"), chk.slug(d.get("id"), "id", required=True), "department")
        name = chk.text(d.get("name"), "name", required=True)
        lead = chk.slug(d.get("lead"), "lead")
        if None not in (dept_id, name, lead):
            departments.append((Department(id=dept_id, name=name, lead=lead), d.get("lead")))
    people: list[tuple[Person, Node | None]] = []
    for node in chk.sequence(f.get("people"), "people", "[{id: zhang-wei, name: Zhang Wei, department: it}]") or ():
        m = chk.mapping(node, "a person", "{id: zhang-wei, name: Zhang Wei, department: it}")
        if m is None:
            continue
        p = chk.fields(m, PERSON_KEYS, ("id", "name", "department"), f"person on line {m.line}")
        person_id = unique(p.get("id"), chk.slug(p.get("id"), "id", required=True), "person")
        name = chk.text(p.get("name"), "name", required=True)
        dept = chk.slug(p.get("department"), "department", required=True)
        if None not in (person_id, name, dept):
            people.append((Person(id=person_id, name=name, department=dept), p.get("department")))
    dept_ids = {d.id for d, _ in departments}
    person_ids = {p.id for p, _ in people}
    for dept, node in departments:
        if dept.lead and dept.lead not in person_ids:
            chk.at(node, f"lead '{dept.lead}' of {dept.id} is not in people{did_you_mean(dept.lead, person_ids)}")
    for person, node in people:
        if person.department not in dept_ids:
            hint = did_you_mean(person.department, dept_ids)
            chk.at(node, f"unknown department '{person.department}' for {person.id}{hint}")

    services: list[Service] = []
    service_ids: set[str] = set()
    example = "{id: laptops, name: Laptop provisioning, provider: it, consumers: [sales], target_days: 3}"
    for node in chk.sequence(f.get("services"), "services", f"[{example}]") or ():
        m = chk.mapping(node, "a service", example)
        if m is None:
            continue
        s = chk.fields(m, SERVICE_KEYS, ("id", "name", "provider"), f"service on line {m.line}")
        service_id = chk.slug(s.get("id"), "id", required=True)
        if service_id and service_id in service_ids:
            chk.at(s["id"], f"service id '{service_id}' is used twice; ids must be unique")
            service_id = None
        service_ids.add(service_id or "")
        name = chk.text(s.get("name"), "name", required=True)
        provider = _org_department(chk, dept_ids, s.get("provider"), "provider", required=True)
        consumers: list[str] | None = []
        for c in chk.sequence(s.get("consumers"), "consumers", "[sales, hr]") or ():
            consumer = _org_department(chk, dept_ids, c, "a consumer", required=True)
            if consumer is None:
                consumers = None
            elif consumers is not None:
                consumers.append(consumer)
        target = chk.integer(s.get("target_days"), "target_days", "days", 3650)
        if "target_days" in s and target is None:
            continue
        if None not in (service_id, name, provider, consumers):
            services.append(
                Service(id=service_id, name=name, provider=provider, consumers=tuple(consumers), target_days=target)
            )

    thresholds = Thresholds()
    if "thresholds" in f:
        m = chk.mapping(f["thresholds"], "thresholds", "{escalate_after_carries: 3, escalate_after_overdue_days: 14}")
        if m is not None:
            t = chk.fields(m, THRESHOLD_KEYS, (), "thresholds")
            carries = chk.integer(t.get("escalate_after_carries"), "escalate_after_carries", "meetings", 1000)
            days = chk.integer(t.get("escalate_after_overdue_days"), "escalate_after_overdue_days", "days", 3650)
            thresholds = Thresholds(
                escalate_after_carries=carries or thresholds.escalate_after_carries,
                escalate_after_overdue_days=days or thresholds.escalate_after_overdue_days,
            )
    if chk.problems or version is None or organization is None or store is None:
        return None
    return Org(
        organization=organization,
        store=store,
        departments=tuple(d for d, _ in departments),
        people=tuple(p for p, _ in people),
        services=tuple(services),
        thresholds=thresholds,
        present=True,
    )


def _org_department(chk: _Checker, dept_ids: set[str], node: Node | None, field: str, required: bool) -> str | None:
    dept = chk.slug(node, field, required=required)
    if dept and dept not in dept_ids:
        chk.at(node, f"unknown department '{dept}' in {field}{did_you_mean(dept, dept_ids)}")
        return None
    return dept


def _raise(chk: _Checker, fallback: str) -> None:
    """LoadError with the problems in file order, at most MAX_PROBLEMS of them listed."""
    problems = sorted(chk.problems, key=lambda p: (p.line, p.col)) or [Problem(chk.display, 1, 1, fallback)]
    if len(problems) > MAX_PROBLEMS:
        rest = problems[MAX_PROBLEMS]
        more = f"and {len(problems) - MAX_PROBLEMS} more problems from here on; fix the ones above first"
        problems = [*problems[:MAX_PROBLEMS], Problem(rest.path, rest.line, rest.col, more)]
    raise LoadError(problems)


def load_org(path: str | os.PathLike[str], *, display: str | None = None) -> Org:
    """The organisation in an org.yaml; LoadError with every problem otherwise."""
    display = display if display is not None else str(path)
    root, problems = read_yaml(path, display)
    chk = _Checker(display, problems)
    org = _org(chk, root) if root is not None else None
    if chk.problems or org is None:
        _raise(chk, "not a valid org.yaml")
    return org


def find_agenda(workspace: Workspace, name: str, org: Org) -> Path:
    """The file `name` means: a path, a file name in agendas/, or a series; BadInput otherwise."""
    given = Path(name).expanduser()
    if given.is_file():
        return given
    folder = workspace.agendas_dir
    for candidate in (folder / name, folder / f"{name}.yaml", folder / f"{name}.yml"):
        if candidate.is_file():
            return candidate
    paths = workspace.agenda_paths()
    for path in paths:
        try:
            if load_agenda(path, org).series == name:
                return path
        except (BadInput, OSError):
            continue
    known = ", ".join(p.stem for p in paths) or f"none in {folder}"
    hint = difflib.get_close_matches(name, [p.stem for p in paths], n=1)
    suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
    raise BadInput(f"no agenda {name!r}{suggestion} (agendas: {known})")


def load_agenda(path: str | os.PathLike[str], org: Org, *, display: str | None = None) -> Agenda:
    """The agenda in a YAML file, ids checked against `org` when it came from an org.yaml."""
    display = display if display is not None else str(path)
    root, problems = read_yaml(path, display)
    chk = _Checker(display, problems)
    agenda = _agenda(chk, root, org, str(path)) if root is not None else None
    if chk.problems or agenda is None:
        _raise(chk, "not a valid agenda")
    return agenda


def load_workspace_org(workspace) -> Org:
    """The workspace's agendas/org.yaml, or an empty Org when it has none."""
    path = workspace.org_path
    if not path.exists():
        return Org()
    return load_org(path, display=display_path(path))


def display_path(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def agenda_summary(agenda: Agenda) -> str:
    """`Title, 5 items, 50/60 min`, flagging timeboxes that exceed the duration."""
    count = len(agenda.items)
    text = f"{agenda.title}, {count} item{'s' if count != 1 else ''}, "
    total = agenda.total_timebox
    if agenda.duration is None:
        return text + f"{total} min"
    text += f"{total}/{agenda.duration} min"
    if total > agenda.duration:
        text += f" (timeboxes exceed the duration by {total - agenda.duration} min)"
    return text


def org_summary(org: Org) -> str:
    """`Example Co., 7 departments, 20 people, 6 services`."""
    name = org.organization or "organisation"
    counts = [(len(org.departments), "department"), (len(org.people), "person"), (len(org.services), "service")]
    return ", ".join([name] + [f"{n} {_plural(n, word)}" for n, word in counts])


def _plural(n: int, word: str) -> str:
    if n == 1:
        return word
    return "people" if word == "person" else word + "s"


def validate_paths(
    workspace,
    paths: Seq[str],
    echo: Callable[[str], None],
    echo_err: Callable[[str], None],
) -> bool:
    """Check agendas and org.yaml files (default: the workspace's), one line per file or problem."""
    org_path = workspace.org_path
    if paths:
        targets = [(Path(p), p) for p in paths]
    else:
        found = ([org_path] if org_path.exists() else []) + workspace.agenda_paths()
        if not found:
            echo_err(f"icm: no agendas in {display_path(workspace.agendas_dir)}; add a .yaml agenda there")
            return False
        targets = [(p, display_path(p)) for p in found]

    ok = True
    org = Org()
    org_problems: list[Problem] | None = None
    if org_path.exists():
        try:
            org = load_org(org_path, display=display_path(org_path))
        except LoadError as error:
            org_problems = error.problems
    org_reported = False
    series: dict[str, str] = {}  # series -> the file that first used it

    for path, display in targets:
        if path.name in ORG_FILENAMES:
            if _same_file(path, org_path):
                org_reported = True
                if org_problems is not None:
                    ok = False
                    for problem in org_problems:
                        echo_err(str(Problem(display, problem.line, problem.col, problem.message)))
                else:
                    echo(f"{display}: OK  {org_summary(org)}")
                continue
            try:
                other = load_org(path, display=display)
            except LoadError as error:
                ok = False
                for problem in error.problems:
                    echo_err(str(problem))
            else:
                echo(f"{display}: OK  {org_summary(other)}")
            continue
        try:
            agenda = load_agenda(path, org, display=display)
        except LoadError as error:
            ok = False
            for problem in error.problems:
                echo_err(str(problem))
        else:
            other = series.setdefault(agenda.series, display)
            if other != display:
                ok = False
                echo_err(f"{display}: series '{agenda.series}' is already the series of {other}; give each agenda its own")
                continue
            note = "" if org_problems is None else f" (ids not checked: {display_path(org_path)} has errors)"
            echo(f"{display}: OK  {agenda_summary(agenda)}{note}")
    if org_problems is not None and not org_reported:
        ok = False
        for problem in org_problems:
            echo_err(str(problem))
    return ok


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False
