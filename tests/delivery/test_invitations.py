"""Residents asked to rate a completed project at 30 and at 180 days: once per project
and wave, in the app and by a text message with the link (through consult.messaging:
quiet hours defer it, 退订 suppresses it), by ``checks-due``."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from consult.delivery import rules
from consult.delivery.models import RatingInvitation
from consult.delivery.services import invitations
from consult.messaging import SmsMessage
from consult.messaging import services as sms
from consult.messaging.backends import SmsConfig
from consult.notifications.models import MessagePreference, Notification
from tests.delivery.builders import DAY, project

DAYTIME = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # 10:00 in Beijing
NIGHT = datetime(2026, 12, 2, 14, 30, tzinfo=UTC)  # 22:30 in Beijing


@pytest.fixture(autouse=True)
def outbox():
    previous = sms.use(SmsConfig())
    yield
    sms.use(previous)


def residents_in(w):
    return {w.user("resident_in").id, w.user("resident_in2").id}


def test_the_wave_whose_invitation_goes_out():
    accepted = DAYTIME.date() - 30 * DAY
    assert rules.invitation_wave(accepted, DAYTIME.date()) == 30
    assert rules.invitation_wave(accepted, DAYTIME.date() - DAY) is None  # not yet
    assert rules.invitation_wave(DAYTIME.date() - 59 * DAY, DAYTIME.date()) == 30
    assert rules.invitation_wave(DAYTIME.date() - 60 * DAY, DAYTIME.date()) is None  # too late for 30
    assert rules.invitation_wave(DAYTIME.date() - 180 * DAY, DAYTIME.date()) == 180
    assert rules.invitation_wave(DAYTIME.date() - 3 * 365 * DAY, DAYTIME.date()) is None
    assert rules.invitation_wave(None, DAYTIME.date()) is None


def test_residents_of_the_area_are_invited_once_per_wave(db, w):
    p = project(db, w, state="in_use", accepted_days_ago=30, now=DAYTIME)
    done = invitations.invite_raters(db, DAYTIME, "https://example.org")
    assert [(i.project_id, i.wave, i.told, i.texted) for i in done] == [(p.id, 30, 2, 2)]
    told = db.exec(select(Notification.user_id).where(Notification.kind == "project_rating_open")).all()
    assert set(told) == residents_in(w)  # not another area's residents, not staff
    texts = db.exec(select(SmsMessage).where(SmsMessage.template == "project_rating")).all()
    assert {m.user_id for m in texts} == residents_in(w)
    assert all(f"https://example.org/projects/{p.id}" in m.body and m.status == "sent" for m in texts)
    assert invitations.invite_raters(db, DAYTIME + DAY, "https://example.org") == []  # once
    assert len(db.exec(select(SmsMessage).where(SmsMessage.template == "project_rating")).all()) == 2
    later = DAYTIME + 150 * DAY  # day 180: the second wave
    assert [(i.project_id, i.wave) for i in invitations.invite_raters(db, later)] == [(p.id, 180)]
    waves = db.exec(select(RatingInvitation.wave).where(RatingInvitation.project_id == p.id)).all()
    assert sorted(waves) == [30, 180]


def test_quiet_hours_defer_the_text_and_app_only_residents_get_no_text(db, w):
    p = project(db, w, state="accepted", accepted_days_ago=31, now=NIGHT)
    db.add(MessagePreference(user_id=w.user("resident_in2").id, topic="votes", channel="app"))
    db.flush()
    done = invitations.invite_raters(db, NIGHT)
    assert [(i.told, i.texted) for i in done] == [(2, 1)]
    texts = db.exec(select(SmsMessage).where(SmsMessage.template == "project_rating")).all()
    assert [(m.user_id, m.status) for m in texts] == [(w.user("resident_in").id, "deferred")]
    assert p.id == done[0].project_id


def test_projects_not_completed_or_long_ago_are_not_asked(db, w):
    project(db, w, state="in_progress", now=DAYTIME)
    project(db, w, state="in_use", accepted_days_ago=10, now=DAYTIME)
    project(db, w, state="in_use", accepted_days_ago=3 * 365, now=DAYTIME)
    project(db, w, state="retired", accepted_days_ago=30, now=DAYTIME)
    assert invitations.invite_raters(db, DAYTIME) == []
    assert db.exec(select(SmsMessage)).all() == []


def test_a_resident_rates_at_the_desk_with_staff_helping(db, w):
    """"By the desk": staff acting for the resident (代办) rate in their name, once."""
    from dataclasses import replace

    from consult import permissions
    from consult.delivery.services import works
    from consult.errors import Conflict

    p = project(db, w, state="in_use", accepted_days_ago=30, now=DAYTIME)
    helped = replace(w.actor("resident_in"), helper="desk")
    path = w.tree["estate_a"].ids_from_root
    assert permissions.allowed("rate_project", helped, path)
    assert not permissions.allowed("enter_paper_rating", replace(w.actor("moderator_in"), helper="desk"), path)
    rating = works.rate(db, helped, p.id, stars="4", comment="", channel="app", now=DAYTIME)
    assert rating.user_id == w.user("resident_in").id
    with pytest.raises(Conflict):
        works.rate(db, w.actor("resident_in"), p.id, stars="5", comment="", channel="sms", now=DAYTIME)
