from django.urls import path

from liuhen.policy import views

app_name = "policy"
urlpatterns = [path("", views.detail, name="detail")]
