"""Delivery's services, by concept: projects, money (budget and pledges), works
(milestones, acceptance, ratings) and the register (checks and repairs). Importing this
package registers the projects a confirmed vote outcome makes (``voting.OUTCOME_HOOKS``)
and the project shown on its idea's page (``consultations.IDEA_PANELS``)."""

from consult import consultations, voting
from consult.delivery.services import invitations, money, projects, register, works
from consult.delivery.services.common import Loaded, load

if projects.from_outcome not in voting.OUTCOME_HOOKS:
    voting.OUTCOME_HOOKS.append(projects.from_outcome)
if works.idea_panel not in consultations.IDEA_PANELS:
    consultations.IDEA_PANELS.append(works.idea_panel)

__all__ = ["Loaded", "invitations", "load", "money", "projects", "register", "works"]
