"""Django admin for the organisation: a fallback for the secretariat's own pages."""

from django.contrib import admin

from organizations.models import (
    Body,
    Contact,
    Membership,
    MunicipalEditor,
    Municipality,
    Organization,
    Person,
    Region,
)


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "region")
    list_filter = ("region",)
    search_fields = ("name", "code")


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "region")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ("person",)
    fields = (
        "person",
        "role",
        "municipality",
        "region",
        "organization",
        "voting_right",
        "start_date",
        "end_date",
    )


@admin.register(Body)
class BodyAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "kind", "region", "parent", "is_public")
    list_filter = ("region", "kind", "is_public")
    search_fields = ("name", "short_name")
    prepopulated_fields = {"slug": ("name",)}
    inlines = [MembershipInline]


@admin.register(Person)
class PersonAdmin(admin.ModelAdmin):
    list_display = ("name", "job_title", "municipality", "region", "organization", "email")
    search_fields = ("name", "email")
    list_select_related = ("municipality", "region", "organization")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("person", "body", "role", "start_date", "end_date")
    list_filter = ("body", "role")
    list_select_related = ("person", "body")
    autocomplete_fields = ("person",)


@admin.register(MunicipalEditor)
class MunicipalEditorAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality", "granted_by", "created_at")
    list_select_related = ("user", "municipality")


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ("municipality", "function", "area", "topic", "person")
    list_filter = ("function", "area", "topic", "municipality")
    list_select_related = ("municipality", "person")
