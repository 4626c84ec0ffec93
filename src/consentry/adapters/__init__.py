"""Adapters: the implementations of the ports (SQL store, links, mailer, outbox, addresses)."""
