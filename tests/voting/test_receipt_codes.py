"""Receipt codes a voter can keep (issue 16 item 5): the whole code stays on her own
signed-in receipt page, a line never breaks inside a group, a digits-only form can be
read aloud (and checked), and the receipt can be printed or saved as a picture."""

import io
import re

from PIL import Image
from sqlmodel import select

from consult.voting import rules
from consult.voting.models import Ballot
from tests import factories
from tests.conftest import post_form
from tests.voting.test_routes import _sign_in, _vote


def test_the_digits_form_goes_both_ways():
    code = "ABCDEFGHJKLMNPQR"
    digits = rules.receipt_digits(code)
    assert re.fullmatch(r"\d{5}( \d{5}){4}", digits)
    assert rules.normalize_receipt(digits) == code
    assert rules.normalize_receipt(digits.replace(" ", "-")) == code
    assert rules.receipt_digits("9999999999999999") != rules.receipt_digits("AAAAAAAAAAAAAAAA")
    assert rules.normalize_receipt("99999 99999 99999 99999 99999") == "9999999999999999999999999"  # too big


def _voted(client, db, world):
    _sign_in(client, world, "voter")
    assert _vote(client, world, 0, 2).status_code == 303
    first = client.get(f"/rounds/{world.round.id}/receipt")
    code = re.search(r'<p class="vote-code">(.*?)</p>', first.text, re.S).group(1)
    return "".join(re.findall(r"[A-Z0-9]", re.sub(r"<[^>]+>", "", code)))


def test_the_whole_code_stays_on_her_own_receipt_page_in_unbreakable_groups(client, db, world):
    code = _voted(client, db, world)
    assert len(code) == 16
    again = client.get(f"/rounds/{world.round.id}/receipt")  # later, the session's copy is gone
    groups = re.findall(r'<span class="code-group">([A-Z0-9]{4})</span>', again.text)
    assert "".join(groups) == code
    assert rules.receipt_digits(code) in re.sub(r"<[^>]+>", "", again.text)
    css = open("static/site.css", encoding="utf-8").read()
    assert re.search(r"\.code-group\s*\{[^}]*white-space:\s*nowrap", css)
    ballot = db.exec(select(Ballot)).one()
    assert ballot.receipt_hash == rules.receipt_hash(code)  # only its hash is stored
    client.cookies.clear()
    _sign_in(client, world, "voter2")
    other = client.get(f"/rounds/{world.round.id}/receipt")
    assert code[:4] not in other.text


def test_the_digits_form_checks_like_the_letters(client, db, world):
    code = _voted(client, db, world)
    checked = post_form(client, "/receipts", "/receipts", {"code": rules.receipt_digits(code)})
    assert checked.status_code == 200 and checked.context["result"].found


def test_the_receipt_as_a_picture(client, db, world):
    _voted(client, db, world)
    picture = client.get(f"/rounds/{world.round.id}/receipt.png")
    assert picture.status_code == 200 and picture.headers["content-type"] == "image/png"
    assert "attachment" in picture.headers["content-disposition"]
    assert Image.open(io.BytesIO(picture.content)).size[0] >= 600
    page = client.get(f"/rounds/{world.round.id}/receipt")
    assert f'href="/rounds/{world.round.id}/receipt.png"' in page.text
    client.cookies.clear()
    factories.sign_in(client, world.people["voter2"].login)
    assert client.get(f"/rounds/{world.round.id}/receipt.png").status_code == 404  # no ballot of hers
