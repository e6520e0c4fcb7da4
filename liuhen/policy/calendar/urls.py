from django.urls import path

from liuhen.policy.calendar import views

app_name = "calendar"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("days/set/", views.day_set, name="day_set"),
    path("days/clear/", views.day_clear, name="day_clear"),
    path("years/confirm/", views.year_confirm, name="year_confirm"),
    path("years/import/", views.year_import, name="year_import"),
]
