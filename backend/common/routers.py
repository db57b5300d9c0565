"""The API router: its root lists what a visitor may use, never a 401."""

from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter

from common.permissions import has_staff_permission


class ApiRootView(APIRootView):
    """Anonymous visitors see the public endpoints; staff see every endpoint."""

    permission_classes = [permissions.AllowAny]
    action_permissions: dict = {}  # no actions; open to anyone
    public_url_names: dict[str, str] = {}

    def get(self, request, *args, **kwargs):
        links = super().get(request, *args, **kwargs).data
        if not has_staff_permission(request):
            links = {}
        for name, url_name in self.public_url_names.items():
            links.setdefault(name, reverse(url_name, request=request))
        return Response(links)


class ApiRouter(DefaultRouter):
    """A DefaultRouter whose root view shows guests `public_url_names`."""

    def __init__(self, *, public_url_names: dict[str, str], **kwargs):
        super().__init__(**kwargs)
        self.APIRootView = type(
            "ApiRootView", (ApiRootView,), {"public_url_names": public_url_names}
        )
