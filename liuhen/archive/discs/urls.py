"""Evidence disc pages, mounted at /discs/."""

from django.urls import path

from liuhen.archive.discs import views

app_name = "discs"
urlpatterns = [
    path("case/<int:case_id>/", views.case_discs, name="case"),
    path("case/<int:case_id>/new", views.disc_new, name="new"),
    path("case/<int:case_id>/plan", views.disc_plan, name="plan"),
    path("<int:pk>/", views.disc_detail, name="detail"),
    path("<int:pk>/progress", views.disc_progress, name="progress"),
    path("<int:pk>/image", views.disc_image, name="image"),
    path("<int:pk>/statement", views.disc_statement, name="statement"),
]
