"""Read models: each module holds one projection (events -> rows) and its view (DDL + queries)."""
