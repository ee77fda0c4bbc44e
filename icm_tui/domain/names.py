"""What a typed name means: the person, department or service id, from an id, a name or a unique prefix."""

from __future__ import annotations

from icm_tui.domain.org import Org
from icm_tui.errors import BadInput


def resolve_id(text: str, choices: list[tuple[str, str]], what: str) -> str:
    """The id `text` names among (id, name) pairs: the id or name in any case, else a unique prefix."""
    word = text.strip().casefold()
    if not word:
        raise BadInput(f"{what} is required")
    for ident, name in choices:
        if word in (ident.casefold(), name.casefold()):
            return ident
    hits = [ident for ident, name in choices if ident.casefold().startswith(word) or name.casefold().startswith(word)]
    if len(hits) == 1:
        return hits[0]
    if hits:
        raise BadInput(f"{text.strip()!r} could be {', '.join(hits[:5])}: type more")
    raise BadInput(f"no {what} {text.strip()!r}")


def resolve_person(org: Org, text: str) -> str:
    """A person id (any text when there is no org.yaml)."""
    if not org.present:
        if not text.strip():
            raise BadInput("person is required")
        return text.strip()
    return resolve_id(text, [(p.id, p.name) for p in org.people], "person")


def resolve_department(org: Org, text: str, *, required: bool = True) -> str:
    """A department id (any text when there is no org.yaml); empty stays empty unless `required`."""
    if not text.strip():
        if required:
            raise BadInput("department is required")
        return ""
    if not org.present:
        return text.strip()
    return resolve_id(text, [(d.id, d.name) for d in org.departments], "department")


def resolve_service(org: Org, text: str) -> str:
    """A service id; empty stays empty."""
    if not text.strip() or not org.present:
        return text.strip()
    return resolve_id(text, [(s.id, s.name) for s in org.services], "service")
