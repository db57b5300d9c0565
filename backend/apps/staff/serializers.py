from rest_framework import serializers

from apps.services.models import Service
from apps.staff.models import Staff
from common.fields import AudienceField, IdRelatedField, JsonBooleanField


class StaffSerializer(serializers.ModelSerializer):
    services = IdRelatedField(many=True, queryset=Service.objects.all(), required=False)
    is_active = JsonBooleanField(required=False)
    audience = AudienceField("staff")

    class Meta:
        model = Staff
        fields = [
            "audience",
            "id",
            "name",
            "email",
            "phone",
            "services",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]


class PublicStaffSerializer(serializers.ModelSerializer):
    """What guests may see of a staff member: never their contact details."""

    services = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    audience = AudienceField("public")

    class Meta:
        model = Staff
        fields = ["audience", "id", "name", "services"]
