"""`manage.py ensure_admin`: make sure a first login exists (used by `make run`)."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

PASSWORD_ENV = "RRM_ADMIN_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a superuser when none exists. Without --password (or $RRM_ADMIN_PASSWORD) a "
        "random password is generated and printed once. Does nothing if a superuser exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin", help="default: admin")
        parser.add_argument(
            "--password",
            default=None,
            help=f"default: ${PASSWORD_ENV} if set, else a random one printed once",
        )

    def handle(self, *args: Any, username: str, password: str | None, **options: Any) -> None:
        user_model = get_user_model()
        existing = user_model.objects.filter(is_superuser=True).order_by("pk").first()
        if existing is not None:
            self.stdout.write(
                f"An admin login exists ({existing.get_username()}); no user created."
            )
            return
        if user_model.objects.filter(**{user_model.USERNAME_FIELD: username}).exists():
            # Never promote an existing account silently: that would grant it every permission.
            raise CommandError(
                f"User {username!r} exists but is not a superuser: choose another name with "
                "--username, or promote it with manage.py createsuperuser / the admin."
            )

        password = password or os.environ.get(PASSWORD_ENV) or None
        generated = password is None
        if password is None:
            password = secrets.token_urlsafe(16)
        user_model.objects.create_superuser(username=username, email="", password=password)

        if generated:
            self.stdout.write(
                f"Created admin login: {username} / {password} "
                f"(shown once; change it with manage.py changepassword {username})"
            )
        else:
            self.stdout.write(f"Created admin login: {username} (with the password given)")
