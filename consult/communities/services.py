"""Services for places, roles and residents' verification."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, literal, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User, UserSession
from consult.audit import services as audit
from consult.communities import rules
from consult.communities.models import Home, HomeOwner, Place, RoleAssignment, VerificationRequest
from consult.db.ids import parse_id
from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, UserError
from consult.i18n import N_, Msg
from consult.notifications import services as notifications
from consult.permissions import Actor

# -- four eyes ----------------------------------------------------------------------------

OWN_REQUEST = N_("This is your own request, so another moderator of this place or of the "
                 "sub-district decides it. It stays in the queue for them.")
OWN_ROLE = N_("You cannot give yourself a role. Please ask another administrator.")


def check_decision(action: str, actor: Actor, path: tuple[int, ...], requester_id: int | None,
                   own: str = OWN_REQUEST) -> None:
    """Refuse unless the actor may take this decision here; on their own request (or one
    about themselves) the refusal says, kindly, that someone else decides it."""
    if not permissions.allowed(action, actor, path):
        raise Forbidden()
    if not permissions.may_decide(action, actor, path, requester_id):
        raise Forbidden(own, code="own_request")


# -- places -----------------------------------------------------------------------------


def create_place(db: Session, *, kind: str, name: str, parent: Place | None = None,
                 position: int = 0) -> Place:
    if problem := rules.child_kind_problem(parent.kind if parent else None, kind):
        raise FieldErrors({"kind": problem})
    place = Place(kind=kind, name=name.strip(), parent_id=parent.id if parent else None,
                  position=position)
    db.add(place)
    db.flush()
    place.path = f"{parent.path if parent else '/'}{place.id}/"
    db.add(place)
    return place


def get_place(db: Session, place_id: int) -> Place:
    place = db.get(Place, place_id)
    if place is None:
        raise NotFound()
    return place


def root(db: Session) -> Place | None:
    return db.exec(select(Place).where(Place.parent_id.is_(None)).order_by(Place.id)).first()


def root_path(db: Session) -> tuple[int, ...]:
    """The root place's path (empty before there is one): where rights over the whole
    platform, such as lifting a sign-in lockout, are held."""
    place = root(db)
    return place.ids_from_root if place else ()


def children(db: Session, place: Place) -> list[Place]:
    return list(db.exec(
        select(Place).where(Place.parent_id == place.id).order_by(Place.position, Place.id)
    ).all())


def ancestors(db: Session, place: Place) -> list[Place]:
    ids = place.ids_from_root[:-1]
    if not ids:
        return []
    found = {p.id: p for p in db.exec(select(Place).where(Place.id.in_(ids))).all()}
    return [found[i] for i in ids if i in found]


def places_of_kind(db: Session, kind: str, within: Place | None = None) -> list[Place]:
    query = select(Place).where(Place.kind == kind).order_by(Place.position, Place.id)
    if within is not None:
        query = query.where(Place.path.startswith(within.path))
    return list(db.exec(query).all())


def subtree_counts(db: Session, place: Place) -> dict[str, int]:
    """How many places of each kind, and homes, lie under ``place``, in one statement."""
    inside = Place.path.startswith(place.path)
    places = (
        select(Place.kind.label("kind"), func.count().label("n"))
        .where(inside, Place.id != place.id).group_by(Place.kind)
    )
    if place.kind == "building_group":
        homes = select(literal("home"), func.count()).where(Home.building_group_id == place.id)
    else:
        homes = (select(literal("home"), func.count())
                 .select_from(Home).join(Place, Place.id == Home.estate_id).where(inside))
    return {kind: n for kind, n in db.exec(union_all(places, homes)).all()}


@dataclass(frozen=True)
class PlaceName:
    """A place as the home page links to it. The overview is kept beyond the request that
    read it (``public_cache_seconds``), so it holds plain values, built here only."""

    id: int
    name: str


@dataclass(frozen=True)
class Overview:
    root: PlaceName | None
    areas: tuple[PlaceName, ...]
    counts: dict


def overview_data(db: Session) -> Overview:
    """Everything the home page shows about places: two statements."""
    root, areas = overview(db)
    if root is None:
        return Overview(None, (), {})
    return Overview(PlaceName(root.id, root.name), tuple(PlaceName(a.id, a.name) for a in areas),
                    subtree_counts(db, root))


def overview(db: Session) -> tuple[Place | None, list[Place]]:
    """The sub-district and its residential areas, in one statement (the home page)."""
    top = select(Place.id).where(Place.parent_id.is_(None)).scalar_subquery()
    rows = db.exec(
        select(Place).where((Place.parent_id.is_(None)) | (Place.parent_id == top))
        .order_by(Place.parent_id.is_not(None), Place.position, Place.id)
    ).all()
    if not rows or rows[0].parent_id is not None:
        return None, []
    return rows[0], [p for p in rows[1:] if p.parent_id == rows[0].id]


def homes_of(db: Session, place: Place) -> list[Home]:
    column = Home.estate_id if place.kind == "estate" else Home.building_group_id
    return list(db.exec(select(Home).where(column == place.id)
                        .order_by(Home.building, Home.room)).all())


def area_total_hundredths(db: Session, place: Place) -> int:
    column = Home.estate_id if place.kind == "estate" else Home.building_group_id
    return db.exec(
        select(func.coalesce(func.sum(Home.area_hundredths), 0)).where(column == place.id)
    ).one()


def add_home(db: Session, *, estate: Place, building_group: Place | None, code: str,
             building: str, room: str, area_hundredths: int, owners: list[str],
             developer_held: bool = False) -> Home:
    home = Home(estate_id=estate.id, building_group_id=building_group.id if building_group else None,
                code=code, building=building, room=room, area_hundredths=area_hundredths,
                developer_held=developer_held)
    db.add(home)
    db.flush()
    for name in owners:
        db.add(HomeOwner(home_id=home.id, name=name))
    return home


# -- roles ------------------------------------------------------------------------------


def actor_for(db: Session, user: User | None) -> Actor:
    if user is None:
        return permissions.ANONYMOUS
    rows = db.execute(_ROLES_OF_USER, {"uid": user.id}).all()
    return Actor(user_id=user.id, roles=frozenset((role, place) for role, place in rows))


# Read on every signed-in request: built once.
_ROLE = RoleAssignment.__table__
_ROLES_OF_USER = select(_ROLE.c.role, _ROLE.c.place_id).where(_ROLE.c.user_id == bindparam("uid"))
_USER_WITH_ROLES = (
    select(User, RoleAssignment.role, RoleAssignment.place_id)
    .join(UserSession, UserSession.user_id == User.id)
    .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
    .where(User.id == bindparam("uid"), UserSession.digest == bindparam("session"))
)


def signed_in(db: Session, user_id: int, session_digest: str) -> tuple[User, Actor] | None:
    """The account a session cookie names, with its roles, in one statement; None when
    the account is gone or the session was ended (its ``user_session`` row deleted:
    signed out, out everywhere, password changed).

    Every signed-in page asks this first, so the account (loaded by the ORM, the
    session's own copy when it has one) comes with its roles in the same statement.
    """
    rows = db.execute(_USER_WITH_ROLES, {"uid": user_id, "session": session_digest}).all()
    if not rows:
        return None
    roles = frozenset((row.role, row.place_id) for row in rows if row.role is not None)
    return rows[0][0], Actor(user_id=user_id, roles=roles)


def roles_of(db: Session, user: User) -> list[tuple[RoleAssignment, Place]]:
    return list(db.exec(
        select(RoleAssignment, Place).join(Place, Place.id == RoleAssignment.place_id)
        .where(RoleAssignment.user_id == user.id).order_by(Place.path)
    ).all())


def grant_role(db: Session, *, user: User, role: str, place: Place, by: User | None = None,
               actor: Actor | None = None) -> RoleAssignment:
    """Give ``user`` a role at ``place``; when ``actor`` is given it must be allowed to."""
    if problem := rules.role_problem(role):
        raise FieldErrors({"role": problem})
    if actor is not None:
        check_decision("assign_roles", actor, place.ids_from_root, user.id, OWN_ROLE)
    if by is not None and by.id == user.id:
        raise Forbidden(OWN_ROLE, code="own_request")
    existing = db.exec(select(RoleAssignment).where(
        RoleAssignment.user_id == user.id, RoleAssignment.role == role,
        RoleAssignment.place_id == place.id)).first()
    if existing:
        return existing
    assignment = RoleAssignment(user_id=user.id, role=role, place_id=place.id,
                                granted_by=by.id if by else None)
    db.add(assignment)
    if by is not None:
        audit.record(db, actor_id=by.id, action="grant_role", target_type="user",
                     target_id=user.id, place_id=place.id, role=role)
    db.flush()
    return assignment


def staff_places(actor: Actor, db: Session, roles=permissions.STAFF) -> list[Place]:
    """The places where the actor holds one of ``roles`` (each covers its subtree)."""
    ids = [place for role, place in actor.roles if role in roles]
    if not ids:
        return []
    return list(db.exec(select(Place).where(Place.id.in_(ids)).order_by(Place.path)).all())


def notify_staff(db: Session, place: Place, *, kind: str, params: dict, link: str | None = None,
                 except_user: int | None = None) -> int:
    """Tell the moderators of ``place`` (holding the role there or above it) that something
    waits for them; never the person who caused it. Returns how many were told."""
    ids = db.exec(select(RoleAssignment.user_id).distinct()
                  .where(RoleAssignment.role == "moderator",
                         RoleAssignment.place_id.in_(place.ids_from_root))).all()
    told = 0
    for user_id in sorted(set(ids)):
        if user_id != except_user:
            notifications.notify(db, user_id=user_id, kind=kind, params=params, link=link)
            told += 1
    return told


# -- verification -----------------------------------------------------------------------


def my_requests(db: Session, user: User) -> list[tuple[VerificationRequest, Place]]:
    return list(db.exec(
        select(VerificationRequest, Place).join(Place, Place.id == VerificationRequest.area_id)
        .where(VerificationRequest.user_id == user.id)
        .order_by(VerificationRequest.id.desc())
    ).all())


def request_verification(db: Session, actor: Actor, user: User, *, area_id: int | str,
                         building_group_id: int | str | None = None, note: str = "",
                         return_to: str | None = None) -> VerificationRequest:
    area_key = parse_id(area_id)
    area = db.get(Place, area_key) if area_key is not None else None
    if area is None or area.kind != "area":
        raise FieldErrors({"area_id": Msg(N_("Please choose your residential area."))})
    if not permissions.allowed("request_verification", actor, area.ids_from_root):
        raise Conflict(N_("You are already verified as a resident of this area."))
    group = None
    if building_group_id not in (None, ""):
        group_key = parse_id(building_group_id)
        group = db.get(Place, group_key) if group_key is not None else None
        if group is None or group.kind != "building_group" or not group.path.startswith(area.path):
            raise FieldErrors({"building_group_id": Msg(N_("This building group is not in that area."))})
    note = note.strip()
    if len(note) > 200:
        raise FieldErrors({"note": Msg(N_("The note must have at most %(max)s characters."), {"max": 200})})
    pending = db.exec(select(VerificationRequest.id).where(
        VerificationRequest.user_id == user.id, VerificationRequest.area_id == area.id,
        VerificationRequest.status == "pending")).first()
    if pending:
        raise Conflict(N_("Your request for this area is already waiting for a decision."))
    if return_to is not None and not (return_to.startswith("/") and not return_to.startswith("//")
                                      and len(return_to) <= 300):
        return_to = None  # only a same-site path, never a way off the site
    request = VerificationRequest(user_id=user.id, area_id=area.id,
                                  building_group_id=group.id if group else None, note=note,
                                  return_to=return_to)
    db.add(request)
    db.flush()
    notify_staff(db, area, kind="verification_waiting", link="/staff/verifications",
                 params={"name": user.display_name, "area": area.name}, except_user=user.id)
    return request


def pending_requests(db: Session, actor: Actor) -> list[tuple[VerificationRequest, User, Place]]:
    """Pending requests in the places the actor moderates."""
    places = staff_places(actor, db)
    if not places:
        return []
    condition = None
    for place in places:
        clause = Place.path.startswith(place.path)
        condition = clause if condition is None else condition | clause
    return list(db.exec(
        select(VerificationRequest, User, Place)
        .join(User, User.id == VerificationRequest.user_id)
        .join(Place, Place.id == VerificationRequest.area_id)
        .where(VerificationRequest.status == "pending", condition)
        .order_by(VerificationRequest.id)
    ).all())


def decide_verification(db: Session, actor: Actor, *, request_id: int, approve: bool,
                        reason: str = "", now: datetime) -> VerificationRequest:
    request = db.get(VerificationRequest, request_id)
    if request is None:
        raise NotFound()
    area = db.get(Place, request.area_id)
    check_decision("decide_verification", actor, area.ids_from_root, request.user_id)
    if request.status != "pending":
        raise Conflict(N_("This request has already been decided."))
    reason = reason.strip()
    if not approve and (problem := rules.refusal_reason_problem(reason)):
        raise FieldErrors({"reason": problem})
    request.status = "approved" if approve else "refused"
    request.reason = reason or None
    request.decided_at = now
    request.decided_by = actor.user_id
    db.add(request)
    user = db.get(User, request.user_id)
    if approve:
        try:
            with db.begin_nested():
                grant_role(db, user=user, role="resident", place=area)
        except IntegrityError:
            raise UserError() from None
    audit.record(db, actor_id=actor.user_id, action="approve_resident" if approve else "refuse_resident",
                 target_type="user", target_id=user.id, place_id=area.id, reason=request.reason)
    notifications.notify(
        db, user_id=user.id,
        kind=("verification_approved_back" if approve and request.return_to
              else "verification_approved" if approve else "verification_refused"),
        params={"area": area.name, "reason": request.reason or ""},
        # back to the page the person came from (the idea they wanted to support), if any
        link=request.return_to if approve and request.return_to else "/account",
    )
    return request
