"""The operator web UI (DESIGN section 8): Django views over the services and selectors.

Views only read request input, check the user's role, call a service or selector and render a
template; refusals from the services become messages on the page, never a 500.
"""
