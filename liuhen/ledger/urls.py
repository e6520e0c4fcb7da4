from django.urls import path

from liuhen.ledger import views

app_name = "ledger"
urlpatterns = [path("audit/", views.audit, name="audit")]
