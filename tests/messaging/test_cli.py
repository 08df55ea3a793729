"""``python -m consult send-due``: the notices held back overnight go after 08:00."""

import subprocess
import sys
from datetime import timedelta

from sqlmodel import select

from consult import clock
from consult.__main__ import main
from consult.config import ROOT
from consult.db import Database, make_engine
from consult.db.migrate import upgrade
from consult.messaging import services
from consult.messaging.models import SmsMessage
from tests.messaging.conftest import MORNING, NIGHT


def test_send_due_sends_what_waited_and_prints_no_number(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    database = Database(make_engine(url))
    with database.session(write=True) as db:
        for phone in ("13811112222", "13811113333"):
            services.send_sms(db, to=phone, template="vote_opened",
                              params={"title": "加装电梯", "closes": "12月9日"}, kind="notice", now=NIGHT)
        services.record_reply(db, phone="13811113333", text="TD", now=NIGHT)
        db.commit()
    monkeypatch.setenv("CONSULT_DATABASE_URL", url)
    monkeypatch.setenv("CONSULT_SECRET_KEY", "cli-test")
    monkeypatch.setenv("CONSULT_SMS_BACKEND", "outbox")

    monkeypatch.setattr(clock, "utcnow", lambda: MORNING - timedelta(minutes=30))  # 07:30
    assert main(["send-due"]) == 0
    assert capsys.readouterr().out.strip() == "no message is due"

    monkeypatch.setattr(clock, "utcnow", lambda: MORNING + timedelta(minutes=5))
    assert main(["send-due"]) == 0
    out = capsys.readouterr().out
    assert out.strip() == "1 sent, 1 suppressed" and "1381111" not in out
    with database.session() as db:
        statuses = {m.phone: (m.status, m.reason) for m in db.exec(select(SmsMessage)).all()}
    assert statuses == {"13811112222": ("sent", None), "13811113333": ("suppressed", "unsubscribed")}
    assert main(["send-due"]) == 0
    assert capsys.readouterr().out.strip() == "no message is due"


def test_send_due_runs_as_a_command(tmp_path):
    env = {"CONSULT_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "CONSULT_SECRET_KEY": "cli",
           "CONSULT_VAR_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    run = lambda *args: subprocess.run([sys.executable, "-m", "consult", *args], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    assert run("migrate").returncode == 0
    done = run("send-due")
    assert done.returncode == 0 and done.stdout.strip() == "no message is due", done.stderr
    wrong = subprocess.run([sys.executable, "-m", "consult", "send-due"], cwd=ROOT,
                           env={**env, "CONSULT_SMS_BACKEND": "aliyun"}, capture_output=True,
                           text=True, timeout=120)
    assert wrong.returncode == 2 and "CONSULT_SMS_ACCESS_KEY_ID" in wrong.stderr
    assert "Traceback" not in wrong.stderr
