"""立卷归档 pages, mounted at /archive/."""

from django.urls import path

from liuhen.archive.casefiles import views

app_name = "archive"
urlpatterns = [
    path("", views.queue_page, name="queue"),
    path("case/<int:case_id>/", views.case_file_of_case, name="case"),
    path("<int:pk>/", views.case_file_page, name="case_file"),
    path("<int:pk>/status", views.case_file_status, name="status"),
    path("<int:pk>/assemble", views.case_file_assemble, name="assemble"),
    path("<int:pk>/archive", views.case_file_archive, name="archive"),
    path("<int:pk>/items/<int:item_id>", views.case_file_item, name="item"),
]
