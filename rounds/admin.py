"""Admin registrations: a window for the secretariat, not a way around the services. A round is
written, sent, answered and resolved in the portal (rounds.services), which sanitises its texts
and keeps its history; here everything is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from rounds.models import Respondent, RoundAttachment, RoundEvent, WrittenRound


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RespondentInline(_ReadOnlyInline):
    model = Respondent
    fields = [
        "person",
        "represents",
        "answer",
        "comment",
        "answered_at",
        "answered_by",
        "answered_as_substitute",
    ]


class RoundAttachmentInline(_ReadOnlyInline):
    model = RoundAttachment
    fields = ["original_name", "content_type", "size", "uploaded_by", "uploaded_at"]


class RoundEventInline(_ReadOnlyInline):
    model = RoundEvent
    fields = ["at", "kind", "by", "respondent", "detail"]


@admin.register(WrittenRound)
class WrittenRoundAdmin(admin.ModelAdmin):
    list_display = ["title", "body", "state", "deadline", "decided_on", "is_confidential"]
    list_filter = ["state", "is_confidential", "body"]
    search_fields = ["title", "proposal"]
    date_hierarchy = "deadline"
    list_select_related = ["body"]
    inlines = [RespondentInline, RoundAttachmentInline, RoundEventInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a round starts in the portal, with its respondents and history

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # texts are sanitised and changes recorded by the services only

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is kept
