"""Admin registrations: a fallback for the secretariat. The portal's own pages go through the
services (the state of a sheet, its checks, corrections as new versions, the import's
preview), so sheets, lines, settlements and imports are read-only here; their change history
(django-simple-history) is shown by `SimpleHistoryAdmin`. The tables (rules, years, PL index)
may be edited here as on the portal's own pages."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from tariffs.models import (
    PriceIndex,
    Settlement,
    TariffDocument,
    TariffImport,
    TariffLine,
    TariffRules,
    TariffSheet,
    TariffYear,
)


class ReadOnlyMixin:
    """Rows that are written by the services only: read here, never added, changed or deleted."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TariffRules)
class TariffRulesAdmin(admin.ModelAdmin):
    list_display = [
        "period",
        "overhead_percent",
        "settlement_next_year_percent",
        "change_warning_percent",
        "occupancy_warning_percent",
    ]
    list_select_related = ["period", "period__region"]


@admin.register(TariffYear)
class TariffYearAdmin(admin.ModelAdmin):
    list_display = ["year", "submission_deadline", "reminder_sent_at", "published_at", "version"]
    readonly_fields = ["reminder_sent_at", "published_at", "version"]


@admin.register(PriceIndex)
class PriceIndexAdmin(admin.ModelAdmin):
    list_display = ["year", "index"]


class TariffLineInline(ReadOnlyMixin, admin.TabularInline):
    model = TariffLine
    extra = 0
    fields = ("order", "service", "label", "unit", "amount", "places", "occupancy_percent")
    readonly_fields = ("order", "service", "label", "unit", "amount", "places", "occupancy_percent")


@admin.register(TariffSheet)
class TariffSheetAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["offer", "year", "version", "state", "submitted_at", "published_at"]
    list_filter = ["year", "state"]
    search_fields = ["offer__name", "offer__tilbudsportalen_id"]
    list_select_related = ["offer"]
    inlines = [TariffLineInline]
    history_list_display = ["state", "review_comment"]


@admin.register(TariffLine)
class TariffLineAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["sheet", "service", "label", "unit", "amount"]
    list_filter = ["service", "unit", "sheet__year"]
    search_fields = ["sheet__offer__name", "label"]
    list_select_related = ["sheet", "sheet__offer"]
    history_list_display = ["amount"]


@admin.register(Settlement)
class SettlementAdmin(ReadOnlyMixin, SimpleHistoryAdmin):
    list_display = ["offer", "year", "budget", "actual_revenue", "actual_costs", "next_year"]
    list_filter = ["year"]
    search_fields = ["offer__name"]
    list_select_related = ["offer"]


@admin.register(TariffDocument)
class TariffDocumentAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["year", "version", "page_count", "size", "rendered_at"]


@admin.register(TariffImport)
class TariffImportAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["file_name", "year", "state", "created_at", "created_by", "applied_by"]
    list_filter = ["state", "year"]
    exclude = ["content"]
