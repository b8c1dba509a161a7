from django.urls import path

from organizations import staff_views, views

app_name = "organizations"
urlpatterns = [
    # Public pages (views.py)
    path("", views.diagram, name="diagram"),
    # Staff pages (staff_views.py)
    path("redigering/", staff_views.index, name="staff_index"),
]
