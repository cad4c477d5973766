"""Use cases named by verbs. Each owns its transaction: audit (and outbox) rows commit with the change."""
