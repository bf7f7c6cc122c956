"""People's accounts: the Cognito user pool (directory.py) and its tokens (tokens.py)."""
