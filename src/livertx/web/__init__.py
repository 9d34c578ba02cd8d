"""The web surface: pages for people, the JSON API and the CDS Hooks service, one ASGI app."""
