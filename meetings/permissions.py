"""Who may change meetings. Who may *see* what is decided in `meetings.visibility`."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from core.permissions import is_secretariat
from meetings.models import Attendance, Meeting
from organizations.models import Person

__all__ = ["can_edit_meetings", "can_register_apology"]


def can_edit_meetings(user: Any) -> bool:
    """Meetings, agendas, attendance and minutes are edited by the secretariat only."""
    return is_secretariat(user)


def can_register_apology(user: Any, meeting: Meeting, person: Person) -> bool:
    """The secretariat may register anyone's apologies (afbud), also after the fact. A member
    may register their own, for a meeting they are invited to that has not begun and is not
    cancelled."""
    if is_secretariat(user):
        return True
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if person.user_id is None or person.user_id != user.pk:
        return False
    if meeting.cancelled or meeting.starts_at <= timezone.now():
        return False
    return Attendance.objects.filter(meeting=meeting, person=person).exists()
