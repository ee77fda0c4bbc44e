"""Modal dialogs with typed results."""

from icm_tui.tui.dialogs.confirm import ConfirmDialog
from icm_tui.tui.dialogs.help import HelpScreen
from icm_tui.tui.dialogs.prompt import PromptDialog
from icm_tui.tui.dialogs.score import ScoreDialog

__all__ = ["ConfirmDialog", "HelpScreen", "PromptDialog", "ScoreDialog"]
