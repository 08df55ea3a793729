"""Pages for places and residents' verification."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route

from consult import clock, permissions
from consult.communities import services
from consult.communities.rules import CHILD_HEADINGS
from consult.i18n import N_
from consult.web.auth import current_actor, current_user, require, require_user
from consult.web.csrf import read_form
from consult.web.db import get_db
from consult.web.forms import FormPage, form_view
from consult.web.offloop import from_memory
from consult.web.responses import redirect_to, safe_next
from consult.web.templating import render, render_fragment, render_public, translator_for

YEAR = 365 * 24 * 3600


@from_memory  # a visitor not signed in gets the kept page without a thread (offloop)
async def home(request: Request):
    """The same for everyone: the overview and its rendered body are kept for
    ``public_cache_seconds``; the body per language and sign-in state, with the overview
    it shows (so both expire together), rendered for the app, never with the request.
    Visitors not signed in get the whole page as kept for that overview (``render_public``)."""
    data, bodies = request.app.state.public_cache.get_or_compute(
        "overview", lambda: (services.overview_data(get_db(request)), {}))
    t = translator_for(request)
    user = current_user(request)
    signed_in = user is not None
    body = bodies.get((t.locale, signed_in))
    if body is None:
        body = bodies[t.locale, signed_in] = render_fragment(
            "communities/_home_body.html", t, app=request.app, signed_in=signed_in,
            root=data.root, areas=data.areas, counts=data.counts)
    # Staff see what waits for them first (consult.staffdesk, given by the app factory:
    # this shared part knows no domain).
    actor = current_actor(request)
    staff_tasks = request.app.state.staff_tasks if actor.holds_anywhere(permissions.STAFF) else None
    # elder mode is offered once, to someone who has never chosen (issue 16 item 4)
    offer = ("elder" not in request.cookies and "elder_offered" not in request.cookies
             and not (user and user.elder_mode))
    context = {
        "elder_offer": offer,
        "root": data.root,
        "areas": data.areas,
        "counts": data.counts,
        "body": body,
        "staff_tasks": staff_tasks(get_db(request), actor, clock.utcnow()) if staff_tasks else None,
    }
    response = render_public(request, "communities/home.html", context, made_from=bodies, key=offer)
    if offer:
        response.set_cookie("elder_offered", "1", max_age=YEAR, samesite="lax",
                            secure=request.app.state.settings.https, httponly=True)
    return response


async def place_page(request: Request):
    db = get_db(request)
    place = services.get_place(db, request.path_params["place_id"])
    homes = services.homes_of(db, place) if place.kind in ("estate", "building_group") else []
    return render(request, "communities/place.html", {
        "place": place,
        "ancestors": services.ancestors(db, place),
        "children": services.children(db, place),
        "counts": services.subtree_counts(db, place),
        "homes": homes,
        "area_total": services.area_total_hundredths(db, place) if homes else 0,
        "child_heading": CHILD_HEADINGS[place.kind],
    })


def _verify_context(request: Request, **extra) -> dict:
    db = get_db(request)
    root = services.root(db)
    # from a "ask to be verified" button: the page to come back to, and its area chosen
    asked = {"area_id": request.query_params.get("area", "")[:12],
             "next": safe_next(request.query_params.get("next"), "")}
    context = {
        "areas": services.places_of_kind(db, "area", root),
        "requests": services.my_requests(db, current_user(request)),
        "form": asked,
        "errors": {},
        "error": None,
    }
    context.update(extra)
    return context


async def verify_page(request: Request):
    require_user(request)
    return render(request, "communities/verify.html", _verify_context(request))


async def verify_submit(request: Request):
    form = await read_form(request)
    user = require_user(request)
    actor = require(request, "use_account")
    values = {k: str(form.get(k, "")) for k in ("area_id", "note", "next")}
    back = safe_next(values["next"], "") or None
    return form_view(
        request, lambda: services.request_verification(get_db(request), actor, user,
                                                       area_id=values["area_id"], note=values["note"],
                                                       return_to=back),
        again=FormPage("communities/verify.html",
                       lambda **problem: _verify_context(request, form=values, **problem)),
        message=N_("Your request was sent. A moderator of your area will decide soon."),
        done=lambda _: RedirectResponse(back, status_code=303) if back else redirect_to(request, "account"))


def _queue_context(request: Request, actor, **extra) -> dict:
    """The queue; the actor's own requests show as waiting for another moderator."""
    return {"pending": services.pending_requests(get_db(request), actor), "errors": {},
            "error": None, "me": actor.user_id, **extra}


async def verifications_page(request: Request):
    actor = require(request, "view_staff_area")
    return render(request, "communities/verifications.html", _queue_context(request, actor))


async def verification_decide(request: Request):
    form = await read_form(request)
    actor = require(request, "view_staff_area")
    approve = form.get("decision") == "approve"
    request_id = request.path_params["request_id"]

    def queue(errors=None, error=None) -> dict:
        """Field messages are shown at the request they belong to."""
        return _queue_context(request, actor, error=error,
                              errors={request_id: errors.get("reason")} if errors else {})

    return form_view(
        request, lambda: services.decide_verification(
            get_db(request), actor, request_id=request_id, approve=approve,
            reason=str(form.get("reason", "")), now=clock.utcnow()),
        again=FormPage("communities/verifications.html", queue),
        message=N_("Approved.") if approve else N_("Refused; the person will see your reason."),
        done=lambda _: redirect_to(request, "verifications"))


routes = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/places/{place_id:int}", place_page, methods=["GET"], name="place"),
    Route("/verify", verify_page, methods=["GET"], name="verify"),
    Route("/verify", verify_submit, methods=["POST"], name="verify_submit"),
    Route("/staff/verifications", verifications_page, methods=["GET"], name="verifications"),
    Route("/staff/verifications/{request_id:int}", verification_decide, methods=["POST"],
          name="verification_decide"),
]
