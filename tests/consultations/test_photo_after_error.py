"""A photo chosen on the idea form is not lost silently after a mistake elsewhere
(issue 16 item 6): the form shown again says plainly, next to the photo field, to choose
the photo again, and the photo, chosen again, is kept."""

from sqlmodel import select

from consult.consultations.models import Idea, IdeaPhoto
from tests.consultations.conftest import jpeg
from tests.consultations.test_routes import _idea_form, _post_idea, _sign_in


def test_the_form_says_to_choose_the_photo_again(client, db, world):
    _sign_in(client, world, "resident_a")
    wrong = _post_idea(client, world, _idea_form(world, title=""),
                       files={"photos": ("photo.jpg", jpeg(), "image/jpeg")})
    assert wrong.status_code == 422
    upload = wrong.text[wrong.text.index('class="field c-upload'):]
    upload = upload[:upload.index("</div>")]
    assert "请重新选择照片" in upload and 'role="alert"' in upload
    assert 'aria-describedby="h-photos e-photos-again"' in upload
    fixed = _post_idea(client, world, _idea_form(world), files={"photos": ("photo.jpg", jpeg(), "image/jpeg")})
    assert fixed.status_code == 303
    idea = db.exec(select(Idea).where(Idea.title == "加装扶手")).one()
    assert len(db.exec(select(IdeaPhoto).where(IdeaPhoto.idea_id == idea.id)).all()) == 1


def test_no_such_message_without_a_photo(client, db, world):
    _sign_in(client, world, "resident_a")
    wrong = _post_idea(client, world, _idea_form(world, title=""))
    assert wrong.status_code == 422 and "请重新选择照片" not in wrong.text
