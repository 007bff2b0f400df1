"""The product's URLs plus the raw-SQL floor views (bench only, never in cpor.urls)."""

from django.urls import path

from cpor.urls import urlpatterns as product_urlpatterns

from . import rawviews

urlpatterns = [
    path("bench/raw/claims/", rawviews.partner_claims, name="bench-raw-claims"),
    path("bench/raw/queue/", rawviews.review_queue, name="bench-raw-queue"),
    *product_urlpatterns,
]
