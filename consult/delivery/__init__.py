"""Delivery 项目实施: what comes after the vote. A confirmed outcome's selected ideas
become projects with responsible parties (责任权属), budget lines, 共筹 pledges,
milestones, acceptance by two people, residents' ratings, and then the register of what
the community must keep safe, with yearly safety self-checks (安全自查) and repairs.

This is the domain's public surface (see :mod:`consult.surface`); its services, pages and
API are its own. Importing ``consult.delivery.services`` registers the projects a
confirmed vote outcome makes (``consult.voting.OUTCOME_HOOKS``).
"""

from consult.surface import surface

_SURFACE = {
    "Project": "consult.delivery.models:Project",
    "projects_from_outcome": "consult.delivery.services.projects:from_outcome",
    "checks_due": "consult.delivery.services.register:checks_due",
    "invite_raters": "consult.delivery.services.invitations:invite_raters",
    "load_demo": "consult.delivery.demo:load",
}

__all__ = sorted(_SURFACE)
__getattr__, __dir__ = surface(__name__, _SURFACE)
