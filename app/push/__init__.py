"""Web Push: VAPID keys, the push outbox, and the sender that delivers it to each device."""
