"""``flask seed-demo`` and ``flask create-user``."""

import sqlalchemy as sa

from matchmaker import create_app
from matchmaker.auth.models import User
from matchmaker.cli import DEMO_PASSWORD
from matchmaker.extensions import db
from matchmaker.organisations.models import Organisation


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


def test_seed_demo_creates_the_demo_logins_once(app, app_ctx):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output
    for email in ("organiser@example.com", "producer@example.com", "distributor@example.com"):
        assert email in first.output
    users, orgs = count(User), count(Organisation)
    assert "Demo data ready" in first.output
    assert users == 3 and orgs == 28  # 16 imported Nghệ An producers, 12 demo distributors
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0
    assert (count(User), count(Organisation)) == (users, orgs)
    producer = db.session.scalar(sa.select(User).where(User.email == "producer@example.com"))
    assert producer.check_password(DEMO_PASSWORD)
    assert producer.organisation.is_producer


def test_seed_demo_if_empty_leaves_a_used_database_alone(app, users):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert result.exit_code == 0
    assert "already has accounts" in result.output
    with app.app_context():
        assert count(User) == 4


def test_seed_demo_refuses_production():
    prod = create_app("production", SECRET_KEY="x" * 32, SQLALCHEMY_DATABASE_URI="sqlite://")
    result = prod.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code != 0
    assert "refuses to run in production" in result.output


def test_create_user_makes_an_organiser(app, app_ctx):
    result = app.test_cli_runner().invoke(
        args=["create-user", "--role", "organiser", "--email", " Can.Bo@SoCongThuong.vn",
              "--name", "Phan Văn Khải"],
        input="mat-khau-can-bo\nmat-khau-can-bo\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User))
    assert (user.email, user.role, user.organisation_id) == (
        "can.bo@socongthuong.vn", "organiser", None)
    assert user.check_password("mat-khau-can-bo")


def test_create_user_refuses_short_password_member_role_and_duplicates(app, app_ctx):
    runner = app.test_cli_runner()
    short = runner.invoke(args=["create-user", "--role", "admin", "--email", "a@x.vn",
                                "--name", "A", "--password", "short"])
    assert short.exit_code != 0 and "must be 10 to 128 characters long" in short.output
    member = runner.invoke(args=["create-user", "--role", "member", "--email", "a@x.vn",
                                 "--name", "A", "--password", "0123456789"])
    assert member.exit_code != 0
    ok = runner.invoke(args=["create-user", "--role", "admin", "--email", "a@x.vn",
                             "--name", "A", "--password", "0123456789"])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(args=["create-user", "--role", "admin", "--email", "A@X.VN",
                                "--name", "A", "--password", "0123456789"])
    assert again.exit_code != 0 and "a@x.vn exists" in again.output
    assert count(User) == 1


def test_create_user_refuses_bad_email_and_names(app, app_ctx):
    runner = app.test_cli_runner()
    for email, name, message in [
        ("not an email", "Trần Văn A", "not a valid email address"),
        ("a@x.vn", "", "the name must be 1 to 120 characters long"),
        ("a@x.vn", "   \u200b", "the name must be 1 to 120 characters long"),
        ("a@x.vn", "A" * 121, "the name must be 1 to 120 characters long"),
        ("a" * 250 + "@x.vn", "A", "the email must be at most 254 characters long"),
    ]:
        result = runner.invoke(args=["create-user", "--role", "admin", "--email", email,
                                     "--name", name, "--password", "0123456789"])
        assert result.exit_code != 0 and message in result.output, (email, name, result.output)
    assert count(User) == 0
