"""Load demo services, staff and two weeks of slots; safe to run repeatedly."""

import secrets
from datetime import time, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.utils import timezone

from apps.availability.services import availability_generate
from apps.services.models import Service
from apps.staff.models import Staff
from apps.staff.roles import ROLES, role_group

DEMO_SERVICES = [
    ("Classic manicure", "Shape, cuticle care and polish.", 45, "25.00"),
    ("Gel pedicure", "Long-lasting gel polish for the feet.", 60, "35.00"),
    ("Facial treatment", "Cleansing, exfoliation and a mask.", 60, "50.00"),
    ("Relaxing massage", "Full-body massage with warm oils.", 90, "70.00"),
]
# name, email, phone, services offered, slot length in minutes
DEMO_STAFF = [
    ("Ana Sousa", "ana@example.com", "+351 910 000 001", [0, 1], 60),
    ("Beatriz Lima", "beatriz@example.com", "+351 910 000 002", [2, 3], 90),
    ("Carla Reis", "carla@example.com", "+351 910 000 003", [0, 1, 2], 60),
]
# Demo logins, one per role: the front desk and the manager.
DEMO_USERS = [("demo-desk", "desk"), ("demo-manager", "manager")]
BUSINESS_DAYS = frozenset(range(6))  # Monday to Saturday


class Command(BaseCommand):
    help = (
        "Create demo services, staff members and bookable slots over the next "
        "14 days in business hours (09:00-18:00, Monday to Saturday). "
        "Idempotent: existing records are kept and no slot is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has services.",
        )
        parser.add_argument("--days", type=int, default=14)

    def handle(self, *args, if_empty, days, **options):
        if if_empty and Service.objects.exists():
            self.stdout.write("Database already has data; demo data not loaded.")
            return
        services = [
            Service.objects.get_or_create(
                name=name,
                defaults={
                    "description": description,
                    "duration_minutes": duration,
                    "price": Decimal(price),
                },
            )[0]
            for name, description, duration, price in DEMO_SERVICES
        ]
        today = timezone.localdate()
        slots_created = 0
        for name, email, phone, offered, slot_minutes in DEMO_STAFF:
            member, _ = Staff.objects.get_or_create(
                name=name, defaults={"email": email, "phone": phone}
            )
            member.services.add(*(services[index] for index in offered))
            slots_created += availability_generate(
                staff=member,
                first_day=today,
                last_day=today + timedelta(days=days - 1),
                day_start=time(9, 0),
                day_end=time(18, 0),
                every_minutes=slot_minutes,
                weekdays=BUSINESS_DAYS,
            )
        self.stdout.write(
            f"Demo data ready: {len(services)} services, {len(DEMO_STAFF)} staff, "
            f"{slots_created} new slots."
        )
        if getattr(settings, "BOOKING_DEMO_STAFF_USER", False):
            for username, role in DEMO_USERS:
                self._create_demo_user(username, role)

    def _create_demo_user(self, username: str, role: str):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(
            username=username, password=password, is_staff=True
        )
        user.groups.add(role_group(role))
        self.stdout.write(
            f"Created {ROLES[role]} user '{username}' with password '{password}'. "
            "It is shown only this once."
        )
