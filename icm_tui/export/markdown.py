"""Markdown minutes to paste into an email, a wiki or a chat.

User text is escaped so that a title like `fix [/] parser` or `a | b` reads as written and never
breaks a table; departments and people are shown by their names from org.yaml.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime

from icm_tui.domain.org import Org
from icm_tui.export.minutes_yaml import Minutes, spent_minutes, timestamp

# Backslash-escapable ASCII punctuation (CommonMark §2.4) that changes meaning inline.
_INLINE = re.compile(r"([\\`*_\[\]<>|~&])")
# What changes meaning only at the start of a line: headings, quotes, lists, rules, setext lines.
_LINE_START = re.compile(r"^(\s*)([#>+=-]|\d+[.)])")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def escape(text: str) -> str:
    """One line of user text, safe inline and in a table cell (line breaks become spaces)."""
    text = _CONTROL.sub(" ", text.replace("\r\n", "\n"))
    text = " ".join(part for part in re.split(r"[\n\r\u2028\u2029\x85]+", text))
    text = _INLINE.sub(r"\\\1", text)
    return _LINE_START.sub(_escape_start, text)


def _escape_start(match: re.Match[str]) -> str:
    lead, mark = match.group(1), match.group(2)
    if mark[0].isdigit():
        return f"{lead}{mark[:-1]}\\{mark[-1]}"
    return f"{lead}\\{mark}"


def escape_block(text: str) -> str:
    """Multi-line user text as Markdown lines: each line escaped, line breaks kept as hard breaks."""
    lines = [escape(line).rstrip() for line in re.split(r"\r\n|[\n\r\u2028\u2029\x85]", text.strip("\n"))]
    out: list[str] = []
    for index, line in enumerate(lines):
        following = index + 1 < len(lines) and lines[index + 1]
        # Two trailing spaces make a hard break, so the lines people typed stay lines.
        out.append(line + "  " if line and following else line)
    return "\n".join(out)


def _when(start: datetime, end: datetime | None) -> str:
    start = timestamp(start)
    text = f"{start:%a %Y-%m-%d}, {start:%H:%M}"
    if end is not None:
        end = timestamp(end).astimezone(start.tzinfo)
        if end.date() != start.date():
            text += f" – {end:%a %Y-%m-%d %H:%M}"
        else:
            text += f"–{end:%H:%M}"
        minutes = round((end - start).total_seconds() / 60)
        text += f" (UTC{_offset(start)}), {minutes} min"
    else:
        text += f" (UTC{_offset(start)}), still running"
    return text


def _offset(moment: datetime) -> str:
    """`+08:00` for a time 8 hours ahead of UTC."""
    return moment.isoformat()[19:] or "+00:00"


def _minutes(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _party(org: Org, key: str) -> str:
    """A department or person id by its name."""
    if org.department(key) is not None:
        return org.department_name(key)
    return org.person_name(key)


def _names(org: Org, keys: tuple[str, ...]) -> str:
    return ", ".join(escape(_party(org, k)) for k in keys) or "–"


def _row(cells: list[str]) -> str:
    return "| " + " | ".join(cell or " " for cell in cells) + " |"


def _overrun(spent: float, timebox: int) -> str:
    if timebox and spent > timebox:
        return f"**over by {_minutes(round(spent - timebox, 1))} min**"
    return ""


def minutes_markdown(minutes: Minutes, org: Org) -> str:
    """The minutes as Markdown."""
    meeting = minutes.meeting
    titles = {**minutes.titles, **{a.ref: a.title for a in minutes.actions}}
    out: list[str] = [f"# {escape(meeting.title)} ({meeting.ref})", ""]
    out.append(f"- **When:** {_when(meeting.started, meeting.ended)}")
    out.append(f"- **Series:** {escape(meeting.series)}")
    if meeting.facilitator:
        out.append(f"- **Facilitator:** {escape(org.person_name(meeting.facilitator))}")
    out.append(f"- **Attendees:** {_names(org, meeting.attendees)}")
    if meeting.absent:
        out.append(f"- **Absent:** {_names(org, meeting.absent)}")
    total_spent = sum(spent_minutes(i.spent) for i in meeting.items)
    total_box = sum(i.timebox for i in meeting.items)
    out.append(f"- **Time on items:** {_minutes(round(total_spent, 1))} of {total_box} min planned")
    out.append("")

    if meeting.items:
        out += ["## Agenda", "", _row(["#", "Item", "Kind", "Spent", "Timebox", ""]), "|---:|---|---|---:|---:|---|"]
        for number, item in enumerate(meeting.items, start=1):
            spent = spent_minutes(item.spent)
            out.append(
                _row([
                    str(number), escape(item.title), escape(item.kind), f"{_minutes(spent)} min",
                    f"{item.timebox} min" if item.timebox else "–", _overrun(spent, item.timebox),
                ])
            )
        out.append("")
        for number, item in enumerate(meeting.items, start=1):
            if not (item.notes.strip() or item.decisions or item.actions):
                continue
            spent = spent_minutes(item.spent)
            out.append(f"## {number}. {escape(item.title)}")
            out.append("")
            meta = f"*{escape(item.kind)}, {_minutes(spent)} of {item.timebox} min*"
            if overrun := _overrun(spent, item.timebox):
                meta += f" {overrun}"
            out += [meta, ""]
            if item.notes.strip():
                out += [escape_block(item.notes), ""]
            if item.decisions:
                out += ["**Decisions**", ""]
                out += [f"- {escape(d)}" for d in item.decisions]
                out.append("")
            if item.actions:
                out += ["**Actions**", ""]
                out += [f"- {ref} {escape(titles.get(ref, ''))}".rstrip() for ref in item.actions]
                out.append("")

    out += ["## Actions", ""]
    if minutes.actions:
        out += [_row(["Ref", "What", "Owner", "For whom", "Due", "Priority", "Status"]), "|---|---|---|---|---|---|---|"]
        for action in minutes.actions:
            requester = escape(org.department_name(action.requester)) if action.requester else "–"
            supplier = f" ({escape(org.department_name(action.supplier))})" if action.supplier else ""
            out.append(
                _row([
                    action.ref, escape(action.title), escape(org.person_name(action.owner)) + supplier, requester,
                    action.due.isoformat() if action.due else "–", action.priority.value,
                    action.status.value.replace("_", " "),
                ])
            )
    else:
        out.append("No action items were captured.")
    out.append("")

    if meeting.reviewed:
        out += ["## Review outcomes", "", _row(["Ref", "Item", "From", "To", "Score", "Note"]), "|---|---|---|---|---:|---|"]
        for outcome in meeting.reviewed:
            to = outcome.new.replace("_", " ") + (" (carried)" if outcome.carried else "")
            out.append(
                _row([
                    outcome.ref, escape(titles.get(outcome.ref, "")), outcome.old.replace("_", " "), to,
                    str(outcome.score) if outcome.score is not None else "", escape(outcome.note),
                ])
            )
        out.append("")

    if minutes.pulses:
        out += ["## Pulse", ""]
        scores: dict[str, list[int]] = defaultdict(list)
        for pulse in minutes.pulses:
            scores[pulse.about].append(pulse.score)
        for about, values in scores.items():
            average = sum(values) / len(values)
            count = f"{len(values)} rating{'s' if len(values) != 1 else ''}"
            out.append(f"- **{escape(org.department_name(about))}:** {average:.1f} / 5 ({count})")
        out += ["", _row(["From", "About", "Score", "Comment"]), "|---|---|---:|---|"]
        for pulse in minutes.pulses:
            out.append(
                _row([
                    escape(org.department_name(pulse.rater)), escape(org.department_name(pulse.about)),
                    str(pulse.score), escape(pulse.comment),
                ])
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"
