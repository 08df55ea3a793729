"""Clubs and their members: creating a club, its rules and earning rules, joining (a
click, or at the desk for a resident without a phone), family proxies, the ranking."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlmodel import select

from consult import permissions
from consult.accounts.models import User
from consult.audit import services as audit
from consult.communities.models import Place
from consult.communities.services import actor_for
from consult.errors import Conflict, FieldErrors, NotFound
from consult.i18n import N_, Msg
from consult.permissions import Actor
from consult.points import rules
from consult.points.models import ACTIVITY_KINDS, EarningRule, Member, PointsClub
from consult.points.services import ledger
from consult.points.services.common import ClubAt, club_at, get, member_of, require

DEFAULT_RULES = {"team": (5, 0), "themed": (5, 0), "special": (10, 0), "outing": (3, 0)}


def create_club(db: Session, actor: Actor, *, place_id, name: str, rules_text: str = "",
                now: datetime) -> ClubAt:
    place = get(db, Place, place_id)
    if place.kind not in ("area", "estate"):
        raise FieldErrors({"place_id": Msg(N_("A club belongs to a residential area or an estate."))})
    at = ClubAt(PointsClub(place_id=place.id, name=""), place)
    require("manage_points_club", actor, at)
    name = name.strip()
    if not name:
        raise FieldErrors({"name": Msg(N_("Please give the club a name."))})
    if db.exec(select(PointsClub.id).where(PointsClub.place_id == place.id)).first():
        raise FieldErrors({"place_id": Msg(N_("This place already has a club."))})
    club = PointsClub(place_id=place.id, name=name[:80], rules_text=rules_text.strip()[:4000],
                      created_at=now, created_by=actor.user_id)
    db.add(club)
    db.flush()
    ledger.open_club_accounts(db, club.id)
    db.add_all([EarningRule(club_id=club.id, kind=kind, per_attendance=a, per_hour=h)
                for kind, (a, h) in DEFAULT_RULES.items()])
    audit.record(db, actor_id=actor.user_id, action="points_club_created", target_type="points_club",
                 target_id=club.id, place_id=place.id)
    db.flush()
    return ClubAt(club, place)


def earning_rules(db: Session, club_id: int) -> dict[str, EarningRule]:
    return {r.kind: r for r in db.exec(select(EarningRule).where(EarningRule.club_id == club_id)).all()}


def update_club(db: Session, actor: Actor, at: ClubAt, *, name: str, rules_text: str,
                earning: dict[str, tuple[str, str]]) -> PointsClub:
    """The club's name, rules text and, per kind of activity, points per attendance and
    per whole hour (whole, non-negative numbers)."""
    require("manage_points_club", actor, at)
    errors: dict[str, Msg] = {}
    if not name.strip():
        errors["name"] = Msg(N_("Please give the club a name."))
    parsed: dict[str, tuple[int, int]] = {}
    for kind in ACTIVITY_KINDS:
        per_attendance, per_hour = earning.get(kind, ("0", "0"))
        a, problem_a = rules.parse_points(per_attendance, allow_zero=True)
        h, problem_h = rules.parse_points(per_hour, allow_zero=True)
        if problem_a:
            errors[f"{kind}_attendance"] = problem_a
        if problem_h:
            errors[f"{kind}_hour"] = problem_h
        parsed[kind] = (a or 0, h or 0)
    if errors:
        raise FieldErrors(errors)
    at.club.name, at.club.rules_text = name.strip()[:80], rules_text.strip()[:4000]
    db.add(at.club)
    existing = earning_rules(db, at.club.id)
    for kind, (a, h) in parsed.items():
        rule = existing.get(kind) or EarningRule(club_id=at.club.id, kind=kind)
        rule.per_attendance, rule.per_hour = a, h
        db.add(rule)
    audit.record(db, actor_id=actor.user_id, action="points_club_updated", target_type="points_club",
                 target_id=at.club.id, place_id=at.place.id,
                 earning={k: list(v) for k, v in parsed.items()})
    db.flush()
    return at.club


def _new_member(db: Session, club: PointsClub, *, user_id: int | None, name: str,
                joined_by: int | None, now: datetime) -> Member:
    for _ in range(8):  # a clash of random card codes is rare; try another
        member = Member(club_id=club.id, user_id=user_id, name=name[:40], card_code=rules.new_code(),
                        joined_at=now, joined_by=joined_by)
        try:
            with db.begin_nested():
                db.add(member)
                db.flush()
        except IntegrityError:
            if user_id is not None and member_of(db, club.id, user_id):
                raise Conflict(N_("Already a member of this club."), code="already_member") from None
            continue
        ledger.open_member_account(db, member)
        return member
    raise Conflict(N_("Please try again."), code="retry")


def join(db: Session, actor: Actor, user: User, at: ClubAt, *, now: datetime) -> Member:
    """A resident of the club's place joins with one click."""
    if not permissions.allowed("join_points_club", actor, at.path):
        raise Conflict(N_("Only residents of %(place)s can join this club. If you live there, "
                          "ask to be verified as a resident first."), code="not_resident",
                       place=at.place.name)
    if member_of(db, at.club.id, user.id):
        raise Conflict(N_("Already a member of this club."), code="already_member")
    return _new_member(db, at.club, user_id=user.id, name=user.display_name, joined_by=None, now=now)


def join_at_desk(db: Session, actor: Actor, at: ClubAt, *, name: str, login: str = "",
                 now: datetime) -> Member:
    """Staff join a resident at the desk: one without an account (by name; they get a
    card with its code) or one with an account (their mobile number), who must then be a
    resident of the club's place."""
    require("act_at_points_desk", actor, at)
    name, login = name.strip(), login.strip()
    user = None
    if login:
        user = db.exec(select(User).where(or_(User.login == login, User.phone == login))).first()
        if user is None:
            raise FieldErrors({"login": Msg(N_("No account has this mobile number."))})
        if not permissions.allowed("join_points_club", actor_for(db, user), at.path):
            raise FieldErrors({"login": Msg(N_("This person is not a verified resident of %(place)s."),
                                            {"place": at.place.name})})
        if member_of(db, at.club.id, user.id):
            raise FieldErrors({"login": Msg(N_("Already a member of this club."))})
        name = name or user.display_name
    if not name or any(c in name for c in "\r\n\t"):
        raise FieldErrors({"name": Msg(N_("Please give the member's name."))})
    member = _new_member(db, at.club, user_id=user.id if user else None, name=name,
                         joined_by=actor.user_id, now=now)
    audit.record(db, actor_id=actor.user_id, action="points_member_joined_at_desk",
                 target_type="points_member", target_id=member.id, place_id=at.place.id)
    return member


def set_proxy(db: Session, actor: Actor, at: ClubAt, member_id, *, login: str) -> Member:
    """Record (or, with an empty number, remove) a member's family proxy: an account that
    may see the passbook, pre-order and collect for them. Staff, at the desk."""
    require("act_at_points_desk", actor, at)
    member = member_in(db, at, member_id)
    login = login.strip()
    if login:
        proxy = db.exec(select(User).where(or_(User.login == login, User.phone == login))).first()
        if proxy is None:
            raise FieldErrors({"proxy": Msg(N_("No account has this mobile number."))})
        if proxy.id == member.user_id:
            raise FieldErrors({"proxy": Msg(N_("A member cannot be their own proxy."))})
        member.proxy_user_id = proxy.id
    else:
        member.proxy_user_id = None
    db.add(member)
    audit.record(db, actor_id=actor.user_id, action="points_proxy_set", target_type="points_member",
                 target_id=member.id, place_id=at.place.id, proxy=member.proxy_user_id)
    db.flush()
    return member


def set_ranking(db: Session, actor: Actor, at: ClubAt, member: Member, on: bool) -> Member:
    if member.user_id != actor.user_id:
        raise NotFound()
    member.ranking_opt_in = on
    db.add(member)
    db.flush()
    return member


def member_in(db: Session, at: ClubAt, member_id) -> Member:
    member = get(db, Member, member_id)
    if member.club_id != at.club.id:
        raise NotFound()
    return member


def by_card(db: Session, at: ClubAt, code: str) -> Member | None:
    return db.exec(select(Member).where(Member.club_id == at.club.id,
                                        Member.card_code == rules.normalize_code(code))).first()


def by_card_or_refuse(db: Session, at: ClubAt, code: str, field: str = "card_code") -> Member:
    """The member with this card code, or a message on ``field``."""
    member = by_card(db, at, code)
    if member is None:
        raise FieldErrors({field: Msg(N_("No member of this club has the card code %(code)s."),
                                      {"code": rules.normalize_code(code) or "—"})})
    return member


def members(db: Session, at: ClubAt) -> list[tuple[Member, int]]:
    """Every member with their balance (from the entries), by name: two queries."""
    rows = list(db.exec(select(Member).where(Member.club_id == at.club.id).order_by(Member.name, Member.id)).all())
    totals = ledger.balances_of(db, [m.id for m in rows])
    return [(m, totals.get(m.id, 0)) for m in rows]


def ranking(db: Session, at: ClubAt, limit: int = 20) -> list[tuple[Member, int]]:
    """Members who chose to be shown, by balance."""
    shown = list(db.exec(select(Member).where(Member.club_id == at.club.id,
                                              Member.ranking_opt_in.is_(True))).all())
    totals = ledger.balances_of(db, [m.id for m in shown])
    return sorted(((m, totals.get(m.id, 0)) for m in shown), key=lambda r: (-r[1], r[0].name))[:limit]


def clubs_for(db: Session, actor: Actor) -> list[ClubAt]:
    """Every club, those of the actor's places first."""
    rows = [ClubAt(c, p) for c, p in db.exec(select(PointsClub, Place).join(Place, Place.id == PointsClub.place_id)
                                             .order_by(Place.path)).all()]
    return sorted(rows, key=lambda at: not actor.holds({"resident", *permissions.STAFF}, at.path))


def memberships(db: Session, user_id: int | None) -> dict[int, Member]:
    """club id → the person's membership, and those they are the proxy of (by member id)."""
    if user_id is None:
        return {}
    rows = db.exec(select(Member).where(or_(Member.user_id == user_id, Member.proxy_user_id == user_id))).all()
    return {m.id: m for m in rows}


def load(db: Session, club_id) -> ClubAt:
    return club_at(db, club_id)


def place_choices(db: Session, actor: Actor) -> list[Place]:
    """Areas and estates the actor manages that have no club yet."""
    taken = select(PointsClub.place_id)
    rows = db.exec(select(Place).where(Place.kind.in_(("area", "estate")), Place.id.not_in(taken))
                   .order_by(Place.path)).all()
    return [p for p in rows if actor.holds(permissions.STAFF, p.ids_from_root)]
