from django.urls import path

from liuhen.policy import calendar_views

app_name = "calendar"
urlpatterns = [path("", calendar_views.overview, name="overview")]
