"""The JSON API: the contract over HTTP."""
