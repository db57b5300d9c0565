from django.urls import path

from apps.frontend import views

urlpatterns = [
    path("", views.guest_page, name="guest-page"),
    path("booking/", views.guest_page, {"view": "manage"}, name="guest-manage"),
    path("booking/waitlist/", views.waitlist_page, name="waitlist-join"),
    path(
        "booking/waitlist/leave/",
        views.waitlist_page,
        {"view": "leave"},
        name="waitlist-leave",
    ),
    path(
        "booking/offer/", views.waitlist_page, {"view": "offer"}, name="waitlist-offer"
    ),
]
