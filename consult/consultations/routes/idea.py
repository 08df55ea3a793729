"""One idea's page and what is done on it: support, comments (report, hide, show),
review decisions, the versions compared; and the photos themselves."""

from __future__ import annotations

import re
from collections.abc import Callable

from starlette.requests import Request
from starlette.responses import FileResponse

from consult import clock, permissions
from consult.communities.standing import resident_standing
from consult.consultations import rules, services
from consult.consultations.models import Comment, Idea
from consult.consultations.routes.common import _path_param, _settings, again, render
from consult.db.ids import parse_count
from consult.errors import Conflict, NotFound, UserError
from consult.i18n import N_, Msg
from consult.web.auth import current_actor, current_user, require
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.responses import flash, redirect_to


def _idea_context(request: Request, idea: Idea) -> dict:
    db = get_db(request)
    actor = current_actor(request)
    user = current_user(request)
    now = clock.utcnow()
    detail = services.idea_detail(db, idea, user, now)
    path = detail.place.ids_from_root
    kind = detail.current_round.kind if detail.current_round else None
    state = detail.round_state
    is_author = user is not None and user.id == idea.author_id
    may_review = permissions.allowed("review_idea", actor, path)
    may_decide = permissions.may_decide("review_idea", actor, path, idea.author_id)
    review_actions = [a for a in rules.REVIEW_ACTIONS
                      if may_decide and rules.review_problem(a, idea.state, kind, state) is None]
    scope_path = services.scope_of(db, detail.consultation).ids_from_root
    can = {
        "support": (permissions.allowed("support_idea", actor, path) and not is_author
                    and rules.support_problem(idea.state, kind, state) is None),
        "comment": permissions.allowed("comment", actor, path) and idea.state != "draft",
        "report": permissions.allowed("report_comment", actor, path),
        "hide": permissions.allowed("hide_comment", actor, path),
        "edit": ((is_author and rules.edit_problem(idea.state, kind, state, False) is None)
                 or (may_review and idea.state != "draft"
                     and rules.edit_problem(idea.state, kind, state, True) is None)),
        "withdraw": is_author and rules.withdraw_problem(idea.state, kind) is None,
        "review": may_review,
        "review_own": may_review and not may_decide,  # waiting for another moderator
        "me": actor.user_id,
        "export": permissions.allowed("export_ideas", actor, scope_path),
        "is_author": is_author,
    }
    # Why there is no support button, and what to do next (issue 16): the round first, then
    # where the person stands as a resident of the idea's area, then their own idea.
    support_closed = rules.support_problem(idea.state, kind, state)
    standing = (resident_standing(db, actor, user, path, now)
                if support_closed is None and not can["support"] and not is_author else None)
    merge_targets, merge_q = [], request.query_params.get("merge_q", "")
    if "merge" in review_actions:
        merge_targets = [i for i in services.merge_candidates(db, idea, merge_q)
                         if i.author_id != actor.user_id]
    return {"detail": detail, "can": can, "review_actions": review_actions,
            "support_closed": support_closed, "standing": standing,
            "merge_targets": merge_targets, "merge_q": merge_q,
            "errors": {}, "error": None, "form": {},
            "panels": services.idea_panels(db, idea.id, now.date())}


async def idea_page(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    if idea.state == "draft":
        return redirect_to(request, "idea_confirm", iid=idea.id)
    return render(request, "consultations/idea.html", _idea_context(request, idea))


def _idea_again(request: Request, idea_id: int | Callable[[], int], *, form: dict | None = None,
                key: str | None = None, shows: tuple[type[UserError], ...] = (UserError,)) -> FormPage:
    """The idea page shown again with the problem, changing nothing: the request's writes
    are rolled back first, so the page shows the idea as it was. ``idea_id`` may be a
    function (a comment's idea, looked up only when there is a problem to show); ``key``
    attaches a field's message to that form (several forms on one page share field names).
    """

    def build(errors: dict | None = None, error=None) -> dict:
        db = get_db(request)
        db.rollback()
        context = _idea_context(request, services.get_idea(db, idea_id() if callable(idea_id) else idea_id))
        context["form"] = form or {}
        if errors is not None:
            context["errors"] = {key: next(iter(errors.values()))} if key else errors
        else:
            context["error"] = error
        return context

    return again("consultations/idea.html", build, shows)


async def idea_support(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))

    def act() -> str:
        if form.get("support") == "0":
            services.unsupport_idea(db, actor, idea, clock.utcnow())
            return N_("Your support was withdrawn.")
        services.support_idea(db, actor, idea, clock.utcnow())
        return N_("Thank you for your support.")

    return form_view(request, act, again=_idea_again(request, idea.id), message=lambda said: said,
                     done=lambda _: redirect_to(request, "idea", iid=idea.id))


async def idea_comment(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    values = {"body": str(form.get("body", "")), "parent_id": str(form.get("parent_id", ""))}

    def at_comment(comment):
        response = redirect_to(request, "idea", iid=idea.id)
        response.headers["location"] += f"#c{comment.id}"
        return response

    return form_view(
        request, lambda: services.add_comment(db, actor, idea, body=values["body"],
                                              parent_id=values["parent_id"] or None, now=clock.utcnow()),
        again=_idea_again(request, idea.id, form=values),
        message=N_("Your comment was posted."), done=at_comment)


async def comment_report(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    comment = services.report_comment(db, actor, _path_param(request, "comment_id"),
                                      reason=str(form.get("reason", "")), now=clock.utcnow())
    flash(request, Msg(N_("Thank you. A moderator will look at this comment.")))
    return redirect_to(request, "idea", iid=comment.idea_id)


async def comment_hide(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    comment_id = _path_param(request, "comment_id")

    def back(comment):
        if form.get("next") == "review":
            idea = services.get_idea(db, comment.idea_id)
            return redirect_to(request, "review_queue", cid=idea.consultation_id)
        return redirect_to(request, "idea", iid=comment.idea_id)

    return form_view(
        request, lambda: services.hide_comment(db, actor, comment_id, reason=str(form.get("reason", "")),
                                               now=clock.utcnow()),
        again=_idea_again(request, lambda: db.get(Comment, comment_id).idea_id, key=f"hide-{comment_id}"),
        message=N_("The comment was hidden."), done=back)


async def comment_unhide(request: Request):
    await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    comment_id = _path_param(request, "comment_id")
    return form_view(
        request, lambda: services.unhide_comment(db, actor, comment_id, now=clock.utcnow()),
        again=_idea_again(request, lambda: db.get(Comment, comment_id).idea_id, shows=(Conflict,)),
        message=N_("The comment is shown again."),
        done=lambda comment: redirect_to(request, "idea", iid=comment.idea_id))


async def idea_review(request: Request):
    form = await read_form(request)
    db = get_db(request)
    actor = require(request, "use_account")
    idea = services.visible_idea(db, actor, _path_param(request, "iid"))
    action = str(form.get("action", ""))
    values = {"action": action, "note": str(form.get("note", "")),
              "target_id": str(form.get("target_id", ""))}
    return form_view(
        request, lambda: services.review_idea(db, actor, idea, action, note=values["note"],
                                              target_id=values["target_id"], now=clock.utcnow()),
        again=_idea_again(request, idea.id, form=values, key=f"review-{action}"),
        message=lambda decided: _decided(db, decided, action),
        done=lambda _: redirect_to(request, "idea", iid=idea.id))


_DECIDED = {
    "shortlist": N_("“%(title)s” is shortlisted. The decision is on its public timeline."),
    "request_revision": N_("The author of “%(title)s” was asked for a revision and is told so."),
    "merge": N_("“%(title)s” was merged into “%(target)s”; its supports now count there."),
    "reject": N_("“%(title)s” is not taken up. The reason is on its public timeline."),
    "restore": N_("“%(title)s” is back in the running."),
}


def _decided(db, idea: Idea, action: str) -> Msg:
    """The flash after a review decision: what happened to which idea (and into which)."""
    target = services.get_idea(db, idea.merged_into_id) if idea.merged_into_id else None
    return Msg(_DECIDED[action], {"title": idea.title, "target": target.title if target else ""})


async def idea_diff(request: Request):
    db = get_db(request)
    idea = services.visible_idea(db, current_actor(request), _path_param(request, "iid"))
    versions = services.versions(db, idea.id)
    if len(versions) < 1:
        raise NotFound()
    numbers = [v.number for v in versions]
    latest = numbers[-1]

    def pick(name: str, default: int) -> int:
        value = request.query_params.get(name, "")
        return number if (number := parse_count(value)) in numbers else default

    new = pick("to", latest)
    old = pick("from", max(1, new - 1))
    return render(request, "consultations/diff.html", {
        "idea": idea, "versions": versions, "old": old, "new": new,
        "diffs": services.diff_versions(db, idea, old, new), "labels": services.DIFF_LABELS,
    })


_MEDIA_NAME = re.compile(r"[0-9a-f]{64}(?:_t)?\.jpg")
YEAR_SECONDS = 365 * 24 * 3600


async def media(request: Request):
    """Serve a stored photo; names are content hashes, so they can be cached for a year."""
    name = request.path_params["file"]
    if not _MEDIA_NAME.fullmatch(name):
        raise NotFound()
    path = _settings(request).media_dir / name
    if not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type="image/jpeg", headers={
        "cache-control": f"public, max-age={YEAR_SECONDS}, immutable"})


async def kept_photo(request: Request):
    """The thumbnail of a photo kept with a refused idea form: only for the person who sent
    it (anyone else, signed in or not, gets the same 404)."""
    user = current_user(request)
    row = services.pending_photo(get_db(request), user.id if user else None, request.path_params["pid"])
    path = services.pending_dir(_settings(request).media_dir) / f"{row.key}_t.jpg" if row else None
    if path is None or not path.is_file():
        raise NotFound()
    return FileResponse(path, media_type="image/jpeg", headers={"cache-control": "private, max-age=86400"})
