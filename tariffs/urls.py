from django.urls import path

from tariffs import staff_views, views

app_name = "tariffs"
urlpatterns = [
    # Public pages (views.py)
    path("", views.index, name="index"),
    path("eksport.csv", views.export_csv, name="export_csv"),
    path("eksport.xlsx", views.export_xlsx, name="export_xlsx"),
    path("<int:year>/takstoversigt.pdf", views.overview_pdf, name="pdf"),
    path("udvikling/", views.development, name="development"),
    # staff
    path("mine/", staff_views.mine, name="mine"),
    path("tilbud/<int:offer_pk>/nyt-takstblad/", staff_views.sheet_create, name="sheet_create"),
    path("ark/<int:pk>/", staff_views.sheet_detail, name="sheet"),
    path("ark/<int:pk>/takst/ny/", staff_views.line_form, name="line_create"),
    path("ark/<int:pk>/takst/<int:line_pk>/", staff_views.line_form, name="line_edit"),
    path("ark/<int:pk>/takst/<int:line_pk>/slet/", staff_views.line_delete, name="line_delete"),
    path("ark/<int:pk>/indsend/", staff_views.sheet_submit, name="submit"),
    path("ark/<int:pk>/behandl/", staff_views.sheet_review, name="review_sheet"),
    path("ark/<int:pk>/ret/", staff_views.sheet_correct, name="correct"),
    path("behandling/", staff_views.review_queue, name="review"),
    path("offentliggoer/", staff_views.publish, name="publish"),
    path("pl-indeks/", staff_views.price_index, name="price_index"),
    path("pl-indeks/ny/", staff_views.price_index_form, name="price_index_create"),
    path("pl-indeks/<int:pk>/", staff_views.price_index_form, name="price_index_edit"),
    path("regler/", staff_views.rules, name="rules"),
    path("regler/<int:period_pk>/", staff_views.rules_form, name="rules_edit"),
    path("takstaar/", staff_views.years, name="years"),
    path("takstaar/ny/", staff_views.year_form, name="year_create"),
    path("takstaar/<int:pk>/", staff_views.year_form, name="year_edit"),
    path("efterregulering/", staff_views.settlements, name="settlements"),
    path("efterregulering/ny/", staff_views.settlement_form, name="settlement_create"),
    path("efterregulering/<int:pk>/", staff_views.settlement_form, name="settlement_edit"),
    path("import/", staff_views.import_upload, name="import"),
    path("import/<int:pk>/", staff_views.import_job, name="import_job"),
]
