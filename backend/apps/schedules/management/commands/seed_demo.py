"""Load demo services, staff, their working hours and the slots those make;
safe to run repeatedly. It lives with the business calendar, whose working
hours it sets up (bookings may not import the calendar)."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from apps.schedules.services import slots_fill_horizon, working_hours_create
from apps.services.models import Service
from apps.staff.models import Staff
from apps.staff.roles import ROLES, role_group

DEMO_SERVICES = [
    ("Classic manicure", "Shape, cuticle care and polish.", 45, "25.00"),
    ("Gel pedicure", "Long-lasting gel polish for the feet.", 60, "35.00"),
    ("Facial treatment", "Cleansing, exfoliation and a mask.", 60, "50.00"),
    ("Relaxing massage", "Full-body massage with warm oils.", 90, "70.00"),
]
# name, email, phone, services offered, the grid of their working hours in
# minutes (a longer service takes consecutive slots: the 45-minute manicure
# three of Ana's 15-minute ones, the 90-minute massage three of Beatriz's).
DEMO_STAFF = [
    ("Ana Sousa", "ana@example.com", "+351 910 000 001", [0, 1], 15),
    ("Beatriz Lima", "beatriz@example.com", "+351 910 000 002", [2, 3], 30),
    ("Carla Reis", "carla@example.com", "+351 910 000 003", [0, 1, 2], 15),
]
# Demo logins, one per role: the front desk and the manager.
DEMO_USERS = [("demo-desk", "desk"), ("demo-manager", "manager")]
BUSINESS_DAYS = range(6)  # Monday to Saturday
# 09:00-13:00 and 14:00-18:00: two rules a day make the lunch break.
WORKING_PERIODS = [(9 * 60, 13 * 60), (14 * 60, 18 * 60)]


class Command(BaseCommand):
    help = (
        "Create demo services, staff members and their working hours (Monday "
        "to Saturday, 09:00-13:00 and 14:00-18:00), then run the horizon job, "
        "which makes their slots (the scheduled jobs keep them filled). "
        "Idempotent: existing records are kept and no slot is duplicated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has services.",
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="How many days of slots to make now (BOOKING_SLOT_HORIZON_DAYS "
            "otherwise).",
        )

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
        for name, email, phone, offered, slot_minutes in DEMO_STAFF:
            member, _ = Staff.objects.get_or_create(
                name=name, defaults={"email": email, "phone": phone}
            )
            member.services.add(*(services[index] for index in offered))
            if not member.working_hours.exists():
                for weekday in BUSINESS_DAYS:
                    for start, end in WORKING_PERIODS:
                        working_hours_create(
                            staff=member,
                            weekday=weekday,
                            start_minute=start,
                            end_minute=end,
                            slot_minutes=slot_minutes,
                        )
        horizon = slots_fill_horizon(horizon_days=days)
        self.stdout.write(
            f"Demo data ready: {len(services)} services, {len(DEMO_STAFF)} staff "
            f"with working hours, {horizon.created} new slots over "
            f"{horizon.horizon_days} days."
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
