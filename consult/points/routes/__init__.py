"""The points club's pages: residents' (``members``) and the committee's (``staff``)."""

from consult.points.routes import members, records, staff

routes = [*members.routes, *staff.routes, *records.routes]
