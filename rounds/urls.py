from django.urls import path

from rounds import staff_views, views

app_name = "rounds"
urlpatterns = [
    # Pages for everyone (views.py)
    path("", views.index, name="index"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/svar/", views.answer, name="answer"),
    path("bilag/<int:pk>/", views.attachment_download, name="attachment"),
    # The secretariat's pages (staff_views.py)
    path("ny/<slug:slug>/", staff_views.create, name="create"),
    path("<int:pk>/rediger/", staff_views.edit, name="edit"),
    path("<int:pk>/parter/", staff_views.respondents, name="respondents"),
    path("<int:pk>/bilag/", staff_views.attachments, name="attachments"),
    path("bilag/<int:pk>/slet/", staff_views.attachment_delete, name="attachment_delete"),
    path("<int:pk>/send/", staff_views.send, name="send"),
    path("<int:pk>/paamind/", staff_views.remind, name="remind"),
    path("<int:pk>/frist/", staff_views.deadline, name="deadline"),
    path("<int:pk>/traek-tilbage/", staff_views.withdraw, name="withdraw"),
    path("<int:pk>/afslut/", staff_views.close, name="close"),
    path("<int:pk>/opfoelgning/", staff_views.follow_up, name="follow_up"),
]
