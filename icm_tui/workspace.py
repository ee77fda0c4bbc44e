"""Where a workspace keeps its things: agendas/, data/, minutes/."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV_VAR = "ICM_WORKSPACE"


@dataclass(frozen=True)
class Workspace:
    """A folder of meeting material: agendas, the store, exported minutes."""

    root: Path

    @classmethod
    def resolve(cls, given: str | os.PathLike[str] | None = None) -> "Workspace":
        """`--workspace DIR`, else $ICM_WORKSPACE, else the current folder."""
        chosen = given or os.environ.get(ENV_VAR) or os.getcwd()
        return cls(Path(chosen).expanduser().resolve())

    @property
    def agendas_dir(self) -> Path:
        """Agenda files and org.yaml."""
        return self.root / "agendas"

    @property
    def org_path(self) -> Path:
        """The organisation file: departments, people, services, thresholds."""
        return self.agendas_dir / "org.yaml"

    @property
    def data_dir(self) -> Path:
        """The store and its backups."""
        return self.root / "data"

    @property
    def minutes_dir(self) -> Path:
        """Exported minutes."""
        return self.root / "minutes"

    def agenda_paths(self) -> list[Path]:
        """Every agenda of the workspace (org.yaml excluded), sorted by name."""
        if not self.agendas_dir.is_dir():
            return []
        paths = [*self.agendas_dir.glob("*.yaml"), *self.agendas_dir.glob("*.yml")]
        return sorted(p for p in paths if p.name not in ("org.yaml", "org.yml"))
