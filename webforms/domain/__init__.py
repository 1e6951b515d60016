"""Business rules shared by the web, the CLI and the workers. No Flask request state, no clock."""
