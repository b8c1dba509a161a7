from django.urls import path

from meetings import views

app_name = "meetings"
urlpatterns = [
    # Public and member pages (views.py)
    path("", views.index, name="index"),
    # Staff pages (staff_views.py)
    # Calendar, feeds and the annual wheel (feeds.py, views.py)
    # PDFs (documents.py)
]
