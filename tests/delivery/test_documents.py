"""A milestone's PDF documents: checked by their magic bytes and size before anything is
stored, listed on the project page and the progress notice, served as a download."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from consult import clock
from consult.delivery.models import DeliveryDocument, Milestone
from consult.delivery.services import works
from consult.errors import FieldErrors
from tests import factories
from tests.conftest import post_form
from tests.delivery.builders import jpeg, project

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_a_milestone_keeps_its_pdfs_byte_for_byte(db, w, settings):
    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    m = works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工方案", happened_on=now.date(), body="",
                            phase="before", photos=[], documents=[("方案.pdf", PDF), ("报价", PDF + b"2")],
                            media_dir=settings.media_dir, now=now)
    docs = works.milestone_documents(db, p.id)[m.id]
    assert [d.filename for d in docs] == ["方案.pdf", "报价.pdf"]
    item, path = works.document_file(db, docs[0].id, settings.media_dir)
    assert path.read_bytes() == PDF and item.size == len(PDF)


@pytest.mark.parametrize("documents, message", [
    ([("a.pdf", b"GIF89a not a pdf")], "This file is not a PDF document."),
    ([("a.pdf", jpeg())], "This file is not a PDF document."),
    ([("a.pdf", PDF)] * 4, "At most %(max)s documents."),
])
def test_anything_but_up_to_three_pdfs_is_refused_and_nothing_stored(db, w, settings, documents, message):
    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    with pytest.raises(FieldErrors) as refused:
        works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工中", happened_on=now.date(), body="",
                            phase="during", photos=[], documents=documents, media_dir=settings.media_dir, now=now)
    assert refused.value.errors["documents"].text.startswith(message)
    assert count(db, Milestone, Milestone.project_id == p.id) == 0
    assert count(db, DeliveryDocument) == 0
    assert not (settings.media_dir / "delivery").exists() or not any((settings.media_dir / "delivery").iterdir())


def test_a_pdf_too_large_is_refused(db, w, settings, monkeypatch):
    monkeypatch.setattr(works, "MAX_DOCUMENT_BYTES", 20)
    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    with pytest.raises(FieldErrors) as refused:
        works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工中", happened_on=now.date(), body="",
                            phase="during", photos=[], documents=[("a.pdf", PDF)], media_dir=settings.media_dir,
                            now=now)
    assert refused.value.errors["documents"].text.startswith("The document is")


def test_staff_upload_a_pdf_it_is_listed_and_downloaded_as_an_attachment(client, db, w):
    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    factories.sign_in(client, w.user("moderator_in").login)
    manage = f"/projects/{p.id}/manage"
    assert 'name="documents"' in client.get(manage).text
    done = post_form(client, manage, f"/projects/{p.id}/milestones",
                     {"title": "验收报告", "happened_on": now.date().isoformat(), "body": "", "phase": "after"},
                     files=[("documents", ("验收报告.pdf", PDF, "application/pdf")),
                            ("photos", ("a.jpg", jpeg(), "image/jpeg"))])
    assert done.status_code == 303
    doc = db.exec(select(DeliveryDocument)).one()
    link = f'href="/project-documents/{doc.id}"'
    assert link in client.get(f"/projects/{p.id}").text
    assert link in client.get(f"/projects/{p.id}/progress").text
    got = client.get(f"/project-documents/{doc.id}")
    assert got.status_code == 200 and got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in got.headers["content-disposition"]
    assert client.get("/project-documents/999999").status_code == 404


def test_a_file_that_is_not_a_pdf_is_refused_with_a_clear_message(client, db, w):
    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    factories.sign_in(client, w.user("moderator_in").login)
    manage = f"/projects/{p.id}/manage"
    bad = post_form(client, manage, f"/projects/{p.id}/milestones",
                    {"title": "验收报告", "happened_on": now.date().isoformat(), "body": "", "phase": "after"},
                    files=[("documents", ("fake.pdf", b"MZ\x90\x00 an exe", "application/pdf"))])
    assert bad.status_code == 422 and "这个文件不是 PDF 文档" in bad.text
    assert count(db, Milestone, Milestone.project_id == p.id) == 0
    english = post_form(client, manage, f"/projects/{p.id}/milestones",
                        {"title": "验收报告", "happened_on": now.date().isoformat(), "body": "", "phase": "after"},
                        files=[("documents", ("fake.pdf", b"MZ", "application/pdf"))],
                        headers={"accept-language": "en"})
    assert english.status_code == 422 and "This file is not a PDF document." in english.text


def test_the_api_lists_a_milestones_documents(client, db, w, settings):
    now = clock.utcnow()
    p = project(db, w, state="in_progress", now=now)
    works.add_milestone(db, w.actor("moderator_in"), p.id, title="施工方案", happened_on=now.date(), body="",
                        phase="before", photos=[], documents=[("方案.pdf", PDF)], media_dir=settings.media_dir, now=now)
    doc = db.exec(select(DeliveryDocument)).one()
    (milestone,) = client.get(f"/api/v1/projects/{p.id}").json()["milestones"]
    assert milestone["documents"] == [{"url": f"/project-documents/{doc.id}", "filename": "方案.pdf", "size": len(PDF)}]
