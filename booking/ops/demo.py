"""The demo district: Nancheng (Dongguan), from the 2023-2027 education action plan.

Item 23 of the plan opens the lecture halls, libraries, reading rooms and
parking lots of the 15 public schools (sports venues too), and pilots the
same at 2 private schools. Loading is idempotent: what exists is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import Session

from booking.models import (
    BookingPolicy,
    CalendarPeriod,
    DayKind,
    DayType,
    DistrictSettings,
    Facility,
    FacilityKind,
    OpeningRule,
    Role,
    School,
    User,
    VisitorTerms,
)
from booking.ops import history
from booking.services import accounts, calendar, clock, privacy, usage_days

STAFF_PASSWORD = "staff-demo-2026"  # noqa: S105 (documented demo logins)
ADMIN_PASSWORD = "admin-demo-2026"  # noqa: S105
RESIDENT_PASSWORD = "resident-demo-2026"  # noqa: S105
ADMIN_PHONE = "13800000000"

EVERY_DAY = 0b1111111
# Two schools the tracker shows behind, for visible reasons.
LATE_PARKING_SCHOOL = "NC-YG09"  # its parking lot is not open yet
SHORT_LIBRARY_SCHOOL = "NC-MB01"  # its library opens only 1 h on school days


@dataclass(frozen=True)
class DemoSchool:
    code: str
    name: str
    name_en: str
    address: str
    address_en: str
    area: str = "中心城区"
    area_en: str = "City centre"
    is_public: bool = True
    sports: bool = False
    parking_spaces: int = 40


SCHOOLS = (
    DemoSchool(
        "NC-YG05",
        "南城阳光第五小学",
        "Nancheng Sunshine No. 5 Primary School",
        "东莞市南城街道宏伟路 18 号",
        "18 Hongwei Road, Nancheng, Dongguan",
        sports=True,
        parking_spaces=60,
    ),
    DemoSchool(
        "NC-SWBB",
        "南城商务区北部学校",
        "Nancheng Business District North School",
        "东莞市南城街道国际商务区鸿福西路 66 号",
        "66 Hongfu West Road, International Business District, Nancheng, Dongguan",
        area="国际商务区",
        area_en="International Business District",
        sports=True,
        parking_spaces=120,
    ),
    DemoSchool(
        "NC-SWNB",
        "南城商务区南部学校",
        "Nancheng Business District South School",
        "东莞市南城街道国际商务区莞太路 210 号",
        "210 Guantai Road, International Business District, Nancheng, Dongguan",
        area="国际商务区",
        area_en="International Business District",
        sports=True,
        parking_spaces=90,
    ),
    DemoSchool(
        "NC-YGZX",
        "南城阳光中心小学",
        "Nancheng Sunshine Central Primary School",
        "东莞市南城街道元美路 9 号",
        "9 Yuanmei Road, Nancheng, Dongguan",
        parking_spaces=50,
    ),
    DemoSchool(
        "NC-YG01",
        "南城阳光第一小学",
        "Nancheng Sunshine No. 1 Primary School",
        "东莞市南城街道石竹路 3 号",
        "3 Shizhu Road, Nancheng, Dongguan",
        parking_spaces=35,
    ),
    DemoSchool(
        "NC-YG02",
        "南城阳光第二小学",
        "Nancheng Sunshine No. 2 Primary School",
        "东莞市南城街道新基路 27 号",
        "27 Xinji Road, Nancheng, Dongguan",
        sports=True,
    ),
    DemoSchool(
        "NC-YG03",
        "南城阳光第三小学",
        "Nancheng Sunshine No. 3 Primary School",
        "东莞市南城街道蛤地社区蛤地路 12 号",
        "12 Gedi Road, Gedi Community, Nancheng, Dongguan",
        area="蛤地社区",
        area_en="Gedi Community",
    ),
    DemoSchool(
        "NC-YG06",
        "南城阳光第六小学",
        "Nancheng Sunshine No. 6 Primary School",
        "东莞市南城街道周溪社区周溪路 45 号",
        "45 Zhouxi Road, Zhouxi Community, Nancheng, Dongguan",
        area="周溪社区",
        area_en="Zhouxi Community",
        parking_spaces=30,
    ),
    DemoSchool(
        "NC-YG07",
        "南城阳光第七小学",
        "Nancheng Sunshine No. 7 Primary School",
        "东莞市南城街道白马社区白马路 8 号",
        "8 Baima Road, Baima Community, Nancheng, Dongguan",
        area="白马社区",
        area_en="Baima Community",
    ),
    DemoSchool(
        "NC-YG08",
        "南城阳光第八小学",
        "Nancheng Sunshine No. 8 Primary School",
        "东莞市南城街道胜和社区胜和路 20 号",
        "20 Shenghe Road, Shenghe Community, Nancheng, Dongguan",
        area="胜和社区",
        area_en="Shenghe Community",
        sports=True,
    ),
    DemoSchool(
        "NC-YG09",
        "南城阳光第九小学",
        "Nancheng Sunshine No. 9 Primary School",
        "东莞市南城街道水濂社区水濂路 6 号",
        "6 Shuilian Road, Shuilian Community, Nancheng, Dongguan",
        area="水濂社区",
        area_en="Shuilian Community",
        parking_spaces=25,
    ),
    DemoSchool(
        "NC-YG10",
        "南城阳光第十小学",
        "Nancheng Sunshine No. 10 Primary School",
        "东莞市南城街道西平社区宏图路 101 号",
        "101 Hongtu Road, Xiping Community, Nancheng, Dongguan",
        area="西平社区",
        area_en="Xiping Community",
    ),
    DemoSchool(
        "NC-YG11",
        "南城阳光第十一小学",
        "Nancheng Sunshine No. 11 Primary School",
        "东莞市南城街道篁村社区体育路 33 号",
        "33 Tiyu Road, Huangcun Community, Nancheng, Dongguan",
        area="篁村社区",
        area_en="Huangcun Community",
        sports=True,
        parking_spaces=70,
    ),
    DemoSchool(
        "NC-ZX01",
        "南城第一初级中学",
        "Nancheng No. 1 Junior High School",
        "东莞市南城街道鸿福路 120 号",
        "120 Hongfu Road, Nancheng, Dongguan",
        sports=True,
        parking_spaces=80,
    ),
    DemoSchool(
        "NC-ZX02",
        "南城第二初级中学",
        "Nancheng No. 2 Junior High School",
        "东莞市南城街道莞太路 58 号",
        "58 Guantai Road, Nancheng, Dongguan",
        sports=True,
        parking_spaces=65,
    ),
    DemoSchool(
        "NC-MB01",
        "南城育英实验学校",
        "Nancheng Yuying Experimental School",
        "东莞市南城街道元美东路 16 号",
        "16 Yuanmei East Road, Nancheng, Dongguan",
        is_public=False,
        parking_spaces=45,
    ),
    DemoSchool(
        "NC-MB02",
        "南城博雅外国语学校",
        "Nancheng Boya Foreign Language School",
        "东莞市南城街道宏远路 2 号",
        "2 Hongyuan Road, Nancheng, Dongguan",
        is_public=False,
        sports=True,
        parking_spaces=55,
    ),
)

RESIDENTS = (
    ("13700000001", "李明"),
    ("13700000002", "王芳"),
    ("13700000003", "张伟"),
    ("13700000004", "陈静"),
    ("13700000005", "刘洋"),
)


def staff_phone(index: int) -> str:
    return f"139{index + 1:08d}"


def academic_years(today: date) -> tuple[date, date]:
    """From the start of this school year to the end of the next one."""
    first_year = today.year if today.month >= 9 else today.year - 1
    return date(first_year, 9, 1), date(first_year + 2, 8, 31)


def rule(
    first: date,
    last: date,
    day_type: DayType,
    start: str,
    end: str,
    minutes: int,
    label: str,
    weekdays: int = EVERY_DAY,
) -> OpeningRule:
    return OpeningRule(
        label=label,
        valid_from=first,
        valid_until=last,
        weekdays=weekdays,
        day_type=day_type,
        start_time=time.fromisoformat(start),
        end_time=time.fromisoformat(end),
        slot_minutes=minutes,
    )


def demo_facilities(spec: DemoSchool, first: date, last: date) -> list[Facility]:
    """Opening hours keep clear of teaching (07:30-17:30 on school days).
    School-day rules cover every weekday, so a make-up working Saturday gets them."""
    school_days, other_days = DayType.SCHOOL_DAYS, DayType.NON_SCHOOL_DAYS
    if spec.code == SHORT_LIBRARY_SCHOOL:  # behind on the tracker: 1 h on school days
        library_school_days = rule(first, last, school_days, "19:00", "20:00", 60, "上学日晚间")
    else:
        library_school_days = rule(first, last, school_days, "18:30", "21:00", 150, "上学日晚间")
    hall = Facility(
        kind=FacilityKind.LECTURE_HALL,
        name="报告厅",
        name_en="Lecture hall",
        capacity=300 if spec.is_public else 200,
        is_exclusive=True,
        requires_approval=True,
        description="阶梯报告厅，配投影、音响和无线话筒，适合讲座、社区会议和演出。",
        description_en=(
            "A tiered hall with a projector, sound system and wireless microphones, for "
            "talks, community meetings and performances."
        ),
        entrance_notes="请从学校东门进入，凭预约码和身份证登记。",
        entrance_notes_en=(
            "Enter by the school's east gate and register with your booking code and ID card."
        ),
        rules=[
            rule(first, last, other_days, "08:00", "12:00", 240, "周末及节假日上午"),
            rule(first, last, other_days, "14:00", "18:00", 240, "周末及节假日下午"),
            rule(first, last, school_days, "18:30", "21:30", 180, "上学日晚间"),
        ],
    )
    library = Facility(
        kind=FacilityKind.LIBRARY,
        name="图书馆",
        name_en="Library",
        capacity=60,
        description="开架借阅区与自习座位，馆内请保持安静。",
        description_en="Open shelves and study seats. Please keep quiet in the library.",
        entrance_notes="从学校北门进入，出示预约二维码。",
        entrance_notes_en="Enter by the north gate and show your booking QR code.",
        rules=[
            library_school_days,
            rule(first, last, other_days, "08:30", "12:00", 210, "周末及节假日上午"),
            rule(first, last, other_days, "13:30", "18:30", 300, "周末及节假日下午"),
        ],
    )
    reading = Facility(
        kind=FacilityKind.READING_ROOM,
        name="阅览室",
        name_en="Reading room",
        capacity=40,
        description="报刊阅览与安静自习。",
        description_en="Newspapers, magazines and quiet study.",
        entrance_notes="从学校北门进入，阅览室在综合楼二楼。",
        entrance_notes_en=(
            "Enter by the north gate; the reading room is on the first floor of the main building."
        ),
        rules=[
            rule(first, last, school_days, "18:30", "21:00", 150, "上学日晚间"),
            rule(first, last, other_days, "08:30", "12:00", 210, "周末及节假日上午"),
            rule(first, last, other_days, "14:00", "18:30", 270, "周末及节假日下午"),
        ],
    )
    parking = Facility(
        kind=FacilityKind.PARKING,
        name="停车场",
        name_en="Parking lot",
        capacity=spec.parking_spaces,
        description="地面停车场，限小型客车。",
        description_en="An open-air car park for cars only.",
        entrance_notes="车辆从学校西门进出，按预约车牌放行。",
        entrance_notes_en=(
            "Drive in and out by the west gate; the barrier opens for the booked plate."
        ),
        rules=[
            rule(first, last, school_days, "17:30", "21:30", 240, "上学日晚间"),
            rule(first, last, other_days, "08:00", "20:00", 240, "周末及节假日"),
        ],
    )
    if spec.code == LATE_PARKING_SCHOOL:  # behind on the tracker: not open yet
        parking.is_active = False
        parking.description = "停车场正在改造，暂未对外开放。"
        parking.description_en = "The car park is being rebuilt and is not open yet."
    facilities = [hall, library, reading, parking]
    if spec.sports:
        facilities.append(
            Facility(
                kind=FacilityKind.SPORTS_VENUE,
                name="体育馆",
                name_en="Sports hall",
                capacity=30,
                description="室内篮球、羽毛球场地，请穿运动鞋。",
                description_en="Indoor basketball and badminton courts. Please wear sports shoes.",
                entrance_notes="从学校南门进入，更衣室在一楼。",
                entrance_notes_en=(
                    "Enter by the south gate; the changing rooms are on the ground floor."
                ),
                rules=[
                    rule(first, last, school_days, "18:00", "21:00", 60, "上学日晚间"),
                    rule(first, last, other_days, "08:00", "12:00", 120, "周末及节假日上午"),
                    rule(first, last, other_days, "14:00", "20:00", 120, "周末及节假日下午晚间"),
                ],
            )
        )
    return facilities


def district_default_policy() -> BookingPolicy:
    return BookingPolicy(
        is_district_default=True,
        advance_days=7,
        release_time=time(8, 0),
        cancel_deadline_minutes=120,
        max_active_bookings=5,
        max_weekly_per_kind=3,
        verified_only=False,
        no_show_limit=3,
        no_show_window_days=30,
        suspension_days=14,
        waitlist_offer_minutes=15,
        no_show_grace_minutes=30,
    )


def demo_vacations(first: date, last: date) -> list[tuple[date, date, str]]:
    """Winter and summer vacations of Dongguan's school years (approximate dates)."""
    vacations = []
    for year in range(first.year, last.year + 1):
        vacations.append((date(year, 1, 24), date(year, 2, 28), f"{year} 寒假"))
        vacations.append((date(year, 7, 11), date(year, 8, 31), f"{year} 暑假"))
    return [v for v in vacations if v[1] >= first and v[0] <= last]


def load_calendar(session: Session, today: date) -> int:
    """Official holidays from the package, plus the school vacations."""
    added = calendar.import_official_holidays(session, [today.year, today.year + 1])
    first, last = academic_years(today)
    known = set(
        session.scalars(
            sa.select(CalendarPeriod.first_day).where(CalendarPeriod.kind == DayKind.VACATION)
        )
    )
    for first_day, last_day, name in demo_vacations(first, last):
        if first_day not in known:
            calendar.add_period(session, DayKind.VACATION, first_day, last_day, name)
            added += 1
    return added


VISITOR_TERMS = """1. 凭预约码和本人身份证从指定校门进入，服从保安和学校工作人员的安排。
2. 只在预约的场馆和时段内活动，不进入教学楼、宿舍等其他区域。
3. 爱护公共设施，损坏照价赔偿；保持安静和整洁，带走垃圾。
4. 校园内禁止吸烟、饮酒、携带宠物和危险物品。
5. 未成年人须由监护人陪同。
6. 如需取消，请在开始前 2 小时在"我的预约"中取消；多次爽约将暂停预约资格。"""

VISITOR_TERMS_EN = "\n".join(
    (
        "1. Enter by the gate named in your booking with your booking code and your own ID "
        "card, and follow the directions of the guards and school staff.",
        "2. Stay in the facility and time you booked; do not enter classrooms, dormitories or "
        "other areas.",
        "3. Take care of the facilities (damage is paid for), keep quiet and tidy, and take "
        "your rubbish with you.",
        "4. No smoking, alcohol, pets or dangerous objects on the campus.",
        "5. Children must come with a guardian.",
        "6. If you cannot come, cancel in My bookings at least 2 hours before the start; "
        "repeated no-shows suspend booking.",
    )
)


def load_demo(
    session: Session,
    *,
    now: datetime,
    today: date,
    progress: Callable[[str], None] = print,
    with_history: bool = True,
) -> dict[str, int]:
    """Create what is missing of the demo district; returns what was created.
    `with_history` adds the past month that last month's report shows."""
    created = {"schools": 0, "facilities": 0, "users": 0, "policies": 0}
    created["calendar_periods"] = load_calendar(session, today)
    if session.scalar(sa.select(BookingPolicy).where(BookingPolicy.is_district_default)) is None:
        session.add(district_default_policy())
        created["policies"] += 1
    first, last = academic_years(today)
    existing = {s.code: s for s in session.scalars(sa.select(School))}
    for index, spec in enumerate(SCHOOLS):
        school = existing.get(spec.code)
        if school is None:
            school = School(
                code=spec.code,
                name=spec.name,
                name_en=spec.name_en,
                address=spec.address,
                address_en=spec.address_en,
                area=spec.area,
                area_en=spec.area_en,
                is_public=spec.is_public,
                timezone="Asia/Shanghai",
                contact_name="开放办",
                contact_phone=f"0769-2288{index:04d}",
                facilities=demo_facilities(spec, first, last),
            )
            session.add(school)
            session.add(
                VisitorTerms(
                    school=school,
                    version=1,
                    body=VISITOR_TERMS,
                    body_en=VISITOR_TERMS_EN,
                    published_at=now,
                )
            )
            created["schools"] += 1
            created["facilities"] += len(school.facilities)
            progress(
                f"  {spec.code} {spec.name}: {len(school.facilities)} facilities, "
                f"staff login {staff_phone(index)}"
            )
        created["users"] += ensure_user(
            session,
            Role.STAFF,
            staff_phone(index),
            f"{spec.name}管理员",
            STAFF_PASSWORD,
            school,
            now,
        )
    created["users"] += ensure_user(
        session, Role.ADMIN, ADMIN_PHONE, "南城教育管理中心", ADMIN_PASSWORD, None, now
    )
    for phone, name in RESIDENTS:
        created["users"] += ensure_user(
            session, Role.RESIDENT, phone, name, RESIDENT_PASSWORD, None, now
        )
    session.flush()
    if session.get(DistrictSettings, 1) is None:
        # The plan pilots sharing at 2 private schools; every public school is expected.
        session.add(DistrictSettings(id=1, target_private_schools=2, updated_at=now))
    session.flush()
    if not with_history:
        return created
    created["bookings"] = history.load_history(
        session, codes=[spec.code for spec in SCHOOLS], now=now, today=today
    )
    # Last month's report reads the daily figures, as it will once the job has run.
    usage_days.rebuild_settled(session, now, clock.zone("Asia/Shanghai"))
    return created


def ensure_user(
    session: Session,
    role: Role,
    phone: str,
    name: str,
    password: str,
    school: School | None,
    now: datetime,
) -> int:
    if accounts.find_by_phone(session, phone) is not None:
        return 0
    if role is Role.RESIDENT:
        accounts.register_resident(
            session,
            accounts.NewResident(
                real_name=name,
                phone=phone,
                password=password,
                privacy_version=privacy.current(session).version,
            ),
            id_hash_key="",
            now=now,
        )
    else:
        accounts.create_staff_account(
            session,
            role=role,
            phone=phone,
            real_name=name,
            password=password,
            school=school,
            now=now,
        )
    return 1


def has_data(session: Session) -> bool:
    return session.scalar(sa.select(sa.func.count()).select_from(School)) != 0 or bool(
        session.scalar(sa.select(sa.func.count()).select_from(User))
    )
