from django.urls import path

from meetings import feeds, pdf_views, staff_views, views, wheel

app_name = "meetings"
urlpatterns = [
    # Public and member pages (views.py)
    path("", views.index, name="index"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/punkt/<int:item_pk>/", views.item_detail, name="item"),
    path("<int:pk>/afbud/", views.apology, name="apology"),
    path("bilag/<int:pk>/", views.attachment_download, name="attachment"),
    # Staff pages (staff_views.py)
    path("redigering/", staff_views.staff_index, name="staff_index"),
    path("nyt/<slug:slug>/", staff_views.create, name="create"),
    path("redigering/<int:pk>/", staff_views.edit, name="edit"),
    path("redigering/<int:pk>/aflys/", staff_views.cancel, name="cancel"),
    path("redigering/<int:pk>/dagsorden/", staff_views.agenda, name="agenda"),
    path("redigering/<int:pk>/nyt-punkt/", staff_views.item_add, name="item_add"),
    path("redigering/punkt/<int:pk>/", staff_views.item_edit, name="item_edit"),
    path("redigering/punkt/<int:pk>/flyt/", staff_views.item_move, name="item_move"),
    path("redigering/punkt/<int:pk>/slet/", staff_views.item_delete, name="item_delete"),
    path(
        "redigering/punkt/<int:pk>/bilag/",
        staff_views.attachment_upload,
        name="attachment_upload",
    ),
    path(
        "redigering/bilag/<int:pk>/slet/",
        staff_views.attachment_delete,
        name="attachment_delete",
    ),
    path("redigering/<int:pk>/deltagere/", staff_views.attendance, name="attendance"),
    path(
        "redigering/<int:pk>/offentliggoer-dagsorden/",
        staff_views.publish_agenda,
        name="publish_agenda",
    ),
    path("redigering/<int:pk>/referat/", staff_views.minutes, name="minutes"),
    path(
        "redigering/<int:pk>/offentliggoer-referat/",
        staff_views.publish_minutes,
        name="publish_minutes",
    ),
    path(
        "redigering/<int:pk>/ret-referat/",
        staff_views.correct_minutes,
        name="correct_minutes",
    ),
    # Calendar, feeds and the annual wheel (feeds.py, views.py)
    path("kalender/", feeds.calendar_page, name="calendar"),
    path("kalender/ny-noegle/", feeds.calendar_token_reset, name="calendar_token_reset"),
    path("kalender.ics", feeds.ical_all, name="ical_all"),
    path("kalender/<slug:slug>.ics", feeds.ical_body, name="ical_body"),
    path("kalender/privat/<slug:token>.ics", feeds.ical_private, name="ical_private"),
    path("nyheder.rss", feeds.PublicationsFeed(), name="feed_rss"),
    path("nyheder.atom", feeds.AtomPublicationsFeed(), name="feed_atom"),
    path("nyheder/<slug:slug>.rss", feeds.BodyPublicationsFeed(), name="feed_body_rss"),
    path("aarshjul/", wheel.wheel, name="wheel"),
    path("aarshjul/<int:year>/", wheel.wheel_year, name="wheel_year"),
    path("aarshjul/milepael/ny/", wheel.milestone_create, name="milestone_create"),
    path("aarshjul/milepael/<int:pk>/", wheel.milestone_edit, name="milestone_edit"),
    path("aarshjul/milepael/<int:pk>/slet/", wheel.milestone_delete, name="milestone_delete"),
    # PDFs (pdf_views.py; rendered and stored by documents.py)
    path("<int:pk>/pdf/<str:kind>/", pdf_views.meeting_pdf, name="pdf"),
]
