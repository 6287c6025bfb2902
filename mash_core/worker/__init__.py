"""The worker process: scheduled jobs (APScheduler 3), MQTT subscriptions (aiomqtt), the
outbox drain and the event bus. Exactly one worker is active at a time (database lock)."""
