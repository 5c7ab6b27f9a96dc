"""``flask remind``: the parties of MOUs whose next step is due are told once per due date."""

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

import tests.access  # noqa: F401  (loads the access modules in order)
from matchmaker.db import write_transaction
from matchmaker.deals import remind
from matchmaker.deals.models import Mou, MouStatus
from matchmaker.deals.services import change_mou_status, record_contract, record_mou, set_next_step
from matchmaker.extensions import db
from matchmaker.notifications import mail
from matchmaker.notifications.messages import render_text
from matchmaker.notifications.models import Notification
from matchmaker.organisations.models import Side
from tests import factories
from tests.access_followup import ident, make_mou

TODAY = date(2026, 3, 10)


@pytest.fixture
def parties(users):
    org_a, org_b = users["member_a"].organisation, users["member_b"].organisation
    colleague = factories.make_user(organisation=org_a, email="a2@example.vn", locale="en",
                                    full_name="Trần Văn Bình")
    factories.make_user(organisation=org_a, email="gone@example.vn", active=False)
    return {"a": org_a, "b": org_b, "colleague": colleague, **users}


def due_mou(parties, on: date, text: str | None = "Gửi báo giá mẫu", days_ago: int = 40,
            producer=None, distributor=None) -> int:
    mou_id = make_mou(producer or parties["a"], distributor or parties["b"], days_ago=days_ago)
    change(mou_id, lambda m: set_next_step(m, None, text, on))
    return mou_id


def change(mou_id: int, action) -> None:
    db.session.rollback()
    with write_transaction():
        action(db.session.get(Mou, mou_id))
        db.session.commit()


def run(today: date | None = TODAY, dry_run: bool = False) -> remind.ReminderRun:
    db.session.rollback()
    with write_transaction():
        result = remind.send_reminders(today, dry_run=dry_run)
        if dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    return result


def notified() -> list[tuple[int, str, dict]]:
    db.session.rollback()
    return [(n.user_id, n.kind, n.params) for n in db.session.scalars(
        sa.select(Notification).order_by(Notification.user_id, Notification.id))]


def test_both_parties_members_are_reminded_once_with_an_email(app, parties, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_SERVER", "smtp.example.vn")
    mou_id = due_mou(parties, TODAY)
    with mail.mail.record_messages() as outbox:
        first = run()
    assert [m.mou_id for m in first.mous] == [mou_id]
    members = {ident(parties["member_a"]), ident(parties["colleague"]),
               ident(parties["member_b"])}
    assert first.people == members and first.notifications == 3
    rows = notified()
    assert {user_id for user_id, _kind, _params in rows} == members  # not staff, not inactive
    params = next(p for u, _k, p in rows if u == ident(parties["member_b"]))
    assert params["counterpart"] == "Công ty CP Thực phẩm Nghệ An"  # the other party
    assert params["due"] == "10/03/2026" and params["note"] == "Gửi báo giá mẫu"
    assert sorted(m.recipients[0] for m in outbox) == [
        "a2@example.vn", "a@example.vn", "b@example.vn"]
    english = next(m for m in outbox if m.recipients == ["a2@example.vn"])
    assert "a next step is due (10/03/2026) on your MOU with Siêu thị Đô Lương" in english.body
    assert f"/mous/{mou_id}" in english.body
    assert mou_row(mou_id).next_step_reminded_on == TODAY
    assert mou_row(mou_id).version == 2  # the reminder is bookkeeping: no version bump

    second = run()
    assert second.mous == [] and second.people == set()
    assert len(notified()) == 3


def mou_row(mou_id: int) -> Mou:
    db.session.rollback()
    return db.session.get(Mou, mou_id)


def test_only_due_live_business_mous_are_reminded(parties):
    due = due_mou(parties, TODAY - timedelta(days=3))  # overdue, never reminded: yes
    later = due_mou(parties, TODAY + timedelta(days=1))
    no_date = due_mou(parties, None, text="Chờ mẫu")
    lapsed = due_mou(parties, TODAY)
    change(lapsed, lambda m: change_mou_status(m, MouStatus.LAPSED, None, reason="price"))
    converted = due_mou(parties, TODAY)
    change(converted, lambda m: record_contract(contract_number="HĐ-9", signed_on=TODAY,
                                                value_vnd=5, by_user_id=None, mou=m))
    db.session.rollback()
    with write_transaction():
        agency = record_mou(signed_on=TODAY - timedelta(days=40), by_user_id=None,
                            agencies=("Sở Công Thương Nghệ An", "Sở Công Thương Huế"))
        set_next_step(agency, None, "Ký kế hoạch", TODAY)
        db.session.commit()
    result = run()
    assert sorted(m.mou_id for m in result.mous) == sorted([due, converted])
    assert mou_row(later).next_step_reminded_on is None
    assert mou_row(no_date).next_step_reminded_on is None
    # Pretending tomorrow reaches the next one.
    assert [m.mou_id for m in run(TODAY + timedelta(days=1)).mous] == [later]


def test_a_new_due_date_is_reminded_again(parties):
    mou_id = due_mou(parties, TODAY)
    assert len(run().mous) == 1
    change(mou_id, lambda m: set_next_step(m, None, "Gọi lại", TODAY + timedelta(days=7)))
    assert run(TODAY + timedelta(days=6)).mous == []
    again = run(TODAY + timedelta(days=7))
    assert [m.mou_id for m in again.mous] == [mou_id]
    kinds = [p["note"] for _u, _k, p in notified()]
    assert kinds.count("Gọi lại") == 3 and kinds.count("Gửi báo giá mẫu") == 3


def test_a_dry_run_reports_and_changes_nothing(parties):
    mou_id = due_mou(parties, TODAY)
    result = run(dry_run=True)
    assert [m.mou_id for m in result.mous] == [mou_id] and len(result.people) == 3
    assert notified() == [] and mou_row(mou_id).next_step_reminded_on is None
    assert len(run().mous) == 1


def test_today_is_the_vietnam_calendar_day(parties, monkeypatch):
    mou_id = due_mou(parties, date(2026, 3, 11))
    # 18:30 UTC on 10 March is 01:30 on 11 March in Vietnam.
    monkeypatch.setattr(remind, "utcnow", lambda: datetime(2026, 3, 10, 18, 30, tzinfo=UTC))
    assert remind.vietnam_today() == date(2026, 3, 11)
    assert [m.mou_id for m in run(None).mous] == [mou_id]


def test_two_runs_at_once_remind_each_mou_once(app, parties):
    other = factories.make_organisation("Chuỗi siêu thị Sông Lam", Side.DISTRIBUTOR)
    mou_ids = [due_mou(parties, TODAY), due_mou(parties, TODAY, distributor=other)]
    db.session.remove()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def job():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                with write_transaction():
                    results.append(remind.send_reminders(TODAY))
                    db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(m.mou_id for r in results for m in r.mous) == sorted(mou_ids)
    assert len(notified()) == 3 + 2  # A's two members and B's one; A's two (C has none)
    per_mou = {}
    for user_id, _kind, params in notified():
        per_mou.setdefault(params["mou_id"], []).append(user_id)
    assert sorted(len(v) for v in per_mou.values()) == [2, 3]


def test_the_command_prints_what_it_did(app, parties):
    mou_id = due_mou(parties, TODAY)
    db.session.remove()
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["remind", "--date", "2026-03-10", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"MOU #{mou_id} due 2026-03-10" in dry.output
    assert "Would remind 1 MOUs: 3 people (3 notifications)" in dry.output
    done = runner.invoke(args=["remind", "--date", "2026-03-10"])
    assert "Reminded 1 MOUs: 3 people (3 notifications)" in done.output
    again = runner.invoke(args=["remind", "--date", "2026-03-10"])
    assert "Reminded 0 MOUs: 0 people" in again.output
    bad = runner.invoke(args=["remind", "--date", "10/03/2026"])
    assert bad.exit_code != 0


def test_the_reminder_text_reads_in_both_languages(app):
    params = {"counterpart": "HTX Chè Thanh Chương", "due": "10/03/2026", "note": "Gọi lại"}
    with app.test_request_context(), force_locale("en"):
        assert render_text(remind.KIND, params) == (
            "Reminder: a next step is due (10/03/2026) on your MOU with HTX Chè Thanh "
            "Chương: Gọi lại")
        assert render_text(remind.KIND, {**params, "note": ""}).endswith("Thanh Chương.")
    with app.test_request_context(), force_locale("vi"):
        assert "HTX Chè Thanh Chương" in render_text(remind.KIND, params)
        assert "Reminder" not in render_text(remind.KIND, params)
