"""The operator's commands."""

import sqlalchemy as sa

from booking.extensions import db
from booking.models import BookingPolicy, Facility, FacilityKind, Role, School, User


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


def test_create_admin(runner, app):
    result = runner.invoke(
        args=[
            "users",
            "create-admin",
            "--phone",
            "13800000009",
            "--name",
            "教育局",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created admin" in result.output
    assert count(app, User, User.role == Role.ADMIN) == 1


def test_create_admin_prompts_for_the_password(runner, app):
    result = runner.invoke(
        args=["users", "create-admin", "--phone", "13800000009", "--name", "教育局"],
        input="a-long-password\na-long-password\n",
    )
    assert result.exit_code == 0, result.output
    assert count(app, User) == 1


def test_create_staff_for_a_school(runner, app, make_school):
    make_school(code="NC-YG05")
    result = runner.invoke(
        args=[
            "users",
            "create-staff",
            "--school",
            "NC-YG05",
            "--phone",
            "13900000001",
            "--name",
            "王老师",
            "--password",
            "a-long-password",
        ]
    )
    assert result.exit_code == 0, result.output
    with app.app_context():
        staff = db.session.scalar(sa.select(User))
        assert staff.role == Role.STAFF
        assert staff.school.code == "NC-YG05"


def test_create_staff_refuses_bad_input(runner, app, make_school, make_user):
    make_school(code="NC-YG05")
    make_user(phone="13900000001")
    cases = [
        (["--school", "NOPE", "--phone", "13900000002"], "no school has the code"),
        (["--school", "NC-YG05", "--phone", "123"], "mainland mobile number"),
        (["--school", "NC-YG05", "--phone", "13900000001"], "already registered"),
    ]
    for options, message in cases:
        result = runner.invoke(
            args=[
                "users",
                "create-staff",
                *options,
                "--name",
                "王老师",
                "--password",
                "a-long-password",
            ]
        )
        assert result.exit_code != 0
        assert message in result.output
    short = runner.invoke(
        args=[
            "users",
            "create-staff",
            "--school",
            "NC-YG05",
            "--phone",
            "13900000003",
            "--name",
            "王老师",
            "--password",
            "short",
        ]
    )
    assert short.exit_code != 0
    assert "A password needs 10 to 128 characters." in short.output
    assert count(app, User) == 1


def test_demo_loads_the_nancheng_district_once(runner, app):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert "17 schools" in result.output
    assert count(app, School, School.is_public) == 15
    assert count(app, School, ~School.is_public) == 2
    with app.app_context():
        names = set(db.session.scalars(sa.select(School.name)))
        assert {"南城阳光第五小学", "南城商务区北部学校"} <= names
        for school in db.session.scalars(sa.select(School)):
            kinds = {facility.kind for facility in school.facilities}
            assert {
                FacilityKind.LECTURE_HALL,
                FacilityKind.LIBRARY,
                FacilityKind.READING_ROOM,
                FacilityKind.PARKING,
            } <= kinds
            assert all(facility.rules for facility in school.facilities)
            assert len(school.staff) == 1
        halls = db.session.scalars(
            sa.select(Facility).where(Facility.kind == FacilityKind.LECTURE_HALL)
        )
        assert all(hall.requires_approval and hall.is_exclusive for hall in halls)
    assert count(app, BookingPolicy, BookingPolicy.is_district_default) == 1
    assert count(app, User, User.role == Role.RESIDENT) >= 3
    users = count(app, User)

    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0
    assert count(app, School) == 17
    assert count(app, User) == users

    skipped = runner.invoke(args=["demo", "--if-empty"])
    assert "already holds data" in skipped.output


def test_demo_logins_work(runner, client):
    runner.invoke(args=["demo"])
    from booking.ops.demo import RESIDENT_PASSWORD, STAFF_PASSWORD, staff_phone

    assert (
        client.post(
            "/auth/login", data={"phone": staff_phone(0), "password": STAFF_PASSWORD}
        ).status_code
        == 302
    )
    client.post("/auth/logout")
    assert (
        client.post(
            "/auth/login", data={"phone": "13700000001", "password": RESIDENT_PASSWORD}
        ).status_code
        == 302
    )
