"""B2B meetings at events: requests, scheduling, agendas."""
