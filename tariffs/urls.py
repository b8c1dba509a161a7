from django.urls import path

from tariffs import views

app_name = "tariffs"
urlpatterns = [path("", views.index, name="index")]
