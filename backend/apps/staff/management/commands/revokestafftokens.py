"""Revoke a staff member's API tokens at once (a lost laptop, a leaver).

python manage.py revokestafftokens maria
python manage.py revokestafftokens --all      # everyone's, e.g. after a leak
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from apps.staff.tokens import api_tokens_revoke


class Command(BaseCommand):
    help = (
        "Revoke the API tokens of the named staff users (or of everyone with "
        "--all): requests with them answer 401 at once. Issue a new one with "
        "createstaffuser --token."
    )

    def add_arguments(self, parser):
        parser.add_argument("usernames", nargs="*")
        parser.add_argument("--all", action="store_true", help="Every user's tokens.")

    def handle(self, *args, usernames, all, **options):
        if bool(usernames) == all:
            raise CommandError("Name one or more users, or give --all.")
        users = None
        if usernames:
            users = list(get_user_model().objects.filter(username__in=usernames))
            missing = set(usernames) - {user.username for user in users}
            if missing:
                raise CommandError(f"No such user: {', '.join(sorted(missing))}.")
        revoked = api_tokens_revoke(users=users)
        self.stdout.write(f"Revoked {revoked} API tokens.")
