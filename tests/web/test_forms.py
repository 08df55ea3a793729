"""The form-view helper: which errors show the form again, which pass to the one handler,
and a flash that survives a success which starts a new session (signing in)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from consult.errors import Conflict, FieldErrors, Forbidden, NotFound, NotSignedIn
from consult.i18n import N_
from consult.web.forms import FormPage, form_view
from tests import factories
from tests.accounts.test_routes import GOOD
from tests.conftest import post_form


class _Shown(Exception):
    pass


class _Page(FormPage):
    """A FormPage that reports what it would show instead of rendering it."""

    def show(self, request, exc):
        raise _Shown(self.context(**({"errors": exc.errors} if isinstance(exc, FieldErrors)
                                     else {"error": exc.msg})), exc.status)


def _fail(exc):
    def act():
        raise exc
    return act


def _view(act, shows=None):
    request = SimpleNamespace(session={})
    page = _Page("x.html", lambda **problem: problem, *(() if shows is None else (shows,)))
    return form_view(request, act, again=page, done=lambda result: result)


def test_user_errors_show_the_form_with_field_messages_or_one_message():
    fields = FieldErrors({"title": N_("Please give a title.")})
    with pytest.raises(_Shown) as shown:
        _view(_fail(fields))
    assert shown.value.args == ({"errors": fields.errors}, 422)
    with pytest.raises(_Shown) as shown:
        _view(_fail(Conflict(N_("Too late."))))
    assert shown.value.args[1] == 409 and shown.value.args[0]["error"].text == "Too late."


@pytest.mark.parametrize("exc", [NotFound(), Forbidden(), NotSignedIn()])
def test_access_errors_are_never_shown_on_the_form(exc):
    with pytest.raises(type(exc)):
        _view(_fail(exc))


def test_a_user_error_the_page_does_not_show_goes_to_the_handler():
    with pytest.raises(Conflict):
        _view(_fail(Conflict()), shows=(FieldErrors,))


def test_the_flash_is_kept_after_a_success_that_starts_a_new_session():
    request = SimpleNamespace(session={"flash": [["old", {}]]})

    def sign_in(result):
        request.session.clear()
        return result

    assert form_view(request, lambda: 7, again=_Page("x.html", dict), done=sign_in,
                     message=lambda n: N_("Done")) == 7
    assert request.session["flash"] == [["Done", {}]]


def test_registering_signs_in_and_the_welcome_is_shown(client):
    assert post_form(client, "/register", "/register", GOOD).status_code == 303
    flashes = client.get("/verify").context["flashes"]
    assert [m.text for m in flashes] == [
        "Welcome! Ask to be verified as a resident so you can take part."]


def test_a_refused_access_is_the_error_page_not_the_form(client, db, settings):
    person = factories.user(db, settings)
    db.flush()
    factories.sign_in(client, person.login)
    response = post_form(client, "/account", "/staff/lockouts/lift", {"login": "x"})
    assert response.status_code == 403 and response.template.name == "errors/error.html"
