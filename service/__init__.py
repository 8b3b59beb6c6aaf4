"""The service layer: jointcase's use cases. Each one loads aggregates, asks the domain to decide
and saves what was decided atomically, through one write path (``service.store.Store.write``).
Entry points (the HTTP API, the console, the CLI) call these and nothing below them."""
