"""The staff desk 工作台: what waits for a moderator or administrator, with counts and links.

It reads the other domains (verification requests, ideas to review, disputed paper
ballots, unanswered objections, rounds closing soon) and changes nothing. Its public
surface: ``tasks`` (the home page's panel) and ``Task``.
"""

from consult.surface import surface

_SURFACE = {
    "Task": "consult.staffdesk.services:Task",
    "tasks": "consult.staffdesk.services:tasks",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
