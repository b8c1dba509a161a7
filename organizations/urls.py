from django.urls import path

from organizations import staff_views, views

app_name = "organizations"
urlpatterns = [
    # Public pages (views.py)
    path("", views.diagram, name="diagram"),
    path("region/<str:code>/", views.region, name="region"),
    path("organer/<slug:slug>/", views.body_detail, name="body"),
    path("kommuner/<str:code>/", views.municipality_detail, name="municipality"),
    path("personer/<int:pk>/", views.person_detail, name="person"),
    # Staff pages (staff_views.py)
    path("redigering/", staff_views.index, name="staff_index"),
    path("redigering/nyt-organ/", staff_views.body_create, name="body_create"),
    path("redigering/organ/<slug:slug>/", staff_views.body_edit, name="body_edit"),
    path(
        "redigering/organ/<slug:slug>/nyt-medlem/",
        staff_views.membership_add,
        name="membership_add",
    ),
    path("redigering/medlemskab/<int:pk>/", staff_views.membership_edit, name="membership_edit"),
    path(
        "redigering/medlemskab/<int:pk>/afslut/",
        staff_views.membership_end,
        name="membership_end",
    ),
    path("redigering/ny-person/", staff_views.person_create, name="person_create"),
    path("redigering/person/<int:pk>/", staff_views.person_edit, name="person_edit"),
    path("redigering/import/medlemmer/", staff_views.import_members, name="import_members"),
    path("redigering/import/kontakter/", staff_views.import_contacts, name="import_contacts"),
    path(
        "redigering/import/abonnenter/",
        staff_views.import_subscribers,
        name="import_subscribers",
    ),
]
