"""E-mail to offline users: the outbox rows, the e-mails built from them, and their sender."""
