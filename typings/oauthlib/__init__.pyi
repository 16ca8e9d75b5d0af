# Minimal local stubs: only the parts of oauthlib that lp_toolbelt uses.
