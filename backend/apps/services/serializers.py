from rest_framework import serializers

from apps.services.models import Service


class ServiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Service
        fields = [
            "id",
            "name",
            "description",
            "duration_minutes",
            "price",
            "is_active",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        extra_kwargs = {
            "duration_minutes": {"min_value": 1, "max_value": 24 * 60},
            "price": {"min_value": 0},
        }


class PublicServiceSerializer(ServiceSerializer):
    class Meta(ServiceSerializer.Meta):
        fields = ["id", "name", "description", "duration_minutes", "price", "is_active"]
