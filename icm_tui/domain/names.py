"""What a typed name means: the person, department or service id, from an id, a name or a unique prefix.

One resolver for every front end (the capture and request dialogs, the requests screen, the CLI's
`--owner`, `--from`, `--to`...), so the same text gets the same answer everywhere. It never
guesses: a name or prefix that fits several records is refused with the candidates named, and
the front end asks the user to pick one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from icm_tui.domain.org import Org
from icm_tui.errors import BadInput

SHOWN_CANDIDATES = 5
"""How many candidates a refusal names before 'and N more'."""


@dataclass(frozen=True)
class Choice:
    """A record a typed name can mean."""

    id: str
    name: str
    detail: str = ""
    """What tells two similar names apart (a person's department)."""

    def label(self) -> str:
        """`Li Na (li-na, HR)`, `IT` when the name is the id in other case."""
        inside = ", ".join(part for part in (self.id, self.detail) if part and part.casefold() != self.name.casefold())
        return f"{self.name} ({inside})" if inside else self.name


class Ambiguous(BadInput):
    """Text that names several records: `candidates` are they, in org.yaml's order."""

    def __init__(self, message: str, candidates: Sequence[Choice]) -> None:
        super().__init__(message)
        self.candidates = tuple(candidates)


def candidates(text: str, choices: Sequence[Choice]) -> list[Choice]:
    """What `text` may mean: the record with that id; else those with that name; else those whose id or name starts with it."""
    word = text.strip().casefold()
    if not word:
        return []
    exact = _exact(word, choices)
    return exact or [c for c in choices if c.id.casefold().startswith(word) or c.name.casefold().startswith(word)]


def _exact(word: str, choices: Sequence[Choice]) -> list[Choice]:
    by_id = [c for c in choices if c.id.casefold() == word]
    return by_id[:1] or [c for c in choices if c.name.casefold() == word]


def listing(found: Sequence[Choice]) -> str:
    """`A, B or C`; `A, B, C, D, E and 3 more` past SHOWN_CANDIDATES."""
    labels = [c.label() for c in found[:SHOWN_CANDIDATES]]
    if len(found) > SHOWN_CANDIDATES:
        return f"{', '.join(labels)} and {len(found) - SHOWN_CANDIDATES} more"
    return labels[0] if len(labels) == 1 else f"{', '.join(labels[:-1])} or {labels[-1]}"


def resolve_id(text: str, choices: Sequence[Choice], what: str, *, prefixes: bool = True) -> str:
    """The id `text` names: an id or a name in any case, else (with `prefixes`) a unique prefix of one.

    BadInput when it names nobody (with a did-you-mean), Ambiguous when it names several.
    Without `prefixes` (the CLI, which echoes nothing back to check) a prefix only suggests.
    """
    word = text.strip()
    if not word:
        raise BadInput(f"{what} is required")
    exact = _exact(word.casefold(), choices)
    if len(exact) == 1:
        return exact[0].id
    found = candidates(word, choices)
    if len(found) > 1:
        how = "type more of the name, or the id" if prefixes else "give the id"
        raise Ambiguous(f"{what} {word!r} could be {listing(found)}; {how}", found)
    if found and prefixes:
        return found[0].id
    raise BadInput(f"unknown {what} {word!r}{_did_you_mean(word, choices, found)}")


def _did_you_mean(word: str, choices: Sequence[Choice], found: Sequence[Choice]) -> str:
    if found:
        return f" (did you mean {found[0].id!r}?)"
    import difflib

    spelled = {c.id.casefold(): c.id for c in choices} | {c.name.casefold(): c.id for c in choices}
    close = difflib.get_close_matches(word.casefold(), list(spelled), n=1)
    return f" (did you mean {spelled[close[0]]!r}?)" if close else ""


def person_choices(org: Org) -> list[Choice]:
    """Everyone in org.yaml, with their department."""
    depts = {d.id: d.name for d in org.departments}
    return [Choice(p.id, p.name, depts.get(p.department, p.department)) for p in org.people]


def department_choices(org: Org) -> list[Choice]:
    """Every department in org.yaml."""
    return [Choice(d.id, d.name) for d in org.departments]


def service_choices(org: Org) -> list[Choice]:
    """Every internal service in org.yaml."""
    return [Choice(s.id, s.name) for s in org.services]


def resolve_person(org: Org, text: str, *, what: str = "person", prefixes: bool = True) -> str:
    """A person id (any text when there is no org.yaml)."""
    if not org.present:
        if not text.strip():
            raise BadInput(f"{what} is required")
        return text.strip()
    if org.person(text) is not None:  # the usual case, without building the choices
        return text
    return resolve_id(text, person_choices(org), what, prefixes=prefixes)


def resolve_department(
    org: Org, text: str, *, required: bool = True, what: str = "department", prefixes: bool = True
) -> str:
    """A department id (any text when there is no org.yaml); empty stays empty unless `required`."""
    if not text.strip():
        if required:
            raise BadInput(f"{what} is required")
        return ""
    if not org.present:
        return text.strip()
    if org.department(text) is not None:
        return text
    return resolve_id(text, department_choices(org), what, prefixes=prefixes)


def resolve_service(org: Org, text: str, *, what: str = "service", prefixes: bool = True) -> str:
    """A service id; empty stays empty."""
    if not text.strip() or not org.present:
        return text.strip()
    if org.service(text) is not None:
        return text
    return resolve_id(text, service_choices(org), what, prefixes=prefixes)
