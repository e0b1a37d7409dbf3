"""The operations side: commands, scheduled jobs, the scheduler process, demo data."""
