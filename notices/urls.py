from django.urls import path

from notices import views

app_name = "notices"

urlpatterns = [
    path("", views.subscribe, name="subscribe"),
    path("bekraeft/<str:token>/", views.confirm, name="confirm"),
    path("afmeld/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("administrer/<str:token>/", views.manage, name="manage"),
]
