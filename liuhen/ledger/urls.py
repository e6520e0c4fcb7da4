from django.urls import path

from liuhen.ledger import views

app_name = "ledger"
urlpatterns = [
    path("audit/", views.audit, name="audit"),
    path("public-key", views.public_key, name="public_key"),
    path("checkpoint/latest.txt", views.checkpoint_latest, name="checkpoint_latest"),
    path("checkpoint/sign", views.checkpoint_sign, name="checkpoint_sign"),
    path("verify", views.verify_start, name="verify_start"),
]
