"""The tables of the whole vocabulary of DESIGN.md, one module per entity group."""

from booking.models.audit import AuditEvent
from booking.models.booking import (
    ACTIVE_STATUSES,
    PLACE_HOLDING_STATUSES,
    Booking,
    BookingStatus,
    WaitlistEntry,
    WaitlistStatus,
)
from booking.models.calendar import CalendarPeriod, DayKind
from booking.models.facility import (
    BookingPolicy,
    Closure,
    ClosureReason,
    DayType,
    Facility,
    FacilityKind,
    OpeningRule,
)
from booking.models.jobrun import JobRun, JobRunStatus
from booking.models.notice import DeliveryStatus, Notice
from booking.models.privacy import PrivacyNotice
from booking.models.release_reminder import ReleaseReminder
from booking.models.school import School, VisitorTerms
from booking.models.settings import DistrictSettings
from booking.models.slot import Slot, SlotCancelCause
from booking.models.usage import HOURS, ApprovalDelay, UsageDay
from booking.models.user import ApiToken, AuthFailure, Role, User, VerificationCode

__all__ = [
    "ACTIVE_STATUSES",
    "HOURS",
    "PLACE_HOLDING_STATUSES",
    "ApiToken",
    "ApprovalDelay",
    "AuditEvent",
    "AuthFailure",
    "Booking",
    "BookingPolicy",
    "BookingStatus",
    "CalendarPeriod",
    "Closure",
    "ClosureReason",
    "DayKind",
    "DayType",
    "DeliveryStatus",
    "DistrictSettings",
    "Facility",
    "FacilityKind",
    "JobRun",
    "JobRunStatus",
    "Notice",
    "OpeningRule",
    "PrivacyNotice",
    "ReleaseReminder",
    "Role",
    "School",
    "Slot",
    "SlotCancelCause",
    "UsageDay",
    "User",
    "VerificationCode",
    "VisitorTerms",
    "WaitlistEntry",
    "WaitlistStatus",
]
