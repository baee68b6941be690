"""Plan: read what is live, diff it against the desired state, order the steps. Never mutates AWS."""
