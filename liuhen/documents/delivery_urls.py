"""Delivery pages (送达), included from ``liuhen.documents.urls`` so they share its ``documents`` namespace."""

from django.urls import path

from liuhen.documents import delivery_views

urlpatterns = [
    path("<int:pk>/versions/<int:version>/deliveries/", delivery_views.version_deliveries, name="delivery_list"),
    path("<int:pk>/versions/<int:version>/deliveries/new", delivery_views.delivery_new, name="delivery_new"),
    path("case/<int:case_id>/deliveries/", delivery_views.case_deliveries, name="delivery_case"),
    path("deliveries/<int:delivery_id>/proofs/<str:sha256>", delivery_views.delivery_proof, name="delivery_proof"),
]
