from django.urls import path

from notices import staff_views, views

app_name = "notices"

urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("bekraeft/<str:token>/", views.confirm, name="confirm"),
    path("afmeld/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("administrer/<str:token>/", views.manage, name="manage"),
    # The profile's forms (logged in; the page itself is /profil/)
    path("profil/abonnement/", views.profile_subscription, name="profile_subscription"),
    path("profil/medlemsmails/", views.profile_defaults, name="profile_defaults"),
    # The secretariat's pages (staff_views.py)
    path("redigering/", staff_views.notice_list, name="staff_notices"),
    path("redigering/<int:pk>/", staff_views.notice_detail, name="staff_notice"),
    path("redigering/<int:pk>/send-igen/", staff_views.notice_retry, name="staff_notice_retry"),
]
