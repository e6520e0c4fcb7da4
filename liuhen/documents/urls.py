from django.urls import include, path

from liuhen.documents import views

app_name = "documents"
urlpatterns = [
    path("case/<int:case_id>/new", views.document_new, name="new"),
    path("case/<int:case_id>/paper", views.paper_attach, name="paper"),
    path("<int:pk>/", views.document_detail, name="detail"),
    path("<int:pk>/save", views.document_save, name="save"),
    path("<int:pk>/sign/<str:role>", views.document_sign, name="sign"),
    path("<int:pk>/refuse/<str:role>", views.document_refuse, name="refuse"),
    path("<int:pk>/finalise", views.document_finalise, name="finalise"),
    path("<int:pk>/correct", views.document_correct, name="correct"),
    path("<int:pk>/preview", views.document_preview, name="preview"),
    path("<int:pk>/versions/<int:version>/pdf", views.version_pdf, name="pdf"),
    path("", include("liuhen.documents.delivery.urls")),
]
