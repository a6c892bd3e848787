"""Security of the services: who is calling (authentication methods), what they may reach (route
roles), how often (rate limits), over what (TLS), and the audit log of what they did."""
