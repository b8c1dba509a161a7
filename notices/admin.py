from django.contrib import admin

from notices.models import Delivery, DigestDelivery, Notice, Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["email", "topic", "frequency", "status", "consent", "confirmed_at"]
    list_filter = ["status", "frequency", "consent"]
    search_fields = ["email", "name", "topic"]
    raw_id_fields = ["user", "imported_by"]


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin):
    list_display = ["kind", "topic", "created_at", "fanned_out_at", "created_by"]
    list_filter = ["kind"]
    search_fields = ["topic"]
    raw_id_fields = ["created_by"]


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["notice", "email", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["email", "message_id"]
    raw_id_fields = ["notice", "user"]
    readonly_fields = ["claim_token"]


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    list_display = ["email", "frequency", "period_start", "status", "attempts", "sent_at"]
    list_filter = ["status", "frequency"]
    search_fields = ["email"]
    raw_id_fields = ["user"]
