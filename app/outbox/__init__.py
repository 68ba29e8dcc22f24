"""The outbox: the `deliveries` table's rows, and the one loop that claims, retries and backs
off for every channel; each channel (app/mail/, app/push/) only renders and sends."""
