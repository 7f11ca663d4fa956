"""The per-update context: services, and the translator for this update's user."""

from __future__ import annotations

from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.domain.models import Account
from bot.i18n import Translator
from bot.services import Services

SERVICES_KEY = "services"
WORKER_KEY = "delivery_worker"


class ConveneContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
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
        return self.application.bot_data[SERVICES_KEY]

    @property
    def t(self) -> Translator:
        if self._translator is None:
            self._translator = self.services.i18n.translator(None)
        return self._translator

    @t.setter
    def t(self, translator: Translator) -> None:
        self._translator = translator
