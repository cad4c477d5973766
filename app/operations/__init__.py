"""Use cases named by verbs. They flush, never commit: the request, command or job commits once at the edge, so
audit and outbox rows commit with the change they record (DESIGN.md §9)."""
