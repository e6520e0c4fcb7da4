from django.urls import path

from liuhen.policy import calendar_views

app_name = "calendar"
urlpatterns = [
    path("", calendar_views.overview, name="overview"),
    path("days/set/", calendar_views.day_set, name="day_set"),
    path("days/clear/", calendar_views.day_clear, name="day_clear"),
    path("years/confirm/", calendar_views.year_confirm, name="year_confirm"),
    path("years/import/", calendar_views.year_import, name="year_import"),
]
