"""Delivery pages (送达), included from ``liuhen.documents.urls`` so they share its ``documents`` namespace."""

from django.urls import path

from liuhen.documents.delivery import views

urlpatterns = [
    path("<int:pk>/versions/<int:version>/deliveries/", views.version_deliveries, name="delivery_list"),
    path("<int:pk>/versions/<int:version>/deliveries/new", views.delivery_new, name="delivery_new"),
    path("case/<int:case_id>/deliveries/", views.case_deliveries, name="delivery_case"),
    path("deliveries/<int:delivery_id>/proofs/<str:sha256>", views.delivery_proof, name="delivery_proof"),
]
