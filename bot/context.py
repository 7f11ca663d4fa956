"""The per-update context: services, and the translator for this update's user."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.models import Account
from bot.i18n import Translator
from bot.services import Services

if TYPE_CHECKING:  # built in the composition root (bot/app.py), which imports them all
    from bot.budget import BudgetShare
    from bot.delivery import DeliveryWorker
    from bot.ratelimit import TwoLaneRateLimiter
    from handlers.delivery import ProgressReporter


class BotData:
    """What the application holds for its lifetime (PTB's `bot_data`), typed instead of
    reached by string keys. PTB makes it with no arguments; bot/app.py fills it."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self.limiter: TwoLaneRateLimiter | None = None
        # Tests drain the delivery queue themselves, and play one process on a fake clock.
        self.start_worker = True
        self.share_budget = True
        # Made in post_init, once the bot knows who it is.
        self.worker: DeliveryWorker | None = None
        self.budget: BudgetShare | None = None
        self.progress: ProgressReporter | None = None
        self.menu_refresh: asyncio.Task[None] | None = None

    @property
    def services(self) -> Services:
        assert self._services is not None, "bot/app.py sets the services before any update"
        return self._services

    @services.setter
    def services(self, services: Services) -> None:
        self._services = services


class ConveneContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    """PTB builds one per update and shares it across handler groups.

    The locale pre-handler (handlers/common.py) fills `t` and `account`; keeping
    them here, not in a ContextVar, means one user's language can never leak into
    the next user's update.
    """

    def __init__(
        self,
        application: Application[Any, Any, Any, Any, Any, Any],
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._translator: Translator | None = None
        self.account: Account | None = None

    @property
    def services(self) -> Services:
        return self.bot_data.services

    @property
    def timezone(self) -> str:
        """The person's time zone: the one they chose, else the bot's default."""
        account = self.account
        return (account.timezone if account else None) or self.services.settings.timezone

    @property
    def t(self) -> Translator:
        if self._translator is None:
            self._translator = self.services.i18n.translator(None)
        return self._translator

    @t.setter
    def t(self, translator: Translator) -> None:
        self._translator = translator
