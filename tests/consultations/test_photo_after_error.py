"""A photo chosen on the idea form is not lost after a mistake elsewhere (issue 16 item 6):
the photos sent with a refused form are kept (cleaned like every photo) for the person
who sent them, under a token in a hidden field, shown as thumbnails with a remove box,
and attached when the form finally succeeds; nobody else can see or claim them, and
abandoned ones are dropped after a day."""

from __future__ import annotations

import io
import os
import re
from datetime import timedelta

from PIL import Image
from sqlmodel import select

from consult import clock
from consult.consultations import services
from consult.consultations.models import Idea, IdeaPhoto, PendingPhoto
from tests.conftest import csrf_from
from tests.consultations.conftest import jpeg, new_idea
from tests.consultations.test_routes import _idea_form, _post_idea, _sign_in


def gps_jpeg(color=(20, 120, 200)) -> bytes:
    """A phone photo with a GPS position in its EXIF."""
    image = Image.new("RGB", (64, 48), color)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (31.0, 13.0, 50.0), 3: "E", 4: (121.0, 27.0, 40.0)}
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _files(*photos: bytes):
    return [("photos", (f"photo{n}.jpg", data, "image/jpeg")) for n, data in enumerate(photos)]


def _token(page: str) -> str:
    return re.search(r'name="photo_token" value="([^"]+)"', page).group(1)


def _kept(db, token: str) -> list[PendingPhoto]:
    return list(db.exec(select(PendingPhoto).where(PendingPhoto.token == token).order_by(PendingPhoto.id)).all())


def _idea_photos(db, title="加装扶手") -> list[IdeaPhoto]:
    idea = db.exec(select(Idea).where(Idea.title == title)).one()
    return list(db.exec(select(IdeaPhoto).where(IdeaPhoto.idea_id == idea.id).order_by(IdeaPhoto.position)).all())


def test_photos_sent_with_a_refused_form_are_kept_cleaned_and_attached(client, db, world):
    assert Image.open(io.BytesIO(gps_jpeg())).getexif().get_ifd(0x8825)  # the photo sent has a position
    _sign_in(client, world, "resident_a")
    wrong = _post_idea(client, world, _idea_form(world, title=""), files=_files(gps_jpeg(), jpeg()))
    assert wrong.status_code == 422
    assert "请重新选择照片" not in wrong.text
    assert "已为您保留 2 张照片，无需重新选择。" in wrong.text
    token = _token(wrong.text)
    kept = _kept(db, token)
    assert [row.user_id for row in kept] == [world.people["resident_a"].id] * 2
    for row in kept:
        assert f'src="/ideas/kept-photos/{row.id}"' in wrong.text
        assert f'name="remove_kept" value="{row.id}"' in wrong.text
        stored = world.media_dir / "pending" / f"{row.key}.jpg"
        assert not Image.open(stored).getexif()  # EXIF, GPS with it, is gone
    thumb = client.get(f"/ideas/kept-photos/{kept[0].id}")
    assert thumb.status_code == 200 and thumb.headers["content-type"] == "image/jpeg"
    assert "private" in thumb.headers["cache-control"]
    # the fixed form carries the token and no file: the kept photos become the idea's
    fixed = _post_idea(client, world, {**_idea_form(world), "photo_token": token})
    assert fixed.status_code == 303
    photos = _idea_photos(db)
    assert [p.key for p in photos] == [row.key for row in kept]
    assert all((world.media_dir / f"{p.key}.jpg").is_file() and (world.media_dir / f"{p.key}_t.jpg").is_file()
               for p in photos)
    assert _kept(db, token) == []


def test_a_kept_photo_ticked_to_remove_is_not_attached_and_new_ones_join(client, db, world):
    _sign_in(client, world, "resident_a")
    first = _post_idea(client, world, _idea_form(world, title=""), files=_files(jpeg((1, 2, 3)), jpeg((9, 9, 9))))
    token = _token(first.text)
    dropped, staying = _kept(db, token)
    # a second mistake: one kept photo ticked to remove, a new one sent
    second = _post_idea(client, world, {**_idea_form(world, description=""), "photo_token": token,
                                        "remove_kept": str(dropped.id)}, files=_files(jpeg((250, 250, 0))))
    assert second.status_code == 422 and _token(second.text) == token
    kept = _kept(db, token)
    assert [row.id for row in kept][:1] == [staying.id] and len(kept) == 2
    assert f'name="remove_kept" value="{dropped.id}"' not in second.text
    done = _post_idea(client, world, {**_idea_form(world), "photo_token": token, "remove_kept": str(kept[1].id)},
                      files=_files(jpeg((0, 0, 255))))
    assert done.status_code == 303
    photos = _idea_photos(db)
    assert len(photos) == 2 and photos[0].key == staying.key and [p.position for p in photos] == [0, 1]


def test_nobody_else_can_see_or_claim_a_kept_photo(client, db, world):
    _sign_in(client, world, "resident_a")
    wrong = _post_idea(client, world, _idea_form(world, title=""), files=_files(jpeg()))
    token = _token(wrong.text)
    [row] = _kept(db, token)
    assert client.post("/logout", data={"csrf_token": csrf_from(client.get("/").text)},
                       follow_redirects=False).status_code == 303
    assert client.get(f"/ideas/kept-photos/{row.id}").status_code == 404
    _sign_in(client, world, "resident_a2")
    assert client.get(f"/ideas/kept-photos/{row.id}").status_code == 404
    taken = _post_idea(client, world, {**_idea_form(world, title="另一条建议"), "photo_token": token,
                                       "remove_kept": ""})
    assert taken.status_code == 303
    assert _idea_photos(db, "另一条建议") == []
    assert [r.id for r in _kept(db, token)] == [row.id]  # still hers
    # nor through the services, with the token in hand
    other = world.people["resident_a2"].id
    assert services.pending_photos(db, other, token) == []
    assert services.pending_photo(db, other, row.id) is None
    _, mine = services.keep_photos(db, other, token, [], [str(row.id)], media_dir=world.media_dir,
                                   now=clock.utcnow())
    assert mine == [] and [r.id for r in _kept(db, token)] == [row.id]


def test_the_edit_form_keeps_photos_too(client, db, world):
    idea = new_idea(db, world, submit=False, title="楼道灯", photos=[jpeg((30, 30, 30))])
    [own] = services.photos_of(db, idea.id)
    _sign_in(client, world, "resident_a")
    page = f"/ideas/{idea.id}/edit"

    def post(data, files=None):
        csrf = csrf_from(client.get(page).text)
        return client.post(page, data={"csrf_token": csrf, **data}, files=files or {"photos": ("", b"")},
                           follow_redirects=False)

    fields = _idea_form(world, title="楼道灯")
    wrong = post({**fields, "estimated_cost": "很多"}, files=_files(jpeg()))
    assert wrong.status_code == 422 and "已为您保留 1 张照片" in wrong.text
    assert f'src="/media/{own.key}_t.jpg"' in wrong.text and f'name="remove_photo" value="{own.id}"' in wrong.text
    token = _token(wrong.text)
    [kept] = _kept(db, token)
    assert post({**fields, "photo_token": token}).status_code == 303
    assert [p.key for p in _idea_photos(db, "楼道灯")] == [own.key, kept.key] and _kept(db, token) == []


def test_abandoned_kept_photos_are_dropped_after_a_day(client, db, world):
    _sign_in(client, world, "resident_a")
    wrong = _post_idea(client, world, _idea_form(world, title=""), files=_files(jpeg((7, 7, 7))))
    token = _token(wrong.text)
    [row] = _kept(db, token)
    folder = world.media_dir / "pending"
    files = [folder / f"{row.key}.jpg", folder / f"{row.key}_t.jpg"]
    now = clock.utcnow()
    assert services.drop_abandoned_photos(db, world.media_dir, now) == 0
    assert _kept(db, token) and all(f.is_file() for f in files)
    later = now + timedelta(days=1, minutes=1)
    for path in files:  # the files are as old as their row
        os.utime(path, (now.timestamp(), now.timestamp()))
    assert services.drop_abandoned_photos(db, world.media_dir, later) == 1
    assert _kept(db, token) == [] and not any(f.exists() for f in files)
