"""Create or update a staff login in one role.

    python manage.py createstaffuser maria --role desk --email maria@example.com
    printf '%s' "$PASSWORD" | python manage.py createstaffuser joao --role manager \\
        --password-stdin --token
"""

import secrets
import sys

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken

from apps.staff.roles import ROLES, role_group


class Command(BaseCommand):
    help = (
        "Create or update a staff user (is_staff) in exactly one role group "
        f"({', '.join(ROLES)}). Prints a new random password once, unless "
        "--password-stdin gives one; --token issues a new API token and prints "
        "it once. Idempotent: rerunning updates the user's role and email."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", choices=sorted(ROLES), required=True)
        parser.add_argument("--email", default=None)
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of generating one.",
        )
        parser.add_argument(
            "--token",
            action="store_true",
            help="Issue a new API token and print it once (only a digest is kept).",
        )

    def handle(self, *args, username, role, email, password_stdin, token, **options):
        User = get_user_model()
        password = None
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
            if not password:
                raise CommandError("No password on standard input.")
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if password is not None:
                try:
                    validate_password(password, user)
                except ValidationError as error:
                    raise CommandError(" ".join(error.messages)) from None
            elif created:
                password = secrets.token_urlsafe(12)
            user.is_staff = True
            user.is_active = True
            if email is not None:
                user.email = email
            if password is not None:
                user.set_password(password)
            user.save()
            # Exactly one role: other role groups are removed, other groups kept.
            user.groups.remove(*user.groups.filter(name__in=ROLES.values()))
            user.groups.add(role_group(role))
            # A new token each time: only its digest is stored, so an old one
            # cannot be shown again (revokestafftokens ends the old ones).
            api_token = AuthToken.objects.create(user=user) if token else None
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} staff user '{username}' with role {ROLES[role]}.")
        if password is not None and not password_stdin:
            self.stdout.write(
                f"Password: {password} (shown only this once; it is not stored "
                "in clear anywhere)"
            )
        if api_token is not None:
            instance, key = api_token
            expires = f"; it expires {instance.expiry:%Y-%m-%d %H:%M %Z}"
            self.stdout.write(
                f"API token: {key} (shown only this once; stored hashed{expires})"
            )
