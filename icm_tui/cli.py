"""The `icm` command. With no subcommand it opens the TUI; every other command runs without textual.

Imports are lazy: each command imports only what it needs, so `icm actions` starts fast and the
TUI's dependencies never load for a CLI call.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import click

from icm_tui import __version__
from icm_tui.errors import IcmError


class IcmGroup(click.Group):
    """A click group that turns every IcmError into one line on stderr and its exit status."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except IcmError as error:
            for line in str(error).splitlines() or [type(error).__name__]:
                click.echo(f"icm: {line}" if not _is_located(line) else line, err=True)
            ctx.exit(error.exit_code)
        except click.UsageError as error:
            if _shows_help(error):
                raise
            _usage_exit(error, ctx)
        except KeyboardInterrupt:
            click.echo("icm: interrupted", err=True)
            ctx.exit(130)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse the top-level options; a usage error is one line too (`icm --bogus`)."""
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as error:
            if _shows_help(error):
                raise
            _usage_exit(error, ctx)
            raise  # not reached: _usage_exit exits

    def list_commands(self, ctx: click.Context) -> list[str]:
        available = {name for name, target in LAZY_COMMANDS.items() if importlib.util.find_spec(target.partition(":")[0])}
        return sorted({*super().list_commands(ctx), *available})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is None and name in LAZY_COMMANDS:
            module_name, _, attr = LAZY_COMMANDS[name].partition(":")
            command = getattr(importlib.import_module(module_name), attr)
        return command


LAZY_COMMANDS = {
    "db": "icm_tui.cli_db:db",
    "export": "icm_tui.cli_export:export",
    "import": "icm_tui.cli_export:import_group",
    "report": "icm_tui.cli_report:report",
}
"""Commands defined in their own modules, imported only when called."""


def _shows_help(error: click.UsageError) -> bool:
    """True for the usage "error" of a group called without a command: its help is the answer."""
    return type(error).__name__ == "NoArgsIsHelpError"


def _usage_exit(error: click.UsageError, ctx: click.Context) -> None:
    """Report a usage error as one line, `icm action add: what is wrong; see `icm action add --help``, exit 2."""
    where = (error.ctx or ctx).command_path
    message = " ".join(error.format_message().split()).rstrip(".")
    click.echo(f"{where}: {message}; see `{where} --help`", err=True)
    ctx.exit(error.exit_code)


def _is_located(line: str) -> bool:
    """True for `PATH:LINE:COL: message` lines, which are printed as they are."""
    parts = line.split(":", 3)
    return len(parts) == 4 and parts[1].isdigit() and parts[2].isdigit()


class Context:
    """What every command shares: the workspace, and lazily the org and the store."""

    def __init__(self, workspace_dir: str | None, store_url: str | None = None) -> None:
        from icm_tui.workspace import Workspace

        try:
            self.workspace = Workspace.resolve(workspace_dir)
        except FileNotFoundError:  # os.getcwd() of a deleted folder
            from icm_tui.errors import BadInput

            raise BadInput("the current folder no longer exists; cd into a workspace or give --workspace DIR") from None
        _check_workspace(self.workspace.root, workspace_dir)
        self.store_url = _check_store_url(store_url)
        self._store = None
        self._org = None

    @property
    def org(self):
        """The workspace's org.yaml, loaded and checked (an empty Org when there is none)."""
        if self._org is None:
            from icm_tui.domain.loader import load_workspace_org

            self._org = load_workspace_org(self.workspace)
        return self._org

    @property
    def store(self):
        """The workspace's store, opened on first use."""
        if self._store is None:
            from icm_tui.store import open_store

            # --store / $ICM_STORE, else the `store:` line of org.yaml, else data/ of the workspace.
            url = self.store_url or self.org.store or None
            self._store = open_store(self.workspace.data_dir, url=url, offline=False)
        return self._store

    def services(self):
        """The use cases over this workspace's store and org."""
        from icm_tui.services import Services

        return Services(self.store, self.org)

    def close(self) -> None:
        if self._store is not None:
            self._store.close()


def _check_workspace(root, given: str | None) -> None:
    """A workspace must be an existing folder: a typo never silently makes a new, empty register."""
    from icm_tui.errors import BadInput

    if not root.exists():
        raise BadInput(f"workspace {given or root}: no such folder; check --workspace or $ICM_WORKSPACE (or create it)")
    if not root.is_dir():
        raise BadInput(f"workspace {given or root}: is a file, not a folder; check --workspace or $ICM_WORKSPACE")


def _check_store_url(url: str | None) -> str | None:
    """`--store`/$ICM_STORE: a postgresql:// URL or a folder; any other URL is bad input, never a folder named `x:`."""
    import re

    from icm_tui.errors import BadInput
    from icm_tui.store import is_pg_url

    text = (url or "").strip()
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text) and not is_pg_url(text):
        scheme = text.split("://", 1)[0]
        raise BadInput(f"--store: unsupported URL scheme {scheme!r}; give a postgresql:// URL or a folder")
    return url


pass_context = click.make_pass_decorator(Context)


@click.group(cls=IcmGroup, invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--workspace",
    "-w",
    "workspace_dir",
    metavar="DIR",
    envvar="ICM_WORKSPACE",
    help="The workspace folder (default: $ICM_WORKSPACE, else the current folder).",
)
@click.option(
    "--store", "store_url", metavar="URL", envvar="ICM_STORE",
    help="A postgresql:// URL for a shared register (default: $ICM_STORE, else the workspace's data/ folder).",
)
@click.version_option(__version__, "--version", prog_name="icm")
@click.pass_context
def main(ctx: click.Context, workspace_dir: str | None, store_url: str | None) -> None:
    """Run cross-department coordination meetings and close the loop on their promises.

    With no command, opens the TUI on the workspace's home screen.
    """
    context = Context(workspace_dir, store_url)
    ctx.obj = context
    ctx.call_on_close(context.close)
    if ctx.invoked_subcommand is None:
        _run_tui(context, agenda=None)


def _run_tui(context: Context, agenda: str | None) -> None:
    """Open the Textual app (the only place textual is imported from the CLI)."""
    from icm_tui.tui.app import run_app

    run_app(context.workspace, agenda=agenda, store_url=context.store_url)


@main.command()
@click.argument("agenda")
@pass_context
def run(context: Context, agenda: str) -> None:
    """Open the TUI straight into running AGENDA (a path, a name in agendas/, or a series)."""
    from icm_tui.domain.loader import find_agenda, load_agenda

    path = find_agenda(context.workspace, agenda, context.org)
    load_agenda(path, context.org)  # an unknown or invalid agenda is exit 2 here, before the TUI starts
    _run_tui(context, agenda=str(path))


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
@pass_context
def validate(context: Context, paths: tuple[str, ...]) -> None:
    """Check agendas and org.yaml (default: every agenda of the workspace)."""
    from icm_tui.domain.loader import validate_paths

    ok = validate_paths(context.workspace, [*paths], echo=click.echo, echo_err=lambda s: click.echo(s, err=True))
    if not ok:
        sys.exit(2)


# ---------------------------------------------------------------- action items

FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "yaml", "csv"]), default="table", show_default=True,
    help="Output format; json, yaml and csv print only the data.",
)


def action_filter_options(function):
    """The filters shared by `icm actions` and `icm export actions`."""
    options = [
        click.option("--status", "statuses", multiple=True, metavar="S", help="open, in_progress, blocked, done, closed, dropped (repeatable)."),
        click.option("--owner", metavar="P", help="Owner (person id)."),
        click.option("--supplier", metavar="D", help="Supplier department."),
        click.option("--requester", metavar="D", help="Requesting department."),
        click.option("--series", metavar="S", help="Meeting series."),
        click.option("--overdue", is_flag=True, help="Only items past due and still owed."),
        click.option("--escalated", is_flag=True, help="Only escalated items."),
        click.option("--awaiting", is_flag=True, help="Only done items awaiting confirmation."),
        click.option("--search", metavar="TEXT", help="Text in ref, title, owner, departments or notes."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def build_filter(statuses=(), owner=None, supplier=None, requester=None, series=None, overdue=False,
                 escalated=False, awaiting=False, search=None):
    """An ActionFilter from CLI options; unknown statuses are bad input."""
    from icm_tui.domain.models import Status
    from icm_tui.domain.query import ActionFilter
    from icm_tui.errors import BadInput

    wanted = set()
    for text in statuses:
        for part in text.split(","):
            part = part.strip().lower().replace("-", "_").replace(" ", "_")
            if not part:
                continue
            try:
                wanted.add(Status(part))
            except ValueError:
                raise BadInput(f"unknown status {part!r} (use {', '.join(s.value for s in Status)})") from None
    return ActionFilter(
        status=frozenset(wanted), owner=owner or "", supplier=supplier or "", requester=requester or "",
        series=series or "", overdue=overdue, escalated=escalated, awaiting=awaiting, search=search or "",
    )


@main.command()
@action_filter_options
@FORMAT_OPTION
@pass_context
def actions(context: Context, fmt: str, **filters) -> None:
    """List action items, sorted by due date."""
    from icm_tui.cli_output import print_actions

    services = context.services()
    items = services.list_actions(build_filter(**filters))
    if not items:
        _check_filter_names(context.org, filters)
    print_actions(items, fmt, services.today(), context.org)


def _check_filter_names(org, filters: dict) -> None:
    """Nothing matched: an owner or department org.yaml does not know is a typo, said so with a suggestion.

    Only checked when the list is empty, so people and departments since removed from org.yaml
    still find their old items.
    """
    import difflib

    from icm_tui.errors import BadInput

    if not org.present:
        return
    checks = [("owner", "person", org.person, [p.id for p in org.people])]
    departments = [d.id for d in org.departments]
    checks += [(name, "department", org.department, departments) for name in ("supplier", "requester")]
    for option, noun, known, choices in checks:
        value = (filters.get(option) or "").strip()
        if value and known(value) is None:
            close = difflib.get_close_matches(value, choices, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else "; the ids are in agendas/org.yaml"
            raise BadInput(f"--{option} {value!r}: org.yaml has no such {noun}{hint}")


@main.group()
def action() -> None:
    """Add, show and move one action item through its lifecycle."""


@action.command("add")
@click.argument("title")
@click.option("--owner", required=True, metavar="P", help="Who delivers it (person id).")
@click.option("--supplier", metavar="D", help="Delivering department (default: the owner's).")
@click.option("--requester", metavar="D", help="The internal customer department.")
@click.option("--due", metavar="DATE", help="2026-12-04, today, tomorrow, fri, +3d, +2w, eow, eom.")
@click.option("--priority", default="normal", show_default=True, metavar="P", help="low, normal, high, urgent.")
@click.option("--service", default="", metavar="S", help="Internal service (due defaults to its target).")
@click.option("--note", default="", metavar="TEXT", help="A first note.")
@pass_context
def action_add(context: Context, title: str, owner: str, supplier, requester, due, priority, service, note) -> None:
    """Record a new commitment; prints its ref (e.g. A-42) alone."""
    item = context.services().add_action(
        title, owner=owner, supplier=supplier, requester=requester, due=due, priority=priority, service=service, note=note,
    )
    click.echo(item.ref)


@action.command("show")
@click.argument("ref")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "yaml"]), default="text", show_default=True)
@pass_context
def action_show(context: Context, ref: str, fmt: str) -> None:
    """Show one action item with its full history.

    Attempts refused because someone else changed the item first (two people confirming and
    reopening it at once, say) show in the history as `refused`, with who got there first; in
    json and yaml they are listed under `attempts`.
    """
    import msgspec

    from icm_tui.cli_output import write_records
    from icm_tui.store.base import Kind

    services = context.services()
    item = services.action(ref)
    # A ref names another record after a restore from elsewhere: only this item's attempts.
    attempts = [a for a in context.store.attempts(Kind.ACTIONS, item.ref) if a.uid == item.uid]
    if fmt != "text":
        data = msgspec.to_builtins(item)
        if attempts:
            data["attempts"] = msgspec.to_builtins(attempts)
        if fmt == "json":
            click.echo(msgspec.json.format(msgspec.json.encode(data), indent=2).decode())
        else:
            write_records([data], "yaml", ())
        return
    click.echo(_describe(item, services, attempts))


def _describe(item, services, attempts=()) -> str:
    from icm_tui.cli_output import action_flags, printable
    from icm_tui.domain.dates import relative

    org, today = services.org, services.today()
    flags = action_flags(item, today, org)
    marks = {"!": "overdue", "^": "escalated", "?": "awaiting confirmation"}
    lines = [
        f"{item.ref}  {item.title}",
        f"  status     {item.status.value}" + (f"  ({', '.join(marks[f] for f in flags)})" if flags else ""),
        f"  owner      {org.person_name(item.owner)} ({item.owner})",
        f"  supplier   {org.department_name(item.supplier) or '-'}  ->  for {org.department_name(item.requester) or '-'}",
        f"  due        {item.due.isoformat() if item.due else '-'} ({relative(item.due, today)})",
        f"  priority   {item.priority.value}" + (f"   service {item.service}" if item.service else ""),
        f"  carried    {item.carry}x   reopened {item.reopened}x" + (f"   score {item.score}/5" if item.score else ""),
    ]
    if item.meeting:
        lines.append(f"  from       {item.meeting} ({item.series}) {item.item}")
    if item.request:
        lines.append(f"  request    {item.request}")
    lines.append("  history" + (f" ({len(attempts)} refused attempt{'s' if len(attempts) != 1 else ''})" if attempts else ""))
    waiting = sorted(attempts, key=lambda a: a.at)
    for event in item.history:
        while waiting and waiting[0].at < event.at:
            lines.extend(_attempt_lines(waiting.pop(0)))
        lines.append("    " + _event_line(event))
    for attempt in waiting:
        lines.extend(_attempt_lines(attempt))
    return printable("\n".join(lines))


def _event_line(event, prefix: str = "") -> str:
    """One history event: when, what, old -> new, score, note, by whom, in which meeting."""
    detail = " -> ".join(p for p in (event.old, event.new) if p)
    parts = [event.at.strftime("%Y-%m-%d %H:%M"), prefix + event.kind.value, detail]
    if event.score is not None:
        parts.append(f"score {event.score}")
    if event.note:
        parts.append(repr(event.note) if "\n" in event.note else f'"{event.note}"')
    if event.by:
        parts.append(f"by {event.by}")
    if event.meeting:
        parts.append(f"in {event.meeting}")
    return "  ".join(p for p in parts if p)


def _attempt_lines(attempt) -> list[str]:
    """A refused attempt: what was tried (as the events it would have added), then why it was refused."""
    import msgspec

    from icm_tui.domain.models import Event

    events = []
    for raw in attempt.events:
        try:
            events.append(msgspec.convert(raw, Event))
        except msgspec.MsgspecError:
            continue
    reason = attempt.reason.removeprefix(f"{attempt.ref}: ")
    why = f"        refused: {attempt.first} got there first; {reason}"
    if not events:
        return [f"    {attempt.at.strftime('%Y-%m-%d %H:%M')}  refused  by {attempt.by}", why]
    return ["    " + _event_line(event, "refused ") for event in events] + [why]


def _lifecycle_command(verb: str, doc: str, needs_reason: bool) -> None:
    @action.command(verb, help=doc)
    @click.argument("ref")
    @click.option("--note", "note", required=needs_reason, default="", metavar="REASON" if needs_reason else "TEXT",
                  help="Why (required)." if needs_reason else "A note for the history.")
    @pass_context
    def command(context: Context, ref: str, note: str) -> None:
        item = context.services().transition(ref, verb, note=note)
        click.echo(f"{item.ref} {item.status.value}")


_lifecycle_command("start", "Mark an item in progress.", False)
_lifecycle_command("done", "Mark an item delivered (it then awaits the requester's confirmation).", False)
_lifecycle_command("block", "Mark an item blocked (a reason is required).", True)
_lifecycle_command("drop", "Drop an item: a decision, with a reason, never a silent delete.", True)
_lifecycle_command("reopen", "The requester is not served: back to open (a reason is required).", True)


@action.command("confirm")
@click.argument("ref")
@click.option("--score", required=True, type=int, metavar="1-5", help="The requester's satisfaction, 1 to 5.")
@click.option("--note", default="", metavar="TEXT", help="The requester's comment.")
@pass_context
def action_confirm(context: Context, ref: str, score: int, note: str) -> None:
    """The requester confirms a done item and rates it: the loop is closed."""
    item = context.services().confirm(ref, score, note)
    click.echo(f"{item.ref} {item.status.value} (score {item.score}/5)")


@action.command("note")
@click.argument("ref")
@click.argument("text")
@pass_context
def action_note(context: Context, ref: str, text: str) -> None:
    """Add a note to an item's history."""
    item = context.services().note(ref, text)
    click.echo(f"{item.ref} noted")


@action.command("edit")
@click.argument("ref")
@click.option("--title", metavar="T")
@click.option("--owner", metavar="P", help="Reassign (the supplier follows the new owner's department).")
@click.option("--due", metavar="DATE", help="2026-12-04, fri, +3d, +2w, eow, eom.")
@click.option("--priority", metavar="P", help="low, normal, high, urgent.")
@click.option("--supplier", metavar="D")
@click.option("--requester", metavar="D")
@click.option("--note", default="", metavar="TEXT", help="Why it changed.")
@pass_context
def action_edit(context: Context, ref: str, **changes) -> None:
    """Change an item's title, owner, due date, priority or departments."""
    note = changes.pop("note")
    item = context.services().edit(ref, note=note, **changes)
    click.echo(f"{item.ref} updated")


# ---------------------------------------------------------------- meetings and requests

@main.command()
@click.option("--series", metavar="S", help="Only this meeting series.")
@FORMAT_OPTION
@pass_context
def meetings(context: Context, series: str | None, fmt: str) -> None:
    """List meetings, newest first."""
    from icm_tui.cli_output import table, write_records

    found = [m for m in context.store.meetings() if not series or m.series == series]
    found.sort(key=lambda m: m.started, reverse=True)
    fields = ("ref", "uid", "series", "title", "state", "started", "ended", "attendees", "absent", "items", "decisions", "actions")
    records = [
        {
            "ref": m.ref, "uid": m.uid, "series": m.series, "title": m.title, "state": m.state.value,
            "started": m.started.isoformat(), "ended": m.ended.isoformat() if m.ended else None,
            "attendees": list(m.attendees), "absent": list(m.absent), "items": len(m.items),
            "decisions": sum(len(i.decisions) for i in m.items), "actions": sum(len(i.actions) for i in m.items),
        }
        for m in found
    ]
    if fmt != "table":
        if fmt == "csv":
            for record in records:
                record["attendees"] = " ".join(record["attendees"])
                record["absent"] = " ".join(record["absent"])
        write_records(records, fmt, fields)
        return
    rows = [
        (r["ref"], r["started"][:16].replace("T", " "), r["state"], r["series"], str(r["items"]), str(r["decisions"]), str(r["actions"]), r["title"])
        for r in records
    ]
    click.echo(table(("REF", "STARTED", "STATE", "SERIES", "ITEMS", "DECISIONS", "ACTIONS", "TITLE"), rows) or "no meetings yet (icm run AGENDA starts one)")


@main.group()
def request() -> None:
    """Requests between meetings: the internal service desk."""


@request.command("add")
@click.argument("title")
@click.option("--from", "requester", required=True, metavar="D", help="The department asking.")
@click.option("--to", "supplier", required=True, metavar="D", help="The department asked to serve.")
@click.option("--service", default="", metavar="S", help="Internal service from org.yaml.")
@click.option("--details", default="", metavar="TEXT", help="What is needed, and why.")
@pass_context
def request_add(context: Context, title: str, requester: str, supplier: str, service: str, details: str) -> None:
    """Raise a request for the next meeting's triage; prints its ref."""
    item = context.services().add_request(title, requester=requester, supplier=supplier, service=service, details=details)
    click.echo(item.ref)


@request.command("accept")
@click.argument("ref")
@click.option("--owner", required=True, metavar="P")
@click.option("--due", metavar="DATE")
@click.option("--priority", default="normal", metavar="P")
@pass_context
def request_accept(context: Context, ref: str, owner: str, due, priority: str) -> None:
    """Accept a request: it becomes an action item (prints its ref)."""
    item = context.services().accept_request(ref, owner=owner, due=due, priority=priority)
    click.echo(item.ref)


@request.command("decline")
@click.argument("ref")
@click.option("--note", "reason", required=True, metavar="REASON", help="Why (the requester reads it).")
@pass_context
def request_decline(context: Context, ref: str, reason: str) -> None:
    """Decline a request, with a reason."""
    item = context.services().decline_request(ref, reason)
    click.echo(f"{item.ref} {item.status.value}")


@request.command("merge")
@click.argument("ref")
@click.option("--into", required=True, metavar="ACTION", help="The action item that already covers it.")
@pass_context
def request_merge(context: Context, ref: str, into: str) -> None:
    """Merge a request into an existing action item."""
    item = context.services().merge_request(ref, into)
    click.echo(f"{item.ref} {item.status.value} into {item.action}")


@main.command()
@click.option("--status", "status", type=click.Choice(["new", "accepted", "declined", "merged"]), help="Only this status.")
@FORMAT_OPTION
@pass_context
def requests(context: Context, status: str | None, fmt: str) -> None:
    """List requests between meetings."""
    import msgspec

    from icm_tui.cli_output import table, write_records

    found = [r for r in context.store.requests() if not status or r.status.value == status]
    fields = ("ref", "uid", "title", "requester", "supplier", "service", "status", "action", "reason", "details", "created", "updated")
    if fmt != "table":
        records = [{k: v for k, v in msgspec.to_builtins(r).items() if k != "history"} for r in found]
        write_records([{k: rec.get(k, "") for k in fields} for rec in records], fmt, fields)
        return
    rows = [
        (r.ref, r.status.value, r.created.strftime("%Y-%m-%d"), f"{r.requester} -> {r.supplier}", r.action or "-", r.title)
        for r in found
    ]
    click.echo(table(("REF", "STATUS", "RAISED", "FROM -> TO", "ACTION", "TITLE"), rows) or "no requests")
