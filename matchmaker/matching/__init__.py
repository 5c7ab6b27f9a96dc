"""Pure matching engine: which producers' products meet which distributors' sourcing needs."""
