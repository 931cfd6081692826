"""The Microsoft identity platform (v2.0) stand-in: authorize, token, discovery and keys,
the consent page, issued codes and tokens, and the AADSTS errors it answers with.
"""
