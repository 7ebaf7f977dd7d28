"""Reports and the manager dashboard: occupancy, usage, revenue and funding, with charts."""
