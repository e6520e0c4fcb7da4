"""tus endpoints, mounted at /api/uploads/ (before the ninja API, which owns the rest of /api/)."""

from django.urls import path

from liuhen.media.ingest import tus

app_name = "tus"
urlpatterns = [
    path("", tus.uploads, name="uploads"),
    path("<str:upload_id>", tus.upload, name="upload"),
]
