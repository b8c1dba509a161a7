"""Admin registrations: a fallback for the secretariat. The portal's own staff pages go through
the services (sanitising, numbering, revisions); numbers and publication facts are read-only
here."""

from __future__ import annotations

from django.contrib import admin

from meetings.models import AgendaItem, Attachment, Attendance, Meeting, MinutesRevision


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    raw_id_fields = ["person", "substitute"]
    readonly_fields = ["registered_by", "registered_at"]


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    fk_name = "meeting"
    extra = 0
    fields = ["number", "order", "parent", "title", "kind", "is_closed", "is_standing"]
    readonly_fields = ["number"]
    show_change_link = True


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["title", "body", "starts_at", "state", "cancelled", "sequence"]
    list_filter = ["state", "cancelled", "body"]
    search_fields = ["title", "case_number", "document_number", "place"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "state",
        "agenda_published_at",
        "minutes_published_at",
        "minutes_corrected_at",
        "sequence",
        "created_by",
    ]
    inlines = [AgendaItemInline, AttendanceInline]


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 0
    fields = ["original_name", "content_type", "size", "extraction_status", "uploaded_at"]
    readonly_fields = ["original_name", "content_type", "size", "extraction_status", "uploaded_at"]
    can_delete = False


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ["__str__", "meeting", "kind", "is_closed", "is_standing"]
    list_filter = ["kind", "is_closed", "is_standing"]
    search_fields = ["title", "meeting__title"]
    readonly_fields = ["number"]
    raw_id_fields = ["meeting", "parent", "follows_up", "follows_up_meeting"]
    inlines = [AttachmentInline]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["original_name", "item", "content_type", "size", "extraction_status"]
    list_filter = ["extraction_status", "extractor", "content_type"]
    search_fields = ["original_name", "sha256"]
    readonly_fields = [
        "file",
        "content_type",
        "size",
        "sha256",
        "extracted_text",
        "extraction_status",
        "extractor",
        "extraction_error",
        "uploaded_by",
        "uploaded_at",
    ]
    raw_id_fields = ["item"]


@admin.register(MinutesRevision)
class MinutesRevisionAdmin(admin.ModelAdmin):
    list_display = ["meeting", "revised_at", "revised_by"]
    readonly_fields = ["meeting", "revised_by", "revised_at", "reason", "snapshot"]

    def has_add_permission(self, request: object) -> bool:
        return False
