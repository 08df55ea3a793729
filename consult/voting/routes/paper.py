"""Paper ballots (pages): keying them, registering and linking paper-only residents,
deciding disputes.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from consult import clock
from consult.errors import FieldErrors, Forbidden, NotFound
from consult.i18n import N_, Msg
from consult.voting import rules, services
from consult.voting.routes.common import _round, _staff_actor, again, read_ballot, render
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import form_view
from consult.web.responses import flash, redirect_to

# -- paper ballots ------------------------------------------------------------------------


def _paper_context(request: Request, vr: services.VoteRound, **extra) -> dict:
    db = get_db(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    ideas = services.ideas_on_ballot(db, vr)
    context = {
        "vr": vr, "ideas": ideas, "titles": {i.id: i.title for i in ideas},
        "kind": vr.settings.ballot_kind,
        "voters": services.paper_voters(db, actor, vr) if vr.settings.eligibility == "residents" else [],
        "rows": services.paper_rows(db, actor, vr), "disputes": services.disputes(db, actor, vr),
        "homes": services.homes_in_scope(db, vr, actor) if vr.settings.eligibility == "owners" else [],
        "places": services.areas_in_scope(db, vr), "form": {}, "errors": {}, "error": None,
        "voter_form": {}, "voter_errors": {}, "link_form": {}, "link_errors": {},
        "chosen": set(), "points": {}, "ranks": {},
        "can_resolve": services.staff_within(db, actor, vr, "publish_results"), "me": actor.user_id,
        "published": services.published_result(db, vr.id) is not None,
        "q": request.query_params.get("q", "")[:100],
        "listed": services.voter_list(db, actor, vr, request.query_params.get("q", "")),
        "numbered": list(enumerate(ideas, start=1)), "confirm": None,
        "receipt_waiting": _waiting_receipt(request, vr) is not None,
    }
    chosen_voter = request.query_params.get("voter", "")
    if chosen_voter:  # "enter this person's ballot" from the voter list
        context["form"] = {"home_id" if vr.settings.eligibility == "owners" else "paper_voter_id": chosen_voter}
    context.update(extra)
    context["unlinked"] = services.not_linked(db, context["voters"])
    context["desk_residents"] = (services.desk_residents(db, actor, vr)
                                 if vr.settings.eligibility == "residents" else [])
    return context


async def paper_page(request: Request):
    vr = _round(request)
    return render(request, "voting/paper.html", _paper_context(request, vr))


PAPER_FIELDS = ("serial", "phone", "paper_voter_id", "home_id", "numbers")


def _numbered_ballot(vr: services.VoteRound, ideas, form) -> rules.RawBallot:
    """The ballot typed as the numbers on the paper (the page's one field), or, from the
    API-like form of the online ballot, its boxes."""
    if "numbers" not in form:
        return read_ballot(vr, form)
    try:
        return rules.read_numbers(vr.settings.ballot_kind, str(form.get("numbers", "")),
                                  [i.id for i in ideas])
    except rules.BallotFormError as exc:
        raise FieldErrors({"numbers": exc.msg}) from None


def _confirmation(vr, ideas, raw: rules.RawBallot) -> list[tuple[int, str, str]]:
    """(number, title, points or rank) of each idea on the keyed ballot, for the staff
    member to compare with the paper before saving."""
    number_of = {str(i.id): (n, i.title) for n, i in enumerate(ideas, start=1)}
    if vr.settings.ballot_kind == "cumulative":
        return [(*number_of[i], p) for i, p in raw.points]
    if vr.settings.ballot_kind == "ordinal":
        return [(*number_of[i], str(rank)) for rank, i in enumerate(raw.ranking, start=1)]
    return [(*number_of[i], "") for i in raw.choices]


def _waiting_receipt(request: Request, vr, pop: bool = False):
    stored = (request.session.pop if pop else request.session.get)("paper_receipt", None)
    return stored if isinstance(stored, list) and len(stored) == 3 and stored[0] == vr.id else None


async def paper_receipt(request: Request):
    """The printable receipt of the paper ballot just entered: shown once, as on line (the
    code is not kept, only its hash)."""
    vr = _round(request)
    _staff_actor(request, vr, "enter_paper_ballot")
    stored = _waiting_receipt(request, vr, pop=True)
    if stored is None:
        raise NotFound()
    return render(request, "voting/paper_receipt.html", {
        "vr": vr, "serial": stored[1], "code": rules.format_receipt(stored[2]),
        "check_url": str(request.url_for("receipt_check_page"))})


async def paper_enter(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    values = {k: str(form.get(k, "")) for k in PAPER_FIELDS}
    db = get_db(request)
    raw = rules.RawBallot()  # shown again as keyed, once it could be read

    ideas = services.ideas_on_ballot(db, vr)

    def enter():
        nonlocal raw
        raw = _numbered_ballot(vr, ideas, form)
        voter = services.paper_voter_of(db, actor, vr, phone=values["phone"],
                                        paper_voter_id=values["paper_voter_id"],
                                        home_id=values["home_id"])
        if "numbers" in form and form.get("confirmed") != "1":
            services.check(db, vr, raw, ideas)  # a ballot the rules refuse is said now
            return _Confirm(_confirmation(vr, ideas, raw), voter.label)
        return services.enter_paper(db, actor, vr, serial=values["serial"], voter=voter, raw=raw,
                                    now=clock.utcnow())

    page = again("voting/paper.html",
                 lambda **problem: _paper_context(request, vr, form=values, **problem, **_kept(raw)))

    def done(result) -> Response:
        if isinstance(result, _Confirm):
            db.rollback()
            return render(request, "voting/paper.html", _paper_context(
                request, vr, form=values, confirm=result))
        if result.receipt:
            request.session["paper_receipt"] = [vr.id, result.ballot.serial, result.receipt]
        flash(request, _entered(result))
        return redirect_to(request, "paper_ballots", rid=vr.id)

    return form_view(request, enter, again=page, message=None, done=done)


@dataclass
class _Confirm:
    """A ballot keyed by numbers, shown with its titles before it is saved."""

    lines: list[tuple[int, str, str]]
    voter: str


_ENTERED = {
    "counted": N_("Paper ballot %(serial)s is entered and counted. Receipt code for the voter: %(code)s"),
    "pending": N_("Paper ballot %(serial)s is entered. It counts once another staff member enters it again. Receipt code for the voter: %(code)s"),
    "disputed": N_("Paper ballot %(serial)s: the second entry differs from the first. A moderator must check the paper."),
}
_BOTH_MATCH = N_("Paper ballot %(serial)s: both entries match; it is counted.")


def _entered(done) -> Msg:
    text = _BOTH_MATCH if done.status == "counted" and done.receipt is None else _ENTERED[done.status]
    return Msg(text, {"serial": done.ballot.serial, "code": rules.format_receipt(done.receipt or "")})


def _kept(raw: rules.RawBallot) -> dict:
    return {"chosen": set(raw.choices), "points": dict(raw.points),
            "ranks": {pid: n for n, pid in enumerate(raw.ranking, start=1)}}


async def paper_voter_add(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    values = {k: str(form.get(k, "")) for k in ("area_id", "building_group_id", "name", "id_last4", "note",
                                                  "resident_id")}
    return form_view(
        request, lambda: services.register_paper_voter(get_db(request), actor, vr, now=clock.utcnow(),
                                                       **values),
        again=again("voting/paper.html", lambda errors: _paper_context(
            request, vr, voter_form=values, voter_errors=errors), shows=(FieldErrors,)),
        message=lambda person: Msg(N_("%(name)s is registered as a paper-only voter."),
                                   {"name": person.name}),
        done=lambda _: redirect_to(request, "paper_ballots", rid=vr.id))


async def paper_voter_link(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    values = {k: str(form.get(k, "")) for k in ("link_voter", "link_phone")}

    def linked(done) -> Response:
        if done.removed:
            flash(request, Msg(N_("%(n)s rounds not yet published had a ballot from this person on each channel: the first one stands, the later one was removed."),
                               {"n": done.removed}))
        if done.published_both:
            flash(request, Msg(N_("%(n)s published rounds had a ballot from this person on each channel; their results stand as published."),
                               {"n": done.published_both}))
        return redirect_to(request, "paper_ballots", rid=vr.id)

    return form_view(
        request, lambda: services.link_paper_voter(get_db(request), actor, vr,
                                                   paper_voter_id=values["link_voter"],
                                                   phone=values["link_phone"], now=clock.utcnow()),
        again=again("voting/paper.html", lambda errors: _paper_context(
            request, vr, link_form=values, link_errors=errors), shows=(FieldErrors,)),
        message=lambda done: Msg(N_("%(name)s now votes as the account %(phone)s, on paper or online, once per round."),
                                 {"name": done.person.name, "phone": done.user.login}),
        done=linked)


async def paper_resolve(request: Request):
    form = await read_form(request)
    vr = _round(request)
    actor = _staff_actor(request, vr, "enter_paper_ballot")
    page = again("voting/paper.html", lambda **problem: _paper_context(request, vr, **problem))

    def resolve():
        return services.resolve_dispute(get_db(request), actor, vr, serial=str(form.get("serial", "")),
                                        keep=str(form.get("keep", "")), now=clock.utcnow())

    try:
        return form_view(
            request, resolve, again=page,
            message=lambda ballot: Msg(N_("Paper ballot %(serial)s is decided and counted."),
                                       {"serial": ballot.serial}),
            done=lambda _: redirect_to(request, "paper_ballots", rid=vr.id))
    except Forbidden as exc:  # one's own keying: the page says a second moderator decides
        if exc.code != "own_request":
            raise
        return page.show(request, exc)
