from django.urls import path

from liuhen.media import views

app_name = "media"
urlpatterns = [
    path("case/<int:case_id>/", views.case_media, name="case"),
    path("case/<int:case_id>/records", views.case_records, name="case_records"),
    path("case/<int:case_id>/section", views.case_section, name="case_section"),
    path("case/<int:case_id>/timeline", views.case_timeline, name="timeline"),
    path("records/<int:pk>/", views.record_detail, name="record"),
    path("untagged/", views.untagged, name="untagged"),
    path("records/<int:pk>/preview", views.record_preview, name="preview"),
    path("records/<int:pk>/thumbnail", views.record_thumbnail, name="thumbnail"),
    path("records/<int:pk>/original", views.record_original, name="original"),
    path("uploads/<str:upload_id>/record", views.upload_record, name="upload_record"),
]
