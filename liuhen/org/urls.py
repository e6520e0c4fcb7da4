from django.urls import path

from liuhen.org import views

app_name = "org"
urlpatterns = [path("", views.overview, name="overview")]
