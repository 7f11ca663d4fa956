"""The composition root: builds the Application and registers every handler.

Handler groups run in ascending order; within a group the first matching handler
wins, and a handler raising ApplicationHandlerStop ends the update.

  -20  prepare           an update already handled is stopped here; otherwise the
                         account is loaded and the translator put on the context
    0  commands and buttons of every feature; handlers/help.py registers last, so
       its catch-alls only see what no feature claimed
    1  typed registration answers (stop when taken)
    2  typed time zone after /timezone (stop when taken)
    3  typed profile corrections (stop when taken)
    4  typed RSVP comment (stop when taken)
    5  typed answers of the meeting dialog (stop when taken)
    6  typed text and documents of an announcement (stop when taken)
    7  typed answers and files for a request (stop when taken)
    9  anything still unclaimed: "I did not understand"

Updates of different people are processed concurrently, each person's in order
(bot/updates.py); handler groups still run in order within one update.

Broadcasts go out through the delivery worker (bot/delivery.py), which drains the
`deliveries` table in the bulk lane of the rate limiter (bot/ratelimit.py); every other
request (replies, edits) goes through the interactive lane and never waits behind them.

Reminders are rows too (bot/domain/reminders.py): one repeating job sweeps what is due
and hands it to the same worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import urlsplit

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import InvalidToken, TelegramError
from telegram.ext import Application, ApplicationBuilder, ContextTypes, Defaults
from telegram.request import BaseRequest

from bot.budget import BudgetShare
from bot.config import Settings, redact_url
from bot.context import BotData, ConveneContext
from bot.delivery import DeliveryWorker
from bot.domain.clock import Clock, SystemClock
from bot.domain.models import Role
from bot.i18n import I18n, match_locale
from bot.logs import install_redaction
from bot.ratelimit import TwoLaneRateLimiter
from bot.services import Services
from bot.updates import PerUserUpdateProcessor
from handlers import (
    common,
    delivery,
    invites,
    meetings,
    menus,
    notices,
    pending,
    plans,
    preferences,
    privacy,
    profile,
    reachability,
    record,
    registration,
    registration_approval,
    reminders,
    reports,
    requests,
    roster,
    rsvp,
)
from handlers import help as help_handlers
from storage.db import Database

logger = logging.getLogger(__name__)

# How long update ids are remembered for de-duplication. Telegram keeps undelivered
# updates for 24 hours, so a week is ample.
PROCESSED_UPDATES_KEPT = timedelta(days=7)
PROGRESS_INTERVAL = timedelta(seconds=3)  # the sender's progress message, edited
# How often due reminders are looked for: a reminder is at most this late. One indexed
# query when nothing is due (see bench/reminder_sweep.py for its cost).
SWEEP_INTERVAL = timedelta(seconds=30)


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    start_worker: bool = True,
    share_budget: bool = True,
) -> Application:
    """Everything wired, nothing started. `request`s let tests record the Bot API calls;
    with `start_worker=False` the delivery worker is built but not run (tests drain it);
    with `share_budget=False` the process does not join others in sharing Telegram's
    budget (the test harness, which plays one process on a fake clock)."""
    # Opt in to PTB 23's timedelta durations (RetryAfter.retry_after): without it, PTB 22
    # warns on every 429, and bot/delivery.py reads both forms anyway.
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    clock = clock or SystemClock()
    i18n = I18n(settings.default_locale)  # fails now, not mid-conversation, without catalogs
    db = Database(settings.database_url)
    services = Services.build(settings, db, clock, i18n)
    limiter = TwoLaneRateLimiter()
    processor = PerUserUpdateProcessor()

    builder = (
        ApplicationBuilder()
        .token(settings.require_token())
        .base_url(settings.base_url)
        .base_file_url(settings.base_file_url)
        .context_types(ContextTypes(context=ConveneContext, bot_data=BotData))
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .post_init(_post_init)
        .post_stop(_post_stop)
        .post_shutdown(_post_shutdown)
        .rate_limiter(limiter)
        .concurrent_updates(processor)
    )
    if request is not None:
        builder = builder.request(request)
    if updates_request is not None:
        builder = builder.get_updates_request(updates_request)
    app = builder.build()
    processor.on_dropped = lambda update: _tell_dropped(app, update)
    data: BotData = app.bot_data
    data.services = services
    data.limiter = limiter
    data.start_worker = start_worker
    data.share_budget = share_budget

    common.register(app)
    pending.register(app)  # /cancel, and each message to the feature that asked for it
    registration.register(app)
    registration_approval.register(app)
    preferences.register(app)
    profile.register(app)
    invites.register(app)
    roster.register(app)
    meetings.register(app)
    notices.register(app)
    rsvp.register(app)
    requests.register(app)
    plans.register(app)
    reports.register(app)
    record.register(app)
    privacy.register(app)
    reachability.register(app)
    help_handlers.register(app)  # last: its catch-alls take only what the others left
    return app


async def _post_init(app: Application) -> None:
    """Migrate, seed the admins, publish the command menus, start the housekeeping job."""
    data: BotData = app.bot_data
    services = data.services
    await services.db.upgrade()
    for admin_id in services.settings.admins:
        if await services.roster.grant(admin_id, Role.ADMIN):
            logger.debug("Admin %s added from CONVENE_ADMINS", admin_id)
    async with services.db.transaction() as tx:
        await tx.meta.set("bot_username", app.bot.username)
    await menus.set_default_menus(app.bot, services.i18n)
    for recipient in await services.roster.admins():
        principal = await services.roster.principal(recipient.telegram_user_id)
        translator = services.i18n.translator(recipient.locale)
        await menus.set_chat_menu(app.bot, translator, recipient.chat_id, principal)
    # In the background: with many members it takes a while (the interactive lane paces it).
    data.menu_refresh = asyncio.create_task(
        menus.refresh_member_menus(app.bot, services), name="refresh-menus"
    )
    worker = DeliveryWorker(
        services.db,
        services.clock,
        app.bot,
        lambda item: delivery.render_delivery(services, item),
        data.limiter,
        on_unreachable=lambda user_id: services.roster.set_reachable(user_id, False),
        give_up_after=services.settings.delivery_give_up,
    )
    data.worker = worker
    if data.share_budget:
        assert data.limiter is not None
        budget = BudgetShare(services.db, services.clock, data.limiter)
        await budget.start()
        data.budget = budget
    reporter = delivery.ProgressReporter(
        services, app.bot, waiting_since=lambda: worker.waiting_since, wake=worker.wake
    )
    data.progress = reporter
    if data.start_worker:
        await worker.start()
    else:
        await worker.recover(at_start=True)
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            _prune_processed_updates, interval=timedelta(hours=1), first=60, name="prune-updates"
        )
        app.job_queue.run_repeating(
            _report_progress, interval=PROGRESS_INTERVAL, first=1, name="broadcast-progress"
        )
        app.job_queue.run_repeating(
            reminders.sweep, interval=SWEEP_INTERVAL, first=5, name="reminder-sweep"
        )
        app.job_queue.run_repeating(
            _purge, interval=timedelta(days=1), first=120, name="retention-purge"
        )
    logger.info("Convene started as @%s", app.bot.username)


async def _post_stop(app: Application) -> None:
    """Stop the delivery worker while the bot can still talk to Telegram, so the sends in
    flight record their outcome (PTB closes its HTTP client right after this)."""
    data: BotData = app.bot_data
    if data.worker is not None:
        await data.worker.stop()
    if data.budget is not None:
        await data.budget.stop()
    refresh = data.menu_refresh
    if refresh is not None and not refresh.done():
        refresh.cancel()  # finished at the next start: the version is stored only when done
        with contextlib.suppress(asyncio.CancelledError):
            await refresh


async def _post_shutdown(app: Application) -> None:
    services = app.bot_data.services
    await _post_stop(app)  # a no-op if PTB already ran it; tests shut down without stopping
    await services.db.close()


async def _report_progress(context: ConveneContext) -> None:
    if context.bot_data.progress is not None:
        await context.bot_data.progress.tick()


async def _purge(context: ConveneContext) -> None:
    """Retention: forget members revoked long ago, purge old answers (bot/domain/privacy.py)."""
    await context.services.privacy.purge()


async def _prune_processed_updates(context: ConveneContext) -> None:
    services = context.services
    async with services.db.transaction() as tx:
        removed = await tx.updates.prune(services.clock.now() - PROCESSED_UPDATES_KEPT)
    if removed:
        logger.debug("Pruned %s processed update ids", removed)


async def _tell_dropped(app: Application, update: Update) -> None:
    """One polite word to a person whose updates came faster than they can be answered."""
    chat = update.effective_chat
    if chat is None:
        return
    services = app.bot_data.services
    user = update.effective_user
    account = await services.roster.account(user.id) if user is not None else None
    locale = account.locale if account else None
    if locale is None and user is not None:
        locale = match_locale(user.language_code, services.settings.default_locale)
    t = services.i18n.translator(locale)
    await app.bot.send_message(
        chat.id,
        t.gettext(
            "You are sending messages faster than I can answer, so I skipped some of them. "
            "Please wait for my answers, then go on."
        ),
    )


ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"]
STARTUP_RETRY_CAP = 60.0  # seconds between tries while the Bot API or the database is away


def run(settings: Settings) -> None:
    """Serve the bot: by webhook when CONVENE_WEBHOOK_URL is set, else by long polling.

    In webhook mode PTB's server listens on CONVENE_WEBHOOK_LISTEN:CONVENE_WEBHOOK_PORT
    (loopback by default: a reverse proxy terminates TLS in front of it) at the URL's path,
    and refuses with 403 every request whose X-Telegram-Bot-Api-Secret-Token header is not
    CONVENE_WEBHOOK_SECRET. Several processes may serve one bot this way, behind one proxy,
    on one PostgreSQL database: an update delivered twice is handled once (the de-duplication
    row), and broadcasts and reminders are claimed row by row.
    """
    install_redaction(settings.bot_token)
    quiet_chatty_loggers()
    # Wait for the Bot API and the database rather than exit: a bot started before its
    # network or its database is up (a reboot, a restart by systemd) comes up by itself.
    # The loop is left open and current: PTB's run_* take it over.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(wait_until_ready(settings))
    except InvalidToken:
        raise SystemExit(
            "Telegram refuses the bot token in TELEGRAM_BOT_TOKEN: copy it again from "
            "@BotFather (or create a new one with /token)."
        ) from None
    except KeyboardInterrupt:  # stopped while waiting: nothing was started
        raise SystemExit(130) from None
    app = build_application(settings)
    if settings.webhook_url:
        path = urlsplit(settings.webhook_url).path.lstrip("/")
        app.run_webhook(
            listen=settings.webhook_listen,
            port=settings.webhook_port,
            url_path=path,
            webhook_url=settings.webhook_url,
            secret_token=settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=-1,  # Telegram away between the wait above and now: retry
        )
    else:
        app.run_polling(allowed_updates=ALLOWED_UPDATES, bootstrap_retries=-1)


def quiet_chatty_loggers() -> None:
    """The scheduler logs every run of every job at INFO (the progress job runs every 3 s);
    httpx logs every request URL, which holds the bot token."""
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


async def wait_until_ready(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> None:
    """Return once the Bot API answers getMe and the database answers a query, trying again
    with a growing pause (at most STARTUP_RETRY_CAP) and one clear log line per try. A token
    Telegram refuses is not waited for: that is a configuration error, raised at once."""
    wait = 1.0
    while True:
        problem = await _telegram_problem(settings, request) or await _database_problem(settings)
        if problem is None:
            return
        logger.warning("%s; trying again in %.0f s", problem, wait)
        await sleep(wait)
        wait = min(wait * 2, STARTUP_RETRY_CAP)


async def _telegram_problem(settings: Settings, request: BaseRequest | None) -> str | None:
    bot = Bot(
        settings.require_token(),
        base_url=settings.base_url,
        base_file_url=settings.base_file_url,
        request=request,
    )
    try:
        await bot.initialize()  # getMe: the token and the server
    except InvalidToken:
        raise
    except TelegramError as error:
        return (
            f"The Telegram Bot API at {settings.telegram_api_url} does not answer ({error.message})"
        )
    finally:
        with contextlib.suppress(Exception):
            await bot.shutdown()
    return None


async def _database_problem(settings: Settings) -> str | None:
    db = Database(settings.database_url)
    try:
        await db.ping()
    except Exception as error:
        return f"The database {redact_url(settings.database_url)} does not answer ({type(error).__name__})"
    finally:
        with contextlib.suppress(Exception):
            await db.close()
    return None
