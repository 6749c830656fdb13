"""Model-backed slash actions (`/ask`, `/summarize`, `/reply`, `/plan-slice`, `/tdd-loop`,
`/security-review`) over the index, the router and the Policy Shield; no LSP imports."""

from chatx.assistant.inputs import ActionInput
from chatx.assistant.results import tests_file_for
from chatx.assistant.service import ACTIONS, Assistant
from chatx.assistant.workspace import workspace_assistant

__all__ = ["ACTIONS", "ActionInput", "Assistant", "tests_file_for", "workspace_assistant"]
