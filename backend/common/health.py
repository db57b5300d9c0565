"""GET /api/health/ for load balancers and monitors."""

import logging

from django.db import DatabaseError, connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import (
    api_view,
    authentication_classes,
    permission_classes,
    throttle_classes,
)
from rest_framework.response import Response

logger = logging.getLogger("apps.health")

HealthSerializer = inline_serializer(
    "Health", fields={"status": serializers.ChoiceField(["ok", "unavailable"])}
)


@extend_schema(
    operation_id="health",
    summary="Check that the service and its database answer",
    tags=["health"],
    responses={200: HealthSerializer, 503: HealthSerializer},
    description="200 when the database answers, 503 when it does not. No "
    "authentication; the body never says more than `status`.",
)
@api_view(["GET"])
@authentication_classes([])
@permission_classes([permissions.AllowAny])
@throttle_classes([])
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        logger.error("health check: database unavailable: %s", error)
        return Response({"status": "unavailable"}, status=503)
    return Response({"status": "ok"})
