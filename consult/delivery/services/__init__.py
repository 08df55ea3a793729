"""Delivery's services, by concept: projects, money (budget and pledges), works
(milestones, acceptance, ratings) and the register (checks and repairs). Importing this
package registers the projects a confirmed vote outcome makes (``voting.OUTCOME_HOOKS``)
the project shown on its idea's page (``consultations.IDEA_PANELS``) and the residents'
ratings that feed a star campaign's criterion (``ratings.PROJECT_SOURCES``)."""

from consult import consultations, ratings, voting
from consult.delivery.services import invitations, money, projects, register, works
from consult.delivery.services.common import Loaded, load

if projects.from_outcome not in voting.OUTCOME_HOOKS:
    voting.OUTCOME_HOOKS.append(projects.from_outcome)
if works.idea_panel not in consultations.IDEA_PANELS:
    consultations.IDEA_PANELS.append(works.idea_panel)
if not any(s.ratings is works.mean_stars for s in ratings.PROJECT_SOURCES):
    ratings.PROJECT_SOURCES.append(ratings.ProjectSource(choices=works.rateable_projects, ratings=works.mean_stars))

__all__ = ["Loaded", "invitations", "load", "money", "projects", "register", "works"]
