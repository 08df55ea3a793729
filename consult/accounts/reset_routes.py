"""Forgot-password pages: the three ways (SMS code, desk slip, family approval) and the
desk's slip page. Thin: parse → ``consult.accounts.resets`` → respond.

Contexts (tests read ``response.context``): forgot: ``sms``, ``form``, ``errors``,
``error``, ``step`` ("ask" or "code"); reset_slip: ``form``, ``errors``, ``error``;
desk_resets: ``form``, ``errors``, ``error``, ``slips``; slip: ``slip``, ``person``,
``code`` (None once shown), ``qr``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.routing import Route

from consult import clock, messaging
from consult.accounts import resets
from consult.accounts.models import PasswordReset, User
from consult.db.ids import parse_id
from consult.errors import FieldErrors, NotFound, TooManyRequests, Unavailable
from consult.i18n import N_
from consult.web.auth import require
from consult.web.csrf import read_form
from consult.web.db import get_db, keep_writes
from consult.web.downloads import qr_svg
from consult.web.forms import FormPage, form_view
from consult.web.responses import redirect_to
from consult.web.security import request_client
from consult.web.templating import render

DONE = N_("Your password was reset and every device was signed out. Please sign in with the new password.")


def counting_wrong_codes(request: Request, call):
    """``call()``; when it refuses the code typed (``FieldErrors`` on ``code``), the
    request's writes are kept all the same: a wrong try counts."""
    try:
        return call()
    except FieldErrors as exc:
        if "code" in exc.errors:
            keep_writes(request)
        raise


def show_slip(request: Request, result):
    """After a slip was issued (``resets.issue_slip``'s result): its page, which shows the
    code once (held in the session until then, never in the database)."""
    row, _person, code = result
    request.session["slip"] = {"id": row.id, "code": code}
    return redirect_to(request, "desk_reset_slip", reset_id=row.id)


def _forgot(**extra) -> dict:
    return {"sms": messaging.reaches_phones(), "form": {}, "errors": {}, "error": None,
            "step": "ask", "masked": None, **extra}


async def forgot_page(request: Request):
    return render(request, "accounts/forgot.html", _forgot())


async def forgot_sms(request: Request):
    """Step one: a code to the number (the same answer whether or not it is registered)."""
    form = await read_form(request)
    values = {"login": str(form.get("login", ""))[:40]}
    again = FormPage("accounts/forgot.html", lambda **problem: _forgot(form=values, **problem))
    try:
        phone = resets.send_sms_code(get_db(request), request.app.state.settings,
                                     login=values["login"], now=clock.utcnow(),
                                     address=request_client(request))
    except (TooManyRequests, Unavailable) as exc:
        keep_writes(request)  # the attempt stays in the message log and counts
        return again.show(request, exc)
    except FieldErrors as exc:
        return again.show(request, exc)
    return render(request, "accounts/forgot.html",
                  _forgot(form={"login": phone}, step="code", masked=messaging.mask(phone)))


async def forgot_sms_reset(request: Request):
    form = await read_form(request)
    values = {"login": str(form.get("login", ""))[:40]}

    return form_view(
        request, lambda: counting_wrong_codes(request, lambda: resets.reset_with_sms_code(
            get_db(request), request.app.state.settings, login=values["login"],
            code=str(form.get("code", ""))[:20], new=str(form.get("new", "")),
            confirm=str(form.get("confirm", "")), now=clock.utcnow())),
        again=FormPage("accounts/forgot.html", lambda errors: _forgot(
            form=values, errors=errors, step="code"), shows=(FieldErrors,)),
        message=DONE, done=lambda _: redirect_to(request, "login"))


def _slip_form(values, **extra) -> dict:
    return {"form": values, "errors": {}, "error": None, **extra}


async def reset_slip_page(request: Request):
    code = str(request.query_params.get("code", ""))[:40]
    return render(request, "accounts/reset_slip.html", _slip_form({"code": code}))


async def reset_slip_submit(request: Request):
    form = await read_form(request)
    values = {k: str(form.get(k, ""))[:40] for k in ("login", "code")}
    keep_writes(request)  # a wrong code counts against the slip and the address

    return form_view(
        request, lambda: resets.reset_with_slip(
            get_db(request), request.app.state.settings, login=values["login"],
            code=values["code"], new=str(form.get("new", "")),
            confirm=str(form.get("confirm", "")), now=clock.utcnow(),
            client=request_client(request)),
        again=FormPage("accounts/reset_slip.html", lambda **problem: _slip_form(values, **problem)),
        message=DONE, done=lambda _: redirect_to(request, "login"))


# -- the desk ----------------------------------------------------------------------------


def _desk(request: Request, actor, values=None, **extra) -> dict:
    return {"form": values or {}, "errors": {}, "error": None, "now": clock.utcnow(),
            "slips": resets.slips_issued(get_db(request), actor), **extra}


async def desk_resets_page(request: Request):
    actor = require(request, "view_staff_area")
    return render(request, "accounts/desk_resets.html", _desk(request, actor))


async def desk_reset_issue(request: Request):
    form = await read_form(request)
    actor = require(request, "view_staff_area")
    values = {k: str(form.get(k, ""))[:200] for k in ("login", "reason")}

    return form_view(
        request, lambda: resets.issue_slip(
            get_db(request), actor, request.app.state.settings, login=values["login"],
            reason=values["reason"], id_checked=form.get("id_checked") == "1",
            now=clock.utcnow()),
        again=FormPage("accounts/desk_resets.html",
                       lambda **problem: _desk(request, actor, values, **problem)),
        message=N_("The reset slip is ready. Print it and hand it to the person."),
        done=lambda result: show_slip(request, result))


async def desk_reset_slip(request: Request):
    """The printable slip: the code (and its QR) is shown once, then only the record."""
    actor = require(request, "view_staff_area")
    number = parse_id(request.path_params["reset_id"])
    db = get_db(request)
    row = db.get(PasswordReset, number) if number is not None else None
    if row is None or row.method != "desk" or row.issued_by != actor.user_id:
        raise NotFound()
    held = request.session.get("slip")
    code = None
    if isinstance(held, dict) and held.get("id") == row.id and isinstance(held.get("code"), str):
        code = held["code"]
        request.session.pop("slip", None)
    link = None
    if code:  # the slip's QR opens the reset page with the code filled in
        link = (request.app.state.settings.base_url.rstrip("/")
                + str(request.app.url_path_for("reset_slip")) + "?code=" + resets.shown_code(code))
    return render(request, "accounts/slip.html", {
        "slip": row, "person": db.get(User, row.user_id),
        "code": resets.shown_code(code) if code else None,
        "qr": qr_svg(link, scale=4) if link else None, "link": link,
    })


routes = [
    Route("/password/forgot", forgot_page, methods=["GET"], name="forgot_password"),
    Route("/password/forgot/sms", forgot_sms, methods=["POST"], name="forgot_sms"),
    Route("/password/forgot/sms/reset", forgot_sms_reset, methods=["POST"], name="forgot_sms_reset"),
    Route("/password/reset", reset_slip_page, methods=["GET"], name="reset_slip"),
    Route("/password/reset", reset_slip_submit, methods=["POST"], name="reset_slip_submit"),
    Route("/staff/resets", desk_resets_page, methods=["GET"], name="desk_resets"),
    Route("/staff/resets", desk_reset_issue, methods=["POST"], name="desk_reset_issue"),
    Route("/staff/resets/{reset_id:int}/slip", desk_reset_slip, methods=["GET"],
          name="desk_reset_slip"),
]
