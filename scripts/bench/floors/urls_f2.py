from django.urls import path

from floors.views import F2Create

urlpatterns = [path("api/bookings/", F2Create.as_view())]
