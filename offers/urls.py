from django.urls import path

from offers import staff_views, views

app_name = "offers"
urlpatterns = [
    # Public pages (views.py)
    path("", views.index, name="index"),
    path("eksport.csv", views.export_csv, name="export_csv"),
    path("eksport.xlsx", views.export_xlsx, name="export_xlsx"),
    path("varsler/", views.early_warning, name="early_warning"),
    path("<int:pk>/", views.detail, name="detail"),
    # staff
    path("ny/", staff_views.offer_create, name="create"),
    path("<int:pk>/rediger/", staff_views.offer_edit, name="edit"),
    path("<int:pk>/aendring/", staff_views.event_propose, name="propose"),
    path("aendringer/", staff_views.event_queue, name="events"),
    path("aendringer/<int:pk>/", staff_views.event_decide, name="event"),
    path("lovgrundlag/", staff_views.legal_bases, name="legal_bases"),
    path("lovgrundlag/ny/", staff_views.legal_basis_form, name="legal_basis_create"),
    path("lovgrundlag/<int:pk>/", staff_views.legal_basis_form, name="legal_basis_edit"),
    path("maalgrupper/", staff_views.target_groups, name="target_groups"),
    path("maalgrupper/ny/", staff_views.target_group_form, name="target_group_create"),
    path("maalgrupper/<int:pk>/", staff_views.target_group_form, name="target_group_edit"),
    path("aftaleperioder/", staff_views.agreement_periods, name="agreement_periods"),
    path("aftaleperioder/ny/", staff_views.agreement_period_form, name="agreement_period_create"),
    path(
        "aftaleperioder/<int:pk>/",
        staff_views.agreement_period_form,
        name="agreement_period_edit",
    ),
    path("import/", staff_views.import_upload, name="import"),
    path("import/<int:pk>/", staff_views.import_job, name="import_job"),
]
