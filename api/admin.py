from django.contrib import admin

from api.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "created", "last_used", "revoked"]
    readonly_fields = ["user", "key_hash", "created", "last_used"]
    search_fields = ["user__email"]
