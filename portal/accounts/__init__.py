"""Key accounts, their users and addresses."""
