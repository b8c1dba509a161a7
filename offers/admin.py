"""Admin registrations: a fallback for the secretariat. The portal's own pages go through the
services (notice flags, capacity rows written on confirmation, the import's preview), so
capacity rows, decided events and imports are read-only here: history is never edited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from offers.models import (
    AgreementPeriod,
    Capacity,
    ImportJob,
    LegalBasis,
    LifecycleEvent,
    Offer,
    TargetGroup,
)


class ReadOnlyMixin:
    """Rows that are history: they may be read, not added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AgreementPeriod)
class AgreementPeriodAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "start_date", "end_date"]
    list_filter = ["region"]
    search_fields = ["name"]


@admin.register(LegalBasis)
class LegalBasisAdmin(admin.ModelAdmin):
    list_display = ["label", "law", "paragraph", "title", "is_active", "order"]
    list_filter = ["law", "is_active"]
    list_editable = ["is_active", "order"]
    search_fields = ["paragraph", "title"]


@admin.register(TargetGroup)
class TargetGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active", "order"]
    list_filter = ["is_active"]
    list_editable = ["is_active", "order"]
    search_fields = ["name"]


class CapacityInline(ReadOnlyMixin, admin.TabularInline):
    model = Capacity
    extra = 0
    fields = readonly_fields = (
        "kind",
        "legal_basis",
        "valid_from",
        "valid_to",
        "places",
        "event",
        "created_by",
    )


class LifecycleEventInline(ReadOnlyMixin, admin.TabularInline):
    model = LifecycleEvent
    extra = 0
    fields = readonly_fields = (
        "kind",
        "state",
        "effective_date",
        "announced_on",
        "announced_late",
        "places",
    )
    show_change_link = True


@admin.register(Offer)
class OfferAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tilbudsportalen_id",
        "operator_municipality",
        "operator_region",
        "location",
        "area",
        "status",
        "is_covered",
    ]
    list_filter = ["status", "area", "offer_type", "is_covered", "coverage", "operator_region"]
    search_fields = ["name", "tilbudsportalen_id", "address", "city"]
    list_select_related = ["operator_municipality", "operator_region", "location"]
    autocomplete_fields = ["legal_bases", "target_groups"]
    filter_horizontal = ["agreement_periods"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [CapacityInline, LifecycleEventInline]


@admin.register(LifecycleEvent)
class LifecycleEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["offer", "kind", "state", "effective_date", "announced_on", "announced_late"]
    list_filter = ["state", "kind", "announced_late"]
    search_fields = ["offer__name", "offer__tilbudsportalen_id", "justification"]
    list_select_related = ["offer"]
    date_hierarchy = "effective_date"


@admin.register(Capacity)
class CapacityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["offer", "kind", "legal_basis", "valid_from", "valid_to", "places"]
    list_filter = ["kind"]
    search_fields = ["offer__name", "offer__tilbudsportalen_id"]
    list_select_related = ["offer", "legal_basis"]
    date_hierarchy = "valid_from"


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["file_name", "state", "created_at", "created_by", "processed", "total"]
    list_filter = ["state"]
    search_fields = ["file_name", "sha256"]
    exclude = ["content"]
