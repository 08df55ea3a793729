"""The points club's pages: residents' (``members``) and the committee's (``staff``)."""

from consult.points.routes import members, staff

routes = [*members.routes, *staff.routes]
