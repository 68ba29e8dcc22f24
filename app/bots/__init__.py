"""The bot channel of the outbox: a signed call to a bot's URL when it is @mentioned, and its
answer posted as the bot's reply (app/bots/sender.py, app/bots/call.py)."""
