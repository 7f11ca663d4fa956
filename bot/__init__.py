"""Convene: the bot, its domain and its composition root."""
