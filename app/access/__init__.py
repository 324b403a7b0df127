"""Access: identities (API keys, OIDC bearer tokens, session cookies), roles and their
capabilities, and the masks applied to personal data for roles without PII access."""
