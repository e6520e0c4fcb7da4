"""Retention pages, mounted at /retention/."""

from django.urls import path

from liuhen.archive.retention import views

app_name = "retention"

urlpatterns = [
    path("records/<str:object_type>/<str:object_id>/", views.record_page, name="record"),
    path("disposal/", views.batch_list, name="batches"),
    path("disposal/<int:batch_id>/", views.batch_page, name="batch"),
]
