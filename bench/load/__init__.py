"""Load test: a realistic mix of the six units' traffic for a fixed time against several API
workers and the projection worker on one PostgreSQL, then the checks that matter after a load:
every accepted write is in the event log exactly once (found by its correlation id), no refused
write left anything, and the read models equal a rebuild from scratch.

    python -m bench.load [--seconds 60] [--users 3] [--workers 2]

Users are asyncio tasks (per county `--users` officers) sharing one httpx pool. The mix: register
leads, refer them to neighbours, acknowledge referrals found in the workspace (accept or
decline; two officers of a county racing on one referral is an expected 409), open cases from
accepted leads or from scratch, record seizures, invite co-handlers, read workspaces, search
and read cases. A sample of writes is followed by a `wait_for=` read to measure how long the
read models take to show it (the projection lag as a user feels it)."""
