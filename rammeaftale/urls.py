from django.contrib import admin
from django.urls import include, path

from api.api import api
from core import views as core_views
from rammeaftale import views as portal_views

urlpatterns = [
    path("", portal_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("konto/", include("allauth.urls")),
    path("profil/", portal_views.profile, name="profile"),
    path("abonnement/", include("notices.urls")),
    path("organisation/", include("organizations.urls")),
    path("moeder/", include("meetings.urls")),
    path("hoeringer/", include("rounds.urls")),
    path("tilbud/", include("offers.urls")),
    path("takster/", include("tariffs.urls")),
    path("soeg/", portal_views.search, name="search"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
]
