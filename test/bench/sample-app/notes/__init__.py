"""Notes: storage (db), signed links (tokens) and admin commands (cli)."""
